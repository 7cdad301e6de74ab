//! Publishing the public keys to SSM during rotations, against moto_server: after every step
//! the parameter holds exactly the public JWK set the authorizer must verify with, never a
//! private member, and a key is published before it signs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use key_rotation::{AWSCURRENT, AWSPENDING, Outcome, RotationError, Step};
use serde_json::{Value, json};
use test_support::runtime_api::Function;

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_public_only(published: &Value) {
    for key in published["keys"].as_array().unwrap() {
        for member in PRIVATE_MEMBERS {
            assert!(key.get(member).is_none(), "{member} published: {key}");
        }
    }
}

/// The AWSPENDING set of the rotation `token`.
async fn pending_set(client: &aws_sdk_secretsmanager::Client, name: &str, token: &str) -> Value {
    let output = client
        .get_secret_value()
        .secret_id(name)
        .version_id(token)
        .version_stage(AWSPENDING)
        .send()
        .await
        .unwrap();
    serde_json::from_str(output.secret_string().unwrap()).unwrap()
}

/// The `kid` of the active key of a set.
fn signer(set: &Value) -> String {
    let keys = set["keys"].as_array().unwrap();
    let active = keys.iter().find(|k| k["status"] == "active").unwrap();
    active["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_step_leaves_exactly_the_public_keys_of_the_set_that_is_rotated_to() {
    let (client, ssm) = (client().await, ssm_client().await);
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    let (param, public_keys) = public_keys_parameter(&ssm).await;
    for (rotation, now) in [T0, T0 + 30 * DAY, T0 + 60 * DAY].into_iter().enumerate() {
        let before = parameter(&ssm, &param).await;
        // The first rotation of an empty secret has no signer yet.
        let signing_now = if rotation > 0 {
            Some(signer(&current_set(&client, &name).await))
        } else {
            None
        };
        let token = begin_rotation(&client, &name).await;
        for s in [Step::Create, Step::Set, Step::Test] {
            publishing_step(&public_keys, &settings, &name, &token, s, now)
                .await
                .unwrap_or_else(|err| panic!("rotation {rotation}, {s}: {err}"));
            let published = parameter(&ssm, &param).await;
            let pending = pending_set(&client, &name, &token).await;
            assert_eq!(published, public_of(&pending), "rotation {rotation}, {s}");
            assert_public_only(&published);
            // The key that signs until finishSecret stays published.
            if let Some(kid) = &signing_now {
                assert!(kids(&published).contains(kid), "rotation {rotation}, {s}");
            }
        }
        publishing_step(&public_keys, &settings, &name, &token, Step::Finish, now)
            .await
            .unwrap();
        let current = current_set(&client, &name).await;
        let published = parameter(&ssm, &param).await;
        assert_eq!(
            published,
            public_of(&current),
            "rotation {rotation}, finish"
        );
        assert_public_only(&published);
        // The key that signs from now on was published a whole rotation earlier.
        if rotation > 0 {
            assert!(
                kids(&before).contains(&signer(&current)),
                "rotation {rotation}"
            );
        }
    }
    let current = current_set(&client, &name).await;
    assert_eq!(statuses(&current), ["retired", "active", "pending"]);
    assert_eq!(kids(&parameter(&ssm, &param).await), kids(&current));
}

#[tokio::test]
async fn a_retried_step_publishes_again() {
    let (client, ssm) = (client().await, ssm_client().await);
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    let (param, public_keys) = public_keys_parameter(&ssm).await;
    let token = begin_rotation(&client, &name).await;
    let run = |s| publishing_step(&public_keys, &settings, &name, &token, s, T0);
    assert_eq!(run(Step::Create).await.unwrap().outcome, Outcome::Created);
    let expected = parameter(&ssm, &param).await;
    // The publication was lost (or the parameter edited): createSecret run again restores it.
    let clobber = || async {
        ssm.put_parameter()
            .name(&param)
            .value(r#"{"keys":[]}"#)
            .overwrite(true)
            .send()
            .await
            .unwrap();
    };
    clobber().await;
    assert_eq!(
        run(Step::Create).await.unwrap().outcome,
        Outcome::AlreadyCreated
    );
    assert_eq!(parameter(&ssm, &param).await, expected);
    // And finishSecret writes it before AWSCURRENT moves.
    run(Step::Test).await.unwrap();
    clobber().await;
    assert_eq!(run(Step::Finish).await.unwrap().outcome, Outcome::Finished);
    assert_eq!(parameter(&ssm, &param).await, expected);
    assert_eq!(labelled(&client, &name, AWSCURRENT).await, Some(token));
}

#[tokio::test]
async fn a_failed_publication_fails_the_step_and_aws_current_stays() {
    let client = client().await;
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    rotate(&client, &settings, &name, T0).await;
    let current = labelled(&client, &name, AWSCURRENT).await;
    let token = begin_rotation(&client, &name).await;
    // Nothing listens on port 9: every PutParameter fails.
    let unreachable = auth_aws::emulator_sdk_config("http://127.0.0.1:9").await;
    let broken = auth_aws::PublicKeysParameter::new(&unreachable, "/p");
    let run = |s| publishing_step(&broken, &settings, &name, &token, s, T0 + DAY);
    assert!(matches!(
        run(Step::Create).await,
        Err(RotationError::Ssm { .. })
    ));
    assert!(matches!(
        run(Step::Finish).await,
        Err(RotationError::Ssm { .. })
    ));
    assert_eq!(labelled(&client, &name, AWSCURRENT).await, current);
}

#[test]
fn the_binary_publishes_to_the_parameter_its_environment_names() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (client, ssm) = runtime.block_on(async { (client().await, ssm_client().await) });
    let name = runtime.block_on(secret(&client, r#"{"keys":[]}"#));
    let (param, _) = runtime.block_on(public_keys_parameter(&ssm));
    let token = runtime.block_on(begin_rotation(&client, &name));
    let endpoint = test_support::moto::moto().endpoint.clone();
    let function = Function::start(
        "key_rotation",
        &[
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("SIGNING_KEYS_PUBLIC_PARAM", param.as_str()),
        ],
    );
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let event = json!({"Step": step, "SecretId": name, "ClientRequestToken": token});
        let answer = function.invoke(&event).response();
        assert_eq!(answer["step"], step, "{}", function.logs());
    }
    let current = runtime.block_on(current_set(&client, &name));
    let published = runtime.block_on(parameter(&ssm, &param));
    assert_eq!(published, public_of(&current));
    assert_eq!(kids(&published), kids(&current));
    let logs = function.logs();
    assert!(logs.contains("public keys published"), "{logs}");
    assert!(!logs.contains(current["keys"][0]["d"].as_str().unwrap()));
}
