//! The DynamoDB store against moto_server, through the real SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{
    ClientRecord, Family, LockKey, NewUser, RefreshRecord, RotateError, Store, StoreError,
    emulator_sdk_config,
};
use auth_core::LockoutPolicy;
use e2e::moto::moto;

async fn store() -> Store {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let store = Store::new(&sdk, e2e::unique("users"));
    store.create_table().await.unwrap();
    store
}

fn alice() -> NewUser<'static> {
    NewUser {
        username: "alice",
        password_hash: "$argon2id$fake",
        created_at: 1,
        roles: &[],
    }
}

fn family(id: &str, expires_at: u64) -> Family {
    Family {
        sub: "alice".into(),
        id: id.into(),
        generation: 0,
        client_id: "public".into(),
        scope: Some("read write".into()),
        issued_at: 10,
        expires_at,
        revoked: None,
    }
}

/// Starts family `id` whose first refresh token has the digest `digest`; its record.
async fn start(store: &Store, id: &str, digest: &str, expires_at: u64) -> RefreshRecord {
    let family = family(id, expires_at);
    let first = RefreshRecord::first(&family, digest.into(), 604_800);
    store.start_family(&family, &first).await.unwrap();
    first
}

/// Rotates `presented` into a successor with the digest `digest`.
async fn rotate(
    store: &Store,
    presented: &RefreshRecord,
    digest: &str,
    now: u64,
) -> Result<RefreshRecord, RotateError> {
    let next = presented.successor(digest.into(), now, 604_800);
    store
        .rotate_family(presented, &next, now)
        .await
        .map(|()| next)
}

const FAR: u64 = 4_000_000_000;

#[tokio::test]
async fn registered_user_can_be_found() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let user = store.find_user("alice").await.unwrap().unwrap();
    assert_eq!(user.password_hash, "$argon2id$fake");
    assert!(user.roles.is_empty());
    store
        .set_roles("alice", &["admin".to_owned(), "user".to_owned()])
        .await
        .unwrap();
    let user = store.find_user("alice").await.unwrap().unwrap();
    assert_eq!(user.roles, ["admin", "user"]);
    assert!(matches!(
        store.set_roles("nobody", &[]).await,
        Err(StoreError::ConditionFailed)
    ));
    assert!(store.find_user("bob").await.unwrap().is_none());
}

#[tokio::test]
async fn second_registration_of_a_name_fails() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    assert!(matches!(
        store.create_user(&alice()).await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_have_exactly_one_winner() {
    let store = store().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.create_user(&alice()).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::AlreadyExists) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn rotation_moves_the_family_to_the_new_token() {
    let store = store().await;
    let r1 = start(&store, "f1", "d1", FAR).await;
    let found = store.find_refresh("d1").await.unwrap().unwrap();
    assert_eq!(found, r1);
    assert_eq!(found.scope.as_deref(), Some("read write"));
    assert_eq!(found.family_expires_at, FAR);
    assert_eq!(found.expires_at, 10 + 604_800);
    let r2 = rotate(&store, &r1, "d2", 100).await.unwrap();
    assert_eq!(store.find_refresh("d2").await.unwrap().unwrap(), r2);
    let now = store.find_family("alice", "f1").await.unwrap().unwrap();
    assert_eq!(now.generation, 1);
    assert_eq!(r2.generation, 1);
    // The next rotation starts from r2.
    rotate(&store, &r2, "d3", 101).await.unwrap();
    assert!(store.find_refresh("unknown").await.unwrap().is_none());
}

#[tokio::test]
async fn a_refresh_token_never_outlives_its_family() {
    let store = store().await;
    let r1 = start(&store, "f1", "d1", 1_000).await;
    assert_eq!(r1.expires_at, 1_000);
    let r2 = rotate(&store, &r1, "d2", 900).await.unwrap();
    assert_eq!(r2.expires_at, 1_000);
}

#[tokio::test]
async fn a_rotated_token_presented_again_revokes_the_family() {
    let store = store().await;
    let r1 = start(&store, "f1", "d1", FAR).await;
    let r2 = rotate(&store, &r1, "d2", 100).await.unwrap();
    assert!(matches!(
        rotate(&store, &r1, "x", 101).await,
        Err(RotateError::ReuseDetected)
    ));
    // The legitimate holder's current token is dead too.
    assert!(matches!(
        rotate(&store, &r2, "d3", 102).await,
        Err(RotateError::Revoked)
    ));
    let family = store.find_family("alice", "f1").await.unwrap().unwrap();
    assert_eq!(family.revoked.as_deref(), Some("reuse"));
    // The refused rotations stored no successor.
    assert!(store.find_refresh("x").await.unwrap().is_none());
    assert!(store.find_refresh("d3").await.unwrap().is_none());
}

#[tokio::test]
async fn unknown_and_expired_families_are_refused() {
    let store = store().await;
    let orphan = RefreshRecord::first(&family("nope", FAR), "d0".into(), 604_800);
    assert!(matches!(
        rotate(&store, &orphan, "d1", 100).await,
        Err(RotateError::Unknown)
    ));
    let old = start(&store, "old", "d2", 50).await;
    assert!(matches!(
        rotate(&store, &old, "d3", 100).await,
        Err(RotateError::Expired)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_one_token_have_one_winner_and_revoke_the_family() {
    let store = store().await;
    let r1 = start(&store, "f1", "d1", FAR).await;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            let r1 = r1.clone();
            tokio::spawn(async move { rotate(&store, &r1, &format!("n{i}"), 100).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(RotateError::ReuseDetected | RotateError::Revoked) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(wins, 1);
    let family = store.find_family("alice", "f1").await.unwrap().unwrap();
    assert!(
        family.revoked.is_some(),
        "the losers' reuse revoked the family"
    );
}

#[tokio::test]
async fn logout_revokes_every_family_and_records_the_time() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let tokens = [
        start(&store, "f1", "a", FAR).await,
        start(&store, "f2", "b", FAR).await,
    ];
    assert_eq!(store.end_sessions("alice", 1_000).await.unwrap(), 2);
    for token in &tokens {
        assert!(matches!(
            rotate(&store, token, &format!("{}-next", token.digest), 1_001).await,
            Err(RotateError::Revoked)
        ));
    }
    let state = store
        .revocation_state("alice", "any", None, true)
        .await
        .unwrap();
    assert_eq!(state.logout_at, Some(1_000));
    assert!(state.rejects(1_000), "issued in the logout's second");
    assert!(!state.rejects(1_001));
}

#[tokio::test]
async fn revoked_access_tokens_are_listed() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let state = store
        .revocation_state("alice", "j1", None, false)
        .await
        .unwrap();
    assert!(!state.revoked && state.logout_at.is_none());
    store.revoke_access("j1", "alice", FAR).await.unwrap();
    assert!(
        store
            .revocation_state("alice", "j1", None, true)
            .await
            .unwrap()
            .revoked
    );
    assert!(
        !store
            .revocation_state("alice", "j2", None, true)
            .await
            .unwrap()
            .revoked
    );
}

#[tokio::test]
async fn clients_are_created_once_and_found() {
    let store = store().await;
    let client = ClientRecord {
        client_id: "svc".into(),
        secret_hash: "$argon2id$fake".into(),
        scopes: vec!["read".into(), "write".into()],
        name: "Service".into(),
        created_at: 5,
    };
    store.create_client(&client).await.unwrap();
    assert!(matches!(
        store.create_client(&client).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.find_client("svc").await.unwrap(), Some(client));
    assert_eq!(store.find_client("other").await.unwrap(), None);
}

#[tokio::test]
async fn failures_lock_with_growing_bounded_durations() {
    let store = store().await;
    let policy = LockoutPolicy {
        account_threshold: 3,
        base_secs: 10,
        max_secs: 25,
        window_secs: 100,
        ..LockoutPolicy::default()
    };
    let key = LockKey::Account("alice");
    let mut locks = Vec::new();
    for _ in 0..5 {
        locks.push(store.record_failure(key, &policy, 1_000).await.unwrap());
    }
    assert_eq!(locks, [0, 0, 10, 20, 25]);
    assert_eq!(
        store
            .locked_until(&[key, LockKey::Ip("1.2.3.4")], 1_000)
            .await
            .unwrap(),
        Some(1_025)
    );
    // Expired locks no longer count.
    assert_eq!(store.locked_until(&[key], 1_025).await.unwrap(), None);
    // Past the window, counting starts again.
    assert_eq!(store.record_failure(key, &policy, 1_200).await.unwrap(), 0);
    store.clear_failures(key).await.unwrap();
    assert_eq!(store.locked_until(&[key], 1_000).await.unwrap(), None);
}

#[tokio::test]
async fn a_counter_outlives_its_lock_so_the_next_failure_locks_longer() {
    let store = store().await;
    let policy = LockoutPolicy {
        account_threshold: 2,
        base_secs: 10,
        max_secs: 40,
        window_secs: 100,
        ..LockoutPolicy::default()
    };
    let key = LockKey::Account("bob");
    assert_eq!(store.record_failure(key, &policy, 1_000).await.unwrap(), 0);
    assert_eq!(store.record_failure(key, &policy, 1_000).await.unwrap(), 10);
    // The lock has ended (1_010) but the counter is remembered: one more failure locks for
    // twice as long, not after `threshold` fresh guesses.
    assert_eq!(store.locked_until(&[key], 1_011).await.unwrap(), None);
    assert_eq!(store.record_failure(key, &policy, 1_011).await.unwrap(), 20);
    assert_eq!(
        store.locked_until(&[key], 1_011).await.unwrap(),
        Some(1_031)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_failures_are_all_counted() {
    let store = store().await;
    let policy = LockoutPolicy {
        account_threshold: 100,
        ..LockoutPolicy::default()
    };
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record_failure(LockKey::Ip("10.0.0.1"), &policy, 5_000)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // Failure 11 of a threshold of 10 locks for base * 2.
    let strict = LockoutPolicy {
        account_threshold: 10,
        ip_threshold: 10,
        ..policy
    };
    assert_eq!(
        store
            .record_failure(LockKey::Ip("10.0.0.1"), &strict, 5_000)
            .await
            .unwrap(),
        strict.lock_secs(11, 10)
    );
}

#[tokio::test]
async fn user_names_and_client_ids_never_coincide() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let client = |id: &str| ClientRecord {
        client_id: id.into(),
        secret_hash: "$argon2id$fake".into(),
        scopes: vec![],
        name: id.into(),
        created_at: 5,
    };
    // A client may not take a user's name, nor a user a client's id: both are token subjects.
    assert!(matches!(
        store.create_client(&client("alice")).await,
        Err(StoreError::AlreadyExists)
    ));
    store.create_client(&client("billing")).await.unwrap();
    let billing = NewUser {
        username: "billing",
        ..alice()
    };
    assert!(matches!(
        store.create_user(&billing).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(store.find_user("billing").await.unwrap().is_none());
}

#[tokio::test]
async fn a_revoked_family_revokes_its_access_tokens() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    start(&store, "f1", "a", FAR).await;
    let live = store
        .revocation_state("alice", "j1", Some("f1"), true)
        .await
        .unwrap();
    assert!(!live.rejects(10));
    store.revoke_family("alice", "f1", "revoked").await.unwrap();
    let state = store
        .revocation_state("alice", "j1", Some("f1"), true)
        .await
        .unwrap();
    assert!(state.family_revoked && state.rejects(10));
    // Another family, or none, is not affected.
    start(&store, "f2", "b", FAR).await;
    for fam in [Some("f2"), None] {
        let state = store
            .revocation_state("alice", "j2", fam, true)
            .await
            .unwrap();
        assert!(!state.rejects(10), "{fam:?}");
    }
}
