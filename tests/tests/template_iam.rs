//! What template.yaml grants the functions, checked against what the code reads and writes: the
//! authorizer reads the published public keys and never the private ones, its DynamoDB read is
//! the revocation projection only, key_rotation may write the public keys, and the password
//! route is declared on both APIs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::REVOCATION_ATTRIBUTES;
use local_gateway::cfn::Stack;
use local_gateway::template::{self, LoadOptions};
use serde_json::{Value, json};
use test_support::workspace_root;

const PUBLIC_KEYS_ARN: &str =
    "arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/auth/public-keys";

/// The template with REVOCATION_CHECK on and every other parameter at its default.
fn stack(parameters: &[(&str, &str)]) -> Stack {
    let options = LoadOptions {
        parameters: [("RevocationCheck", "true")]
            .iter()
            .chain(parameters)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..LoadOptions::default()
    };
    template::load(&workspace_root().join("template.yaml"), &options)
        .unwrap()
        .0
}

/// `value` as deployed: each `Fn::If` replaced by the branch its condition picks, and
/// `AWS::NoValue` dropped (`None` for the value itself).
fn deployed(stack: &Stack, value: &Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::If") => {
            let args = map["Fn::If"].as_array().unwrap();
            let pick = json!({"Fn::If": [args[0], "then", "else"]});
            let branch = match stack.resolve(&pick).unwrap().as_str() {
                "then" => &args[1],
                _ => &args[2],
            };
            deployed(stack, branch)
        }
        Value::Object(map) if map.get("Ref") == Some(&json!("AWS::NoValue")) => None,
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(k, v)| deployed(stack, v).map(|v| (k.clone(), v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|v| deployed(stack, v)).collect(),
        )),
        other => Some(other.clone()),
    }
}

/// The deployed policy statements of a function.
fn statements(stack: &Stack, function: &str) -> Vec<Value> {
    let policies = &stack.resource(function).unwrap()["Properties"]["Policies"];
    let policies = deployed(stack, policies).unwrap();
    policies
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|policy| policy["Statement"].as_array().unwrap().clone())
        .collect()
}

fn list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn actions(statement: &Value) -> Vec<String> {
    list(&statement["Action"])
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn resources(stack: &Stack, statement: &Value) -> Vec<String> {
    list(&statement["Resource"])
        .iter()
        .map(|r| stack.resolve(r).unwrap())
        .collect()
}

/// The deployed value of a function's environment variable, resolved (`None`: not set).
fn variable(stack: &Stack, function: &str, name: &str) -> Option<String> {
    let variables = &stack.resource(function).unwrap()["Properties"]["Environment"]["Variables"];
    let value = deployed(stack, &variables[name])?;
    (!value.is_null()).then(|| stack.resolve(&value).unwrap())
}

#[test]
fn the_authorizer_reads_the_public_keys_and_no_private_key() {
    let stack = stack(&[]);
    let statements = statements(&stack, "AuthorizerFunction");
    assert!(
        statements
            .iter()
            .flat_map(actions)
            .all(|action| !action.starts_with("secretsmanager:")),
        "{statements:?}"
    );
    let reads: Vec<String> = statements
        .iter()
        .filter(|s| actions(s) == ["ssm:GetParameter"])
        .flat_map(|s| resources(&stack, s))
        .collect();
    assert!(reads.contains(&PUBLIC_KEYS_ARN.to_owned()), "{reads:?}");
    assert_eq!(
        variable(&stack, "AuthorizerFunction", "SIGNING_KEYS_PUBLIC_PARAM").as_deref(),
        Some("/app/dev/auth/public-keys")
    );
    assert_eq!(
        variable(&stack, "AuthorizerFunction", "SIGNING_KEYS_SECRET_ID"),
        None
    );
    let parameter = &stack.resource("PublicKeysParameter").unwrap()["Properties"];
    assert_eq!(parameter["Type"], "String");
    assert_eq!(
        serde_json::from_str::<Value>(parameter["Value"].as_str().unwrap()).unwrap(),
        json!({"keys": []})
    );
}

#[test]
fn while_upgrading_the_authorizer_may_read_the_secret_instead() {
    let stack = stack(&[("AuthorizerSigningKeys", "secret")]);
    let statements = statements(&stack, "AuthorizerFunction");
    let secret_reads: Vec<&Value> = statements
        .iter()
        .filter(|s| actions(s) == ["secretsmanager:GetSecretValue"])
        .collect();
    assert_eq!(secret_reads.len(), 1);
    assert_eq!(
        variable(&stack, "AuthorizerFunction", "SIGNING_KEYS_PUBLIC_PARAM"),
        None
    );
    assert!(variable(&stack, "AuthorizerFunction", "SIGNING_KEYS_SECRET_ID").is_some());
}

#[test]
fn the_authorizers_table_read_is_the_revocation_projection_of_two_partitions() {
    let template = stack(&[]);
    let statements = statements(&template, "AuthorizerFunction");
    let dynamo: Vec<&Value> = statements
        .iter()
        .filter(|s| actions(s).iter().any(|a| a.starts_with("dynamodb:")))
        .collect();
    assert_eq!(dynamo.len(), 1, "{dynamo:?}");
    let statement = dynamo[0];
    assert_eq!(actions(statement), ["dynamodb:BatchGetItem"]);
    let condition = &statement["Condition"];
    // revocation.rs reads REVOKED#<jti> and USER#<sub> (PROFILE, FAMILY#<id>) only.
    assert_eq!(
        condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
        json!(["REVOKED#*", "USER#*"])
    );
    assert_eq!(
        condition["ForAllValues:StringEquals"]["dynamodb:Attributes"],
        json!(REVOCATION_ATTRIBUTES)
    );
    assert_eq!(
        condition["StringEqualsIfExists"]["dynamodb:Select"],
        "SPECIFIC_ATTRIBUTES"
    );
    // Without REVOCATION_CHECK it reads nothing of the table.
    let plain = stack(&[("RevocationCheck", "false")]);
    assert!(
        crate::statements(&plain, "AuthorizerFunction")
            .iter()
            .flat_map(actions)
            .all(|a| !a.starts_with("dynamodb:"))
    );
}

#[test]
fn key_rotation_publishes_to_the_parameter_the_authorizer_reads() {
    let stack = stack(&[]);
    assert_eq!(
        variable(&stack, "KeyRotationFunction", "SIGNING_KEYS_PUBLIC_PARAM"),
        variable(&stack, "AuthorizerFunction", "SIGNING_KEYS_PUBLIC_PARAM")
    );
    let writes: Vec<String> = statements(&stack, "KeyRotationFunction")
        .iter()
        .filter(|s| actions(s) == ["ssm:PutParameter"])
        .flat_map(|s| resources(&stack, s))
        .collect();
    assert_eq!(writes, [PUBLIC_KEYS_ARN]);
}

#[test]
fn the_password_route_is_declared_on_both_apis_without_the_authorizer() {
    let stack = stack(&[("EnableHttpApi", "true")]);
    let event = &stack.resource("TokenGeneratorFunction").unwrap()["Properties"]["Events"]["ChangePassword"]
        ["Properties"];
    assert_eq!(event["Path"], "/auth/password");
    assert_eq!(event["Method"], "POST");
    assert_eq!(event["Auth"]["Authorizer"], "NONE");
    let http = &stack.resource("HttpApi").unwrap()["Properties"]["DefinitionBody"]["paths"]["/auth/password"]
        ["post"];
    assert!(http.get("security").is_none());
    assert_eq!(http["x-amazon-apigateway-integration"]["type"], "aws_proxy");
}
