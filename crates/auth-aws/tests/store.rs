//! The DynamoDB store against moto_server, through the real SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{NewUser, Store, StoreError, emulator_sdk_config};
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
    }
}

#[tokio::test]
async fn registered_user_can_be_found() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let user = store.find_user("alice").await.unwrap().unwrap();
    assert_eq!(user.password_hash, "$argon2id$fake");
    assert_eq!(user.session_epoch, 0);
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
async fn rotation_consumes_the_old_token() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let first = auth_aws::RefreshRecord {
        sub: "alice".into(),
        jti: "r1".into(),
        epoch: 0,
        expires_at: 99,
    };
    store.save_refresh(&first).await.unwrap();
    let second = store
        .rotate_refresh("alice", "r1", "r2", 100)
        .await
        .unwrap();
    assert_eq!(second.jti, "r2");
    assert!(matches!(
        store.rotate_refresh("alice", "r1", "r3", 100).await,
        Err(StoreError::ConditionFailed)
    ));
    store
        .rotate_refresh("alice", "r2", "r4", 100)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_rotations_of_one_token_have_at_most_one_winner() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    let first = auth_aws::RefreshRecord {
        sub: "alice".into(),
        jti: "r1".into(),
        epoch: 0,
        expires_at: 99,
    };
    store.save_refresh(&first).await.unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .rotate_refresh("alice", "r1", &format!("n{i}"), 100)
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn ending_sessions_kills_every_refresh_token() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    for jti in ["a", "b", "c"] {
        let record = auth_aws::RefreshRecord {
            sub: "alice".into(),
            jti: jti.into(),
            epoch: 0,
            expires_at: 99,
        };
        store.save_refresh(&record).await.unwrap();
    }
    store.end_sessions("alice").await.unwrap();
    for jti in ["a", "b", "c"] {
        assert!(matches!(
            store.rotate_refresh("alice", jti, "x", 100).await,
            Err(StoreError::ConditionFailed)
        ));
    }
    assert_eq!(
        store
            .find_user("alice")
            .await
            .unwrap()
            .unwrap()
            .session_epoch,
        1
    );
}

#[tokio::test]
async fn a_token_surviving_cleanup_is_still_dead_after_logout() {
    let store = store().await;
    store.create_user(&alice()).await.unwrap();
    store.end_sessions("alice").await.unwrap();
    // Written with the old epoch, as a refresh racing the logout would have.
    let late = auth_aws::RefreshRecord {
        sub: "alice".into(),
        jti: "late".into(),
        epoch: 0,
        expires_at: 99,
    };
    store.save_refresh(&late).await.unwrap();
    assert!(matches!(
        store.rotate_refresh("alice", "late", "x", 100).await,
        Err(StoreError::ConditionFailed)
    ));
}

#[tokio::test]
async fn logout_of_unknown_user_is_harmless() {
    let store = store().await;
    store.end_sessions("nobody").await.unwrap();
}
