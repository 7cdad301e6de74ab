//! The built `authctl` binary: key sets through standard input and output, and clients and user
//! roles in a table of moto_server, through the standard SDK environment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use auth_aws::{NewUser, Store, emulator_sdk_config};
use auth_core::{KeySet, PasswordHasher};
use serde_json::Value;
use test_support::moto::moto;

/// Private JWK members: none may be published.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/// `authctl args`, with `stdin` on its standard input, isolated from the developer's AWS setup.
fn authctl(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Standard output of a successful run, as JSON.
fn ok(args: &[&str], stdin: &str) -> Value {
    let output = authctl(args, stdin);
    assert!(
        output.status.success(),
        "authctl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn text(value: &Value) -> String {
    value.to_string()
}

async fn table() -> (Store, String) {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let name = test_support::unique("authctl");
    let store = Store::new(&sdk, &name);
    store.create_table().await.unwrap();
    (store, name)
}

#[test]
fn generated_sets_load_and_their_public_jwks_has_no_private_member() {
    for alg in ["ES256", "EdDSA", "RS256"] {
        let set = ok(&["keys", "generate", "--alg", alg], "");
        let keys = set["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["status"], "active");
        assert_eq!(keys[0]["alg"], alg);
        let loaded = KeySet::from_json(&text(&set)).unwrap();
        assert!(loaded.active().unwrap().encoding_key().is_some());

        let public = ok(&["keys", "public"], &text(&set));
        let published = public["keys"].as_array().unwrap();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0]["kid"], keys[0]["kid"]);
        for member in PRIVATE_MEMBERS {
            assert!(published[0].get(member).is_none(), "{member} published");
        }
        let verify_only = KeySet::from_json(&text(&public)).unwrap();
        assert!(verify_only.active().unwrap().encoding_key().is_none());
    }
}

#[test]
fn an_hmac_set_publishes_nothing() {
    let set = ok(&["keys", "generate", "--alg", "HS256"], "");
    assert_eq!(set["keys"][0]["kty"], "oct");
    let public = ok(&["keys", "public"], &text(&set));
    assert_eq!(public["keys"].as_array().unwrap().len(), 0);
}

#[test]
fn the_default_algorithm_is_es256() {
    let set = ok(&["keys", "generate"], "");
    assert_eq!(set["keys"][0]["alg"], "ES256");
}

#[test]
fn bad_input_fails_with_status_1_and_no_key_material() {
    let output = authctl(&["keys", "public"], "{\"keys\": [{\"kty\": \"EC\"}]}");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a usable key set"), "{stderr}");

    // A private key that does not match its public half: refused without echoing `d`.
    let mut set = ok(&["keys", "generate"], "");
    let other = ok(&["keys", "generate"], "");
    set["keys"][0]["d"] = other["keys"][0]["d"].clone();
    let output = authctl(&["keys", "public"], &text(&set));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(other["keys"][0]["d"].as_str().unwrap()));
}

#[test]
fn usage_errors_exit_with_status_2() {
    for args in [
        &["keys", "generate", "--alg", "none"][..],
        &["keys", "prune", "--retire-after", "soon"][..],
        &["keys", "frobnicate"][..],
        &[
            "client",
            "create",
            "--table",
            "t",
            "--id",
            "two words",
            "--scopes",
            "a",
        ][..],
        &[
            "client", "create", "--table", "t", "--id", "x", "--scopes", "a\"b",
        ][..],
        &["client", "create", "--id", "x", "--scopes", "a"][..],
        &["user", "roles", "--table", "t", "--username", "alice"][..],
    ] {
        let output = authctl(args, "");
        assert_eq!(output.status.code(), Some(2), "authctl {args:?}");
        assert!(output.stdout.is_empty());
    }
}

/// The `status` of each key, in set order.
fn statuses(set: &Value) -> Vec<&str> {
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect()
}

#[test]
fn add_promote_prune_cycle() {
    let first = ok(&["keys", "generate"], "");
    let a = first["keys"][0]["kid"].clone();

    // add: a pending key, published and verifying, while the first key goes on signing.
    let added = ok(&["keys", "add", "--alg", "EdDSA"], &text(&first));
    assert_eq!(statuses(&added), ["active", "pending"]);
    assert_eq!(
        added["keys"][0], first["keys"][0],
        "the active key is untouched"
    );
    let b = added["keys"][1]["kid"].clone();
    assert_eq!(added["keys"][1]["alg"], "EdDSA");
    let loaded = KeySet::from_json(&text(&added)).unwrap();
    assert_eq!(loaded.active().unwrap().kid(), a.as_str());
    let public = ok(&["keys", "public"], &text(&added));
    let published: Vec<&Value> = public["keys"].as_array().unwrap().iter().collect();
    assert_eq!(
        published.len(),
        2,
        "the pending key is published before it signs"
    );
    assert!(published.iter().any(|k| k["kid"] == b));

    // A second add before promoting is refused: there is a pending key already.
    let twice = authctl(&["keys", "add"], &text(&added));
    assert_eq!(twice.status.code(), Some(1));
    assert!(twice.stdout.is_empty());

    // promote: the pending key signs, the active key retires now and keeps verifying.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let promoted = ok(&["keys", "promote"], &text(&added));
    assert_eq!(statuses(&promoted), ["retired", "active"]);
    assert_eq!(promoted["keys"][0]["kid"], a);
    let retired_at = promoted["keys"][0]["retired_at"].as_u64().unwrap();
    assert!((before..before + 60).contains(&retired_at));
    let loaded = KeySet::from_json(&text(&promoted)).unwrap();
    assert_eq!(loaded.active().unwrap().kid(), b.as_str());
    assert!(
        loaded.find(a.as_str()).is_some(),
        "the retired key still verifies"
    );

    // Nothing pending any more: promoting again is refused.
    let again = authctl(&["keys", "promote"], &text(&promoted));
    assert_eq!(again.status.code(), Some(1));

    // prune: a key retired an hour ago is kept with a day's retention, dropped with a minute's.
    let mut aged = promoted.clone();
    aged["keys"][0]["retired_at"] = (retired_at - 3600).into();
    let kept = ok(&["keys", "prune", "--retire-after", "86400"], &text(&aged));
    assert_eq!(kept, aged);
    let kept = ok(&["keys", "prune"], &text(&aged));
    assert_eq!(kept, aged, "the default retention is 31 days");
    let pruned = ok(&["keys", "prune", "--retire-after", "60"], &text(&aged));
    assert_eq!(statuses(&pruned), ["active"]);
    assert_eq!(pruned["keys"][0]["kid"], b);
    KeySet::from_json(&text(&pruned)).unwrap();

    // And the cycle goes on from there.
    let next = ok(&["keys", "add"], &text(&pruned));
    assert_eq!(statuses(&next), ["active", "pending"]);
}

#[test]
fn a_key_set_file_may_replace_standard_input() {
    let set = ok(&["keys", "generate"], "");
    let path = std::env::temp_dir().join(format!("{}.json", test_support::unique("authctl-set")));
    std::fs::write(&path, text(&set)).unwrap();
    let added = ok(&["keys", "add", path.to_str().unwrap()], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(statuses(&added), ["active", "pending"]);
}

#[tokio::test]
async fn client_create_stores_a_hash_of_the_secret_it_prints_once() {
    let (store, table) = table().await;
    let args = [
        "client",
        "create",
        "--table",
        &table,
        "--id",
        "billing",
        "--scopes",
        "orders:read orders:write",
        "--name",
        "Billing service",
    ];
    let output = authctl(&args, "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["client_id"], "billing");
    assert_eq!(secret.len(), 43, "32 random bytes, base64url");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot be shown again"), "{stderr}");
    assert!(!stderr.contains(&secret));

    let stored = store.find_client("billing").await.unwrap().unwrap();
    assert_eq!(stored.scopes, ["orders:read", "orders:write"]);
    assert_eq!(stored.name, "Billing service");
    assert!(stored.secret_hash.starts_with("$argon2id$"));
    assert!(!stored.secret_hash.contains(&secret));
    let hasher = PasswordHasher::new();
    assert!(hasher.verify(&secret, Some(&stored.secret_hash)));
    assert!(!hasher.verify("not-the-secret", Some(&stored.secret_hash)));

    // The same id again: refused, and the stored secret is still the first one.
    let again = authctl(&args, "");
    assert_eq!(again.status.code(), Some(1));
    assert!(again.stdout.is_empty(), "no second secret is printed");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    let still = store.find_client("billing").await.unwrap().unwrap();
    assert_eq!(still.secret_hash, stored.secret_hash);
}

#[tokio::test]
async fn client_create_names_a_missing_table() {
    let output = authctl(
        &[
            "client",
            "create",
            "--table",
            "no-such-table",
            "--id",
            "x",
            "--scopes",
            "a",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no table no-such-table"), "{stderr}");
}

#[tokio::test]
async fn user_roles_replaces_the_roles_of_a_registered_user() {
    let (store, table) = table().await;
    store
        .create_user(&NewUser {
            username: "alice",
            password_hash: "$argon2id$fake",
            created_at: 1,
            roles: &["user".to_owned()],
        })
        .await
        .unwrap();
    let args = [
        "user",
        "roles",
        "--table",
        &table,
        "--username",
        "alice",
        "--roles",
        "admin, user",
    ];
    let result = ok(&args, "");
    assert_eq!(result["roles"], serde_json::json!(["admin", "user"]));
    let user = store.find_user("alice").await.unwrap().unwrap();
    assert_eq!(user.roles, ["admin", "user"]);

    let cleared = [
        "user",
        "roles",
        "--table",
        &table,
        "--username",
        "alice",
        "--roles",
        "",
    ];
    ok(&cleared, "");
    assert!(
        store
            .find_user("alice")
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );

    // An unknown user is an error, not a new account.
    let output = authctl(
        &[
            "user",
            "roles",
            "--table",
            &table,
            "--username",
            "bob",
            "--roles",
            "admin",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(store.find_user("bob").await.unwrap().is_none());
}

/// A registered user with one live refresh-token family; the family's id.
async fn user_with_a_session(store: &Store, username: &str) -> String {
    store
        .create_user(&NewUser {
            username,
            password_hash: "$argon2id$fake",
            created_at: 1,
            roles: &["user".to_owned()],
        })
        .await
        .unwrap();
    let now = authctl_now();
    let family = auth_aws::Family {
        sub: username.to_owned(),
        id: test_support::unique("family"),
        generation: 0,
        client_id: "public".to_owned(),
        scope: None,
        issued_at: now,
        expires_at: now + 3600,
        revoked: None,
    };
    let handle = auth_core::RefreshToken::generate().unwrap();
    let first = auth_aws::RefreshRecord::first(&family, handle.digest(), 3600);
    store.start_family(&family, &first).await.unwrap();
    family.id
}

fn authctl_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn account(command: &str, table: &str, username: &str) -> Output {
    authctl(
        &["user", command, "--table", table, "--username", username],
        "",
    )
}

#[tokio::test]
async fn user_signout_revokes_every_family_and_records_a_logout() {
    let (store, table) = table().await;
    let family = user_with_a_session(&store, "alice").await;
    let before = authctl_now();
    let result = ok(
        &["user", "signout", "--table", &table, "--username", "alice"],
        "",
    );
    assert_eq!(
        result,
        serde_json::json!({"username": "alice", "result": "signed_out", "families": 1})
    );
    let stored = store.find_family("alice", &family).await.unwrap().unwrap();
    assert_eq!(stored.revoked.as_deref(), Some("signout"));
    let user = store.find_user("alice").await.unwrap().unwrap();
    assert!(user.logout_at.unwrap() >= before);
    assert!(!user.disabled);
}

#[tokio::test]
async fn user_disable_and_enable_switch_the_account() {
    let (store, table) = table().await;
    let family = user_with_a_session(&store, "bob").await;
    let result = ok(
        &["user", "disable", "--table", &table, "--username", "bob"],
        "",
    );
    assert_eq!(result["result"], "disabled");
    assert_eq!(result["families"], 1);
    let user = store.find_user("bob").await.unwrap().unwrap();
    assert!(user.disabled);
    assert!(user.logout_at.is_some());
    let stored = store.find_family("bob", &family).await.unwrap().unwrap();
    assert_eq!(stored.revoked.as_deref(), Some("disabled"));
    // Twice is fine.
    assert!(account("disable", &table, "bob").status.success());

    let result = ok(
        &["user", "enable", "--table", &table, "--username", "bob"],
        "",
    );
    assert_eq!(result["result"], "enabled");
    assert!(!store.find_user("bob").await.unwrap().unwrap().disabled);
    // The sessions the disable ended stay ended.
    let stored = store.find_family("bob", &family).await.unwrap().unwrap();
    assert!(stored.revoked.is_some());
}

#[tokio::test]
async fn user_delete_removes_the_account_and_keeps_the_name_taken() {
    let (store, table) = table().await;
    let family = user_with_a_session(&store, "carol").await;
    let result = ok(
        &["user", "delete", "--table", &table, "--username", "carol"],
        "",
    );
    assert_eq!(
        result,
        serde_json::json!({"username": "carol", "result": "deleted", "families": 1})
    );
    assert!(store.find_user("carol").await.unwrap().is_none());
    assert!(store.find_family("carol", &family).await.unwrap().is_none());
    // The name can never be registered again.
    let again = store
        .create_user(&NewUser {
            username: "carol",
            password_hash: "$argon2id$other",
            created_at: 2,
            roles: &[],
        })
        .await;
    assert!(matches!(again, Err(auth_aws::StoreError::AlreadyExists)));
    // Deleting again finishes nothing left; the other commands find no user.
    assert!(account("delete", &table, "carol").status.success());
    for command in ["signout", "disable", "enable"] {
        let output = account(command, &table, "carol");
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no user \"carol\""), "{command}: {stderr}");
    }
}

#[tokio::test]
async fn account_commands_refuse_an_unknown_user_and_need_a_username() {
    let (store, table) = table().await;
    for command in ["signout", "disable", "enable", "delete"] {
        let output = account(command, &table, "nobody");
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(output.stdout.is_empty());
        let output = authctl(&["user", command, "--table", &table], "");
        assert_eq!(output.status.code(), Some(2), "{command}");
    }
    // Nothing was created on the way.
    assert!(store.find_user("nobody").await.unwrap().is_none());
}
