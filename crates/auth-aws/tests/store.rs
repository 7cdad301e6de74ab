//! The DynamoDB store against moto_server, through the real SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{
    AttemptReservation, ClientRecord, Family, LockKey, NewUser, RefreshRecord, Reserved,
    RotateError, Store, StoreError, ThrottleKey, emulator_sdk_config,
};
use auth_core::{LockoutPolicy, ThrottlePolicy};
use test_support::moto::moto;

async fn store() -> Store {
    let sdk = emulator_sdk_config(&moto().endpoint).await;
    let store = Store::new(&sdk, test_support::unique("users"));
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
        .revocation_state("alice", "any", Some("f1"), true)
        .await
        .unwrap();
    assert_eq!(state.logout_at, Some(1_000));
    assert!(state.rejects(1_000), "issued in the logout's second");
    let later = store
        .revocation_state("alice", "any", Some("f3"), true)
        .await
        .unwrap();
    assert!(!later.rejects(1_001));
    // A token without a family is a client's (client_credentials, `sub` = its id): a user of
    // the same name logging out does not touch it.
    let client_token = store
        .revocation_state("alice", "any", None, true)
        .await
        .unwrap();
    assert_eq!(client_token.logout_at, None);
    assert!(!client_token.rejects(1_000));
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

fn granted(reservation: AttemptReservation<'_>) -> Reserved<'_> {
    match reservation {
        AttemptReservation::Granted(reserved) => reserved,
        AttemptReservation::Refused { until } => panic!("refused until {until}"),
    }
}

#[tokio::test]
async fn attempts_are_counted_before_the_check_and_lock_with_growing_bounded_durations() {
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
    for _ in 0..3 {
        locks.push(granted(store.reserve_attempt(key, &policy, 1_000).await.unwrap()).lock_secs);
    }
    // The third attempt is the last one before the lock, which holds from its reservation.
    assert_eq!(locks, [0, 0, 10]);
    assert_eq!(
        store.reserve_attempt(key, &policy, 1_009).await.unwrap(),
        AttemptReservation::Refused { until: 1_010 }
    );
    // After the lock one attempt is granted, and it locks for twice as long, up to the cap.
    assert_eq!(
        granted(store.reserve_attempt(key, &policy, 1_010).await.unwrap()).lock_secs,
        20
    );
    assert_eq!(
        store.reserve_attempt(key, &policy, 1_029).await.unwrap(),
        AttemptReservation::Refused { until: 1_030 }
    );
    assert_eq!(
        granted(store.reserve_attempt(key, &policy, 1_030).await.unwrap()).lock_secs,
        25
    );
    // Another counter is not affected; past the window, counting starts again.
    let ip = LockKey::Ip("1.2.3.4");
    assert_eq!(
        granted(store.reserve_attempt(ip, &policy, 1_031).await.unwrap()).lock_secs,
        0
    );
    assert_eq!(
        granted(store.reserve_attempt(key, &policy, 1_200).await.unwrap()).lock_secs,
        0
    );
    store.clear_failures(key).await.unwrap();
}

#[tokio::test]
async fn a_released_attempt_gives_its_place_and_its_lock_back() {
    let store = store().await;
    let policy = LockoutPolicy {
        ip_threshold: 2,
        base_secs: 10,
        max_secs: 40,
        window_secs: 100,
        ..LockoutPolicy::default()
    };
    let key = LockKey::Ip("10.9.8.7");
    granted(store.reserve_attempt(key, &policy, 1_000).await.unwrap());
    let second = granted(store.reserve_attempt(key, &policy, 1_000).await.unwrap());
    assert_eq!(second.lock_secs, 10);
    // A success (or an attempt another counter refused) gives its reservation back: the lock it
    // started is lifted and the count is one less, so the next attempt is the second again.
    store.release_attempt(&second).await.unwrap();
    let again = granted(store.reserve_attempt(key, &policy, 1_001).await.unwrap());
    assert_eq!(again.lock_secs, 10);
    assert!(matches!(
        store.reserve_attempt(key, &policy, 1_002).await.unwrap(),
        AttemptReservation::Refused { until: 1_011 }
    ));
    // A threshold of 0 counts nothing.
    let off = LockoutPolicy {
        ip_threshold: 0,
        ..policy
    };
    let free = granted(store.reserve_attempt(key, &off, 1_002).await.unwrap());
    assert!(!free.counted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_attempts_get_at_most_threshold_reservations() {
    let store = store().await;
    let policy = LockoutPolicy {
        account_threshold: 4,
        ..LockoutPolicy::default()
    };
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                matches!(
                    store
                        .reserve_attempt(LockKey::Account("carol"), &policy, 5_000)
                        .await
                        .unwrap(),
                    AttemptReservation::Granted(_)
                )
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.unwrap());
    }
    assert_eq!(granted, 4);
}

#[tokio::test]
async fn user_names_and_client_ids_are_separate_namespaces() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let client = |id: &str| ClientRecord {
        client_id: id.into(),
        secret_hash: "$argon2id$fake".into(),
        scopes: vec![],
        name: id.into(),
        created_at: 5,
    };
    // A client may have a user's name and a user a client's id: neither creation looks at the
    // other namespace (user tokens carry `fam`, a client's own tokens never do).
    store.create_client(&client("alice")).await.unwrap();
    store.create_client(&client("billing")).await.unwrap();
    let billing = NewUser {
        username: "billing",
        ..alice()
    };
    store.create_user(&billing).await.unwrap();
    assert!(store.find_user("billing").await.unwrap().is_some());
    assert!(store.find_client("alice").await.unwrap().is_some());
    // Within a namespace a name is still taken once.
    assert!(matches!(
        store.create_user(&billing).await,
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.create_client(&client("alice")).await,
        Err(StoreError::AlreadyExists)
    ));
}

#[tokio::test]
async fn registrations_are_throttled_per_address_and_window() {
    let store = store().await;
    let policy = ThrottlePolicy {
        limit: 2,
        window_secs: 60,
    };
    let key = ThrottleKey::Register("192.0.2.1");
    assert_eq!(
        store.count_request(key, &policy, 1_000).await.unwrap(),
        None
    );
    assert_eq!(
        store.count_request(key, &policy, 1_010).await.unwrap(),
        None
    );
    assert_eq!(
        store.count_request(key, &policy, 1_020).await.unwrap(),
        Some(40)
    );
    // Another address has its own window; a closed window opens again.
    let other = ThrottleKey::Register("192.0.2.2");
    assert_eq!(
        store.count_request(other, &policy, 1_020).await.unwrap(),
        None
    );
    assert_eq!(
        store.count_request(key, &policy, 1_060).await.unwrap(),
        None
    );
    let off = ThrottlePolicy { limit: 0, ..policy };
    for _ in 0..3 {
        assert_eq!(store.count_request(key, &off, 1_061).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_never_exceed_the_limit() {
    let store = store().await;
    let policy = ThrottlePolicy {
        limit: 3,
        window_secs: 3_600,
    };
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .count_request(ThrottleKey::Register("198.51.100.1"), &policy, 7_000)
                    .await
                    .unwrap()
                    .is_none()
            })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(task.await.unwrap());
    }
    assert_eq!(admitted, 3);
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
