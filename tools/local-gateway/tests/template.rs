//! What the gateway reads from the workspace's template.yaml: the routes, integrations and
//! authorizer settings that are deployed. A change to the template that the gateway would
//! misread fails here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::time::Duration;

use local_gateway::api::{Api, AuthorizerKind, Integration, Method};
use local_gateway::cfn::Stack;
use local_gateway::template::{self, LoadOptions};
use serde_json::Value;

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

fn load_stack(parameters: &[(&str, &str)]) -> (Stack, Api) {
    let options = LoadOptions {
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..LoadOptions::default()
    };
    template::load(&template_path(), &options).unwrap()
}

fn load(parameters: &[(&str, &str)]) -> Api {
    load_stack(parameters).1
}

/// The value at `pointer` in the template, resolved.
fn resolved(stack: &Stack, pointer: &str) -> String {
    let value = stack
        .doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} is not in the template"));
    stack.resolve(value).unwrap()
}

fn method<'a>(api: &'a Api, verb: &str, path: &str) -> &'a Method {
    api.resources
        .iter()
        .find(|r| r.path == path)
        .and_then(|r| r.methods.get(verb))
        .unwrap_or_else(|| panic!("{verb} {path} is not in the template"))
}

#[test]
fn token_routes_go_to_token_generator_without_the_authorizer() {
    let api = load(&[]);
    for (verb, path) in [
        ("POST", "/token"),
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("POST", "/auth/logout"),
        ("GET", "/health"),
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/.well-known/oauth-authorization-server"),
        // RFC 8414 §3.1's path-insertion form.
        ("GET", "/.well-known/oauth-authorization-server/{proxy+}"),
        ("OPTIONS", "/{proxy+}"),
    ] {
        let method = method(&api, verb, path);
        assert!(method.authorizer.is_none(), "{verb} {path}");
        assert!(
            matches!(&method.integration, Integration::Lambda { function } if function == "token_generator"),
            "{verb} {path}"
        );
    }
}

#[test]
fn the_example_routes_are_mocks_behind_the_jwt_authorizer() {
    let api = load(&[]);
    for (verb, path) in [("GET", "/me"), ("ANY", "/admin/{proxy+}")] {
        let method = method(&api, verb, path);
        assert_eq!(method.authorizer.as_deref(), Some("JwtAuthorizer"));
        assert!(matches!(method.integration, Integration::Mock(_)));
    }
    // SAM's Cors preflights: mocks without the authorizer.
    let preflight = method(&api, "OPTIONS", "/me");
    assert!(preflight.authorizer.is_none());
    assert!(matches!(preflight.integration, Integration::Mock(_)));
}

#[test]
fn the_authorizer_is_a_token_authorizer_with_the_templates_settings() {
    let api = load(&[]);
    assert_eq!(api.stage, "dev");
    let authorizer = &api.authorizers["JwtAuthorizer"];
    assert_eq!(authorizer.function, "authorizer");
    assert_eq!(authorizer.ttl, Duration::from_secs(300));
    let AuthorizerKind::Token { header, validation } = &authorizer.kind else {
        panic!("not a TOKEN authorizer");
    };
    assert_eq!(header, "Authorization");
    let validation = validation.as_ref().unwrap();
    // RFC 9110 §11.1: the scheme in any case.
    for value in [
        "Bearer abc.def.ghi",
        "bearer abc.def.ghi",
        "BEARER abc.def.ghi",
        "bEaReR abc.def.ghi==",
    ] {
        assert!(validation.is_match(value), "{value:?}");
    }
    for value in [
        "Basic abc",
        "Bearer",
        "Bearer ",
        "Bearerabc",
        "Bearer a b",
        "Bearer abc=def",
        "Bearers abc",
    ] {
        assert!(!validation.is_match(value), "{value:?}");
    }
    let unauthorized = &api.gateway_responses["UNAUTHORIZED"];
    assert!(
        unauthorized
            .headers
            .contains(&("WWW-Authenticate".to_owned(), "Bearer".to_owned()))
    );
    // RFC 6750 §3.1: a valid token whose scope does not cover the route.
    let denied = &api.gateway_responses["ACCESS_DENIED"];
    assert!(denied.headers.contains(&(
        "WWW-Authenticate".to_owned(),
        r#"Bearer error="insufficient_scope""#.to_owned()
    )));
}

#[test]
fn issuer_and_audience_are_derived_from_the_api_and_differ() {
    let (stack, _) = load_stack(&[]);
    let issuer = resolved(&stack, "/Outputs/Issuer/Value");
    let audience = resolved(&stack, "/Outputs/Audience/Value");
    assert_eq!(
        issuer,
        "https://local0000a.execute-api.us-east-1.amazonaws.com/dev"
    );
    assert_eq!(
        audience,
        "https://local0000a.execute-api.us-east-1.amazonaws.com"
    );
    assert_ne!(issuer, audience);
    assert_eq!(
        resolved(&stack, "/Outputs/OpenIdConfigurationUrl/Value"),
        format!("{issuer}/.well-known/openid-configuration")
    );

    let (custom, _) = load_stack(&[
        ("TokenIssuer", "https://auth.example.com"),
        ("TokenAudience", "https://api.example.com"),
    ]);
    assert_eq!(
        resolved(&custom, "/Outputs/Issuer/Value"),
        "https://auth.example.com"
    );
    assert_eq!(
        resolved(&custom, "/Outputs/Audience/Value"),
        "https://api.example.com"
    );
}

#[test]
fn the_functions_read_issuer_and_audience_from_the_parameters_by_name() {
    let (stack, _) = load_stack(&[("Environment", "staging")]);
    for (variable, parameter) in [
        ("TOKEN_ISSUER_PARAM", "TokenIssuerParameter"),
        ("TOKEN_AUDIENCE_PARAM", "TokenAudienceParameter"),
    ] {
        let name = resolved(&stack, &format!("/Resources/{parameter}/Properties/Name"));
        let arn = format!("arn:aws:ssm:us-east-1:123456789012:parameter{name}");
        for function in ["TokenGeneratorFunction", "AuthorizerFunction"] {
            let properties = format!("/Resources/{function}/Properties");
            let env = stack
                .doc
                .pointer(&format!("{properties}/Environment/Variables/{variable}"))
                .unwrap_or_else(|| panic!("{function} has no {variable}"));
            // A literal name: a Ref of the parameter would make a circular dependency (the
            // parameter references the API, which references the function).
            assert!(
                !env.to_string().contains(parameter),
                "{function}.{variable} references {parameter}"
            );
            assert_eq!(stack.resolve(env).unwrap(), name, "{function}.{variable}");
            let statements = stack
                .doc
                .pointer(&format!("{properties}/Policies/0/Statement"))
                .and_then(Value::as_array)
                .unwrap();
            let read = statements
                .iter()
                .find(|s| s["Action"] == "ssm:GetParameter")
                .unwrap_or_else(|| panic!("{function} may not read SSM parameters"));
            let granted: Vec<String> = read["Resource"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|r| stack.resolve(r).ok())
                .collect();
            assert!(granted.contains(&arn), "{function}: {arn} in {granted:?}");
        }
    }
}

#[test]
fn parameters_can_be_overridden() {
    let api = load(&[("AuthorizerCacheTtl", "0"), ("Environment", "prod")]);
    assert_eq!(api.stage, "prod");
    assert_eq!(api.authorizers["JwtAuthorizer"].ttl, Duration::ZERO);
}
