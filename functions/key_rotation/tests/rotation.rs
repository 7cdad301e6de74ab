//! The rotation steps against moto_server's Secrets Manager, through the real SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::KeyAlgorithm;
use common::*;
use key_rotation::{AWSCURRENT, AWSPENDING, Outcome, RotationError, Step};
use serde_json::{Value, json};

#[tokio::test]
async fn the_first_rotation_of_an_empty_secret_creates_an_active_key() {
    let client = client().await;
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    let token = begin_rotation(&client, &name).await;
    // Secrets Manager's events carry a RotationToken, passed back on PutSecretValue.
    let mut create = event(&name, &token, Step::Create);
    create.rotation_token = Some("rotation-token-from-secrets-manager".into());
    let outcomes = [
        key_rotation::handle(&key_set_secret().await, None, &settings, &create, T0).await,
        step(&settings, &name, &token, Step::Set, T0).await,
        step(&settings, &name, &token, Step::Test, T0).await,
        step(&settings, &name, &token, Step::Finish, T0).await,
    ]
    .map(|outcome| outcome.unwrap().outcome);
    assert_eq!(
        outcomes,
        [
            Outcome::Created,
            Outcome::NothingToSet,
            Outcome::Tested,
            Outcome::Finished
        ]
    );
    let set = current_set(&client, &name).await;
    assert_eq!(statuses(&set), ["active"]);
    assert_eq!(set["keys"][0]["alg"], "ES256");
    assert_eq!(set["keys"][0]["created_at"], T0);
    // AWSCURRENT is on the new version, and no version is left AWSPENDING.
    assert_eq!(labelled(&client, &name, AWSCURRENT).await, Some(token));
    assert_eq!(labelled(&client, &name, AWSPENDING).await, None);
}

#[tokio::test]
async fn the_second_rotation_adds_a_pending_key_and_the_third_promotes_it() {
    let client = client().await;
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    rotate(&client, &settings, &name, T0).await;
    let first = current_set(&client, &name).await;
    let a = keys(&first)[0].0.clone();

    rotate(&client, &settings, &name, T0 + 30 * DAY).await;
    let second = current_set(&client, &name).await;
    assert_eq!(statuses(&second), ["active", "pending"]);
    assert_eq!(keys(&second)[0].0, a, "the signing key is unchanged");
    assert_eq!(second["keys"][0], first["keys"][0], "and untouched");
    let b = keys(&second)[1].0.clone();

    rotate(&client, &settings, &name, T0 + 60 * DAY).await;
    let third = current_set(&client, &name).await;
    assert_eq!(statuses(&third), ["retired", "active", "pending"]);
    assert_eq!(keys(&third)[0].0, a);
    assert_eq!(third["keys"][0]["retired_at"], T0 + 60 * DAY);
    assert_eq!(
        keys(&third)[1].0,
        b,
        "the key published a rotation earlier signs"
    );
    // The private halves travel with the set: the new signer is the key added as pending.
    assert_eq!(third["keys"][1]["d"], second["keys"][1]["d"]);
}

#[tokio::test]
async fn retired_keys_are_pruned_once_retire_after_has_passed() {
    let client = client().await;
    let settings = RotationSettings {
        algorithm: KeyAlgorithm::ES256,
        retire_after_secs: DAY,
    };
    let name = secret(&client, r#"{"keys":[]}"#).await;
    rotate(&client, &settings, &name, T0).await;
    let a = keys(&current_set(&client, &name).await)[0].0.clone();
    rotate(&client, &settings, &name, T0 + 10).await;
    rotate(&client, &settings, &name, T0 + 20).await; // A retires at T0 + 20
    let kids = |set: &Value| {
        keys(set)
            .into_iter()
            .map(|(kid, _)| kid)
            .collect::<Vec<_>>()
    };

    rotate(&client, &settings, &name, T0 + 20 + DAY - 1).await;
    let set = current_set(&client, &name).await;
    assert!(kids(&set).contains(&a), "one second short of retire_after");
    assert_eq!(statuses(&set), ["retired", "retired", "active", "pending"]);

    rotate(&client, &settings, &name, T0 + 20 + DAY).await;
    let set = current_set(&client, &name).await;
    assert!(!kids(&set).contains(&a), "retired_at + retire_after <= now");
    assert_eq!(statuses(&set), ["retired", "retired", "active", "pending"]);
}

#[tokio::test]
async fn every_step_run_twice_gives_the_same_result() {
    let client = client().await;
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    rotate(&client, &settings, &name, T0).await;
    let before = value(&client, &name, AWSCURRENT).await;

    let token = begin_rotation(&client, &name).await;
    let run = |s: Step, now: u64| step(&settings, &name, &token, s, now);
    assert_eq!(
        run(Step::Create, T0 + DAY).await.unwrap().outcome,
        Outcome::Created
    );
    let pending = value(&client, &name, AWSPENDING).await;
    // A retry, later: the pending version is kept as written, not computed again.
    for _ in 0..2 {
        let again = run(Step::Create, T0 + 2 * DAY).await.unwrap();
        assert_eq!(again.outcome, Outcome::AlreadyCreated);
        assert_eq!(value(&client, &name, AWSPENDING).await, pending);
    }
    for _ in 0..2 {
        assert_eq!(
            run(Step::Set, T0 + DAY).await.unwrap().outcome,
            Outcome::NothingToSet
        );
        assert_eq!(
            run(Step::Test, T0 + DAY).await.unwrap().outcome,
            Outcome::Tested
        );
    }
    assert_eq!(
        value(&client, &name, AWSCURRENT).await,
        before,
        "untouched before finish"
    );
    assert_eq!(
        run(Step::Finish, T0 + DAY).await.unwrap().outcome,
        Outcome::Finished
    );
    // Every step of a finished rotation finds nothing to do.
    for s in [
        Step::Finish,
        Step::Create,
        Step::Set,
        Step::Test,
        Step::Finish,
    ] {
        assert_eq!(
            run(s, T0 + 3 * DAY).await.unwrap().outcome,
            Outcome::AlreadyCurrent
        );
    }
    assert_eq!(value(&client, &name, AWSCURRENT).await, pending);
    assert_eq!(
        labelled(&client, &name, AWSCURRENT).await,
        Some(token.clone())
    );
    assert_eq!(labelled(&client, &name, AWSPENDING).await, None);
    assert_eq!(
        statuses(&current_set(&client, &name).await),
        ["active", "pending"]
    );
}

#[tokio::test]
async fn test_secret_fails_on_a_broken_pending_version() {
    let client = client().await;
    let settings = RotationSettings::default();
    let stranger =
        auth_core::generate_jwk(KeyAlgorithm::ES256, auth_core::KeyStatus::Active).unwrap();
    // Besides sets that do not load: one whose signing key no running function knows, and one
    // without the key that signs today's tokens. Both load; neither may become current.
    let broken = |case: &str, current: &Value| match case {
        "empty" => r#"{"keys":[]}"#.to_owned(),
        "not json" => "not json".to_owned(),
        "unknown signer" => {
            let mut retired = current["keys"][0].clone();
            retired["status"] = "retired".into();
            json!({"keys": [retired, stranger.clone()]}).to_string()
        }
        _ => json!({"keys": [stranger.clone()]}).to_string(),
    };
    for case in [
        "empty",
        "not json",
        "unknown signer",
        "current signer dropped",
    ] {
        // A fresh secret each time: moto_server's RotateSecret, without a function to call,
        // cannot start a rotation after one that did not finish.
        let name = secret(&client, r#"{"keys":[]}"#).await;
        rotate(&client, &settings, &name, T0).await;
        let current = value(&client, &name, AWSCURRENT).await;
        let token = begin_rotation(&client, &name).await;
        client
            .put_secret_value()
            .secret_id(&name)
            .client_request_token(&token)
            .secret_string(broken(case, &serde_json::from_str(&current).unwrap()))
            .version_stages(AWSPENDING)
            .send()
            .await
            .unwrap();
        // createSecret leaves the version as it finds it, and testSecret refuses it, every time.
        let created = step(&settings, &name, &token, Step::Create, T0).await;
        assert_eq!(created.unwrap().outcome, Outcome::AlreadyCreated, "{case}");
        for _ in 0..2 {
            let tested = step(&settings, &name, &token, Step::Test, T0).await;
            assert!(
                matches!(
                    tested,
                    Err(RotationError::PendingKeySet(_) | RotationError::TestFailed { .. })
                ),
                "{case}: {tested:?}"
            );
        }
        assert_eq!(value(&client, &name, AWSCURRENT).await, current, "{case}");
        assert_eq!(
            labelled(&client, &name, AWSPENDING).await,
            Some(token),
            "{case}: the rotation stays unfinished until the version is fixed or unlabelled"
        );
    }
}

#[tokio::test]
async fn steps_refuse_what_is_not_a_pending_rotation() {
    let client = client().await;
    let settings = RotationSettings::default();
    let name = secret(&client, r#"{"keys":[]}"#).await;
    let first = labelled(&client, &name, AWSCURRENT).await.unwrap();
    // Rotation never enabled on this secret.
    let outcome = step(&settings, &name, &first, Step::Create, T0).await;
    assert!(
        matches!(outcome, Err(RotationError::RotationDisabled)),
        "{outcome:?}"
    );

    let token = begin_rotation(&client, &name).await;
    let unknown = "00000000-0000-4000-8000-000000000000";
    let outcome = step(&settings, &name, unknown, Step::Create, T0).await;
    assert!(
        matches!(outcome, Err(RotationError::UnknownVersion(_))),
        "{outcome:?}"
    );
    // The version that is current: nothing to do, whatever the step.
    let outcome = step(&settings, &name, &first, Step::Create, T0).await;
    assert_eq!(outcome.unwrap().outcome, Outcome::AlreadyCurrent);
    // testSecret before createSecret wrote anything fails, and changes nothing.
    assert!(
        step(&settings, &name, &token, Step::Test, T0)
            .await
            .is_err()
    );
    assert_eq!(value(&client, &name, AWSCURRENT).await, r#"{"keys":[]}"#);
    // A secret holding keys that do not make a set is never overwritten.
    let broken = secret(&client, r#"{"keys":[{"kid":"k1","alg":"ES256"}]}"#).await;
    let token = begin_rotation(&client, &broken).await;
    let outcome = step(&settings, &broken, &token, Step::Create, T0).await;
    assert!(
        matches!(outcome, Err(RotationError::CurrentKeySet(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn new_keys_have_the_configured_algorithm() {
    let client = client().await;
    let settings = RotationSettings {
        algorithm: KeyAlgorithm::EdDSA,
        ..RotationSettings::default()
    };
    let name = secret(&client, r#"{"keys":[]}"#).await;
    rotate(&client, &settings, &name, T0).await;
    rotate(&client, &settings, &name, T0 + DAY).await;
    let set = current_set(&client, &name).await;
    assert_eq!(statuses(&set), ["active", "pending"]);
    for key in set["keys"].as_array().unwrap() {
        assert_eq!(key["alg"], "EdDSA");
        assert_eq!(key["crv"], "Ed25519");
    }
}
