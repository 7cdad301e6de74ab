//! Account administration through the built binaries, against moto_server: a changed role set
//! narrows the next refresh; signed-out, disabled and deleted accounts lose their sessions (and,
//! with REVOCATION_CHECK, their access tokens); a disabled account signs in as a wrong password
//! does; POST /auth/password changes the password and ends every session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_aws::{Family, RefreshRecord, Store};
use auth_core::{KeyAlgorithm, RefreshToken};
use serde_json::{Value, json};
use test_support::authorizer::allowed;
use test_support::functions::on_table;
use test_support::requests::{form, with_body, with_token};
use test_support::responses::{assert_oauth_error, body, status};
use test_support::runtime_api::Function;
use test_support::token_generator::{
    PASSWORD, login, password_grant, refresh, register, register_event,
};
use test_support::tokens::{claims_of, now};
use test_support::{block_on, event, key_sets, tables, unique};

const NEW_PASSWORD: &str = "tr0ub4dor & three more words";
const ROLE_SCOPES: &str = r#"{"user": ["read"], "admin": ["admin", "read"]}"#;

/// A fresh table on the shared moto_server, and the store over it.
fn table() -> (String, Store) {
    let table = tables::create("accounts");
    let store = tables::store(&table);
    (table, store)
}

/// One function of the stack over `table`, with one key set.
struct Stack {
    table: String,
    keys: String,
    issuer: Function,
}

impl Stack {
    fn new(table: &str, extra: &[(&str, &str)]) -> Self {
        let keys = key_sets::active(KeyAlgorithm::ES256).to_string();
        let mut all = vec![("ROLE_SCOPES", ROLE_SCOPES)];
        all.extend_from_slice(extra);
        let issuer = on_table("token_generator", table, &keys, &all);
        Self {
            table: table.to_owned(),
            keys,
            issuer,
        }
    }

    /// An authorizer with REVOCATION_CHECK (no caching) over the same table and keys.
    fn checking_authorizer(&self) -> Function {
        on_table(
            "authorizer",
            &self.table,
            &self.keys,
            &[("REVOCATION_CHECK", "true"), ("REVOCATION_CACHE_TTL", "0")],
        )
    }

    fn invoke(&self, event: &Value) -> Value {
        self.issuer.invoke(event).response()
    }

    fn register(&self, user: &str) {
        register(&self.issuer, user, PASSWORD);
    }

    fn password_grant(&self, user: &str, password: &str) -> Value {
        password_grant(&self.issuer, user, password, None)
    }

    /// Signs in; the token response.
    fn login(&self, user: &str, password: &str) -> Value {
        login(&self.issuer, user, password)
    }

    fn refresh(&self, token: &str, scope: Option<&str>) -> Value {
        refresh(&self.issuer, token, scope)
    }

    /// POST /auth/password with `access_token` and a JSON body.
    fn change_password(&self, access_token: &str, body: &Value) -> Value {
        let event = with_token("token_generator/password.json", access_token);
        self.invoke(&with_body(event, &body.to_string()))
    }
}

fn field<'a>(tokens: &'a Value, name: &str) -> &'a str {
    tokens[name].as_str().unwrap()
}

/// The answer to a wrong password, to compare the other refusals with.
fn wrong_password(stack: &Stack, user: &str) -> Value {
    let response = stack.password_grant(user, "not the password at all");
    assert_oauth_error(&response, 400, "invalid_grant");
    body(&response)
}

/// A family started directly in the table, as a sign-in racing an administrator's change would
/// leave it: its refresh token is live whatever the profile says.
fn live_family(store: &Store, user: &str) -> (String, RefreshToken) {
    let now = now();
    let family = Family {
        sub: user.to_owned(),
        id: unique("family"),
        generation: 0,
        client_id: "public".to_owned(),
        scope: Some("read".to_owned()),
        issued_at: now,
        expires_at: now + 3600,
        revoked: None,
    };
    let token = RefreshToken::generate().unwrap();
    let first = RefreshRecord::first(&family, token.digest(), 3600);
    block_on(store.start_family(&family, &first)).unwrap();
    (family.id, token)
}

#[test]
fn a_changed_role_set_narrows_the_next_refresh() {
    let (table, store) = table();
    let stack = Stack::new(&table, &[]);
    let user = unique("carol");
    stack.register(&user);
    block_on(store.set_roles(&user, &["admin".to_owned()])).unwrap();
    let tokens = stack.login(&user, PASSWORD);
    assert_eq!(tokens["scope"], "admin read");

    // `authctl user roles carol --roles user`: the next refresh issues `read` only.
    block_on(store.set_roles(&user, &["user".to_owned()])).unwrap();
    // Asking for the scope taken away is refused, and leaves the refresh token usable.
    let refused = stack.refresh(field(&tokens, "refresh_token"), Some("admin"));
    assert_oauth_error(&refused, 400, "invalid_scope");
    let refreshed = stack.refresh(field(&tokens, "refresh_token"), None);
    assert_eq!(status(&refreshed), 200, "{refreshed}");
    let refreshed = body(&refreshed);
    assert_eq!(refreshed["scope"], "read");
    assert_eq!(
        claims_of(field(&refreshed, "access_token"))["scope"],
        "read"
    );

    // No roles at all: no scope.
    block_on(store.set_roles(&user, &[])).unwrap();
    let bare = body(&stack.refresh(field(&refreshed, "refresh_token"), None));
    assert!(bare.get("scope").is_none(), "{bare}");
    assert!(
        claims_of(field(&bare, "access_token"))
            .get("scope")
            .is_none()
    );

    // The role given back: up to the family's grant again, never past it.
    block_on(store.set_roles(&user, &["admin".to_owned(), "root".to_owned()])).unwrap();
    let restored = body(&stack.refresh(field(&bare, "refresh_token"), None));
    assert_eq!(restored["scope"], "admin read", "{restored}");
}

#[test]
fn a_disabled_account_can_neither_refresh_nor_sign_in_and_says_so_like_a_wrong_password() {
    let (table, store) = table();
    let stack = Stack::new(&table, &[]);
    let authorizer = stack.checking_authorizer();
    let user = unique("dave");
    stack.register(&user);
    let tokens = stack.login(&user, PASSWORD);
    assert!(allowed(&authorizer, field(&tokens, "access_token")));

    assert_eq!(block_on(store.disable_user(&user, now())).unwrap(), 1);
    let refused = stack.refresh(field(&tokens, "refresh_token"), None);
    assert_oauth_error(&refused, 400, "invalid_grant");
    assert!(!allowed(&authorizer, field(&tokens, "access_token")));
    // The right password is answered as a wrong one, at /token and at /auth/login.
    let expected = wrong_password(&stack, &user);
    let right = stack.password_grant(&user, PASSWORD);
    assert_eq!(status(&right), 400);
    assert_eq!(body(&right), expected);
    let login = stack.invoke(&with_body(
        event("token_generator/login.json"),
        &json!({"username": user, "password": PASSWORD}).to_string(),
    ));
    assert_eq!(status(&login), 400);
    assert_eq!(body(&login), expected);

    // A family the disable did not see (a sign-in racing it) refreshes nothing either, and is
    // not rotated by the attempt.
    let (family, handle) = live_family(&store, &user);
    assert_oauth_error(&stack.refresh(handle.as_str(), None), 400, "invalid_grant");
    let stored = block_on(store.find_family(&user, &family))
        .unwrap()
        .unwrap();
    assert_eq!(stored.generation, 0);
    assert!(stored.revoked.is_none());
    assert!(stack.issuer.logs().contains("user_disabled"));

    // Enabled again: signing in works; the sessions ended by the disable stay ended.
    block_on(store.enable_user(&user)).unwrap();
    assert_oauth_error(
        &stack.refresh(field(&tokens, "refresh_token"), None),
        400,
        "invalid_grant",
    );
    let again = stack.login(&user, PASSWORD);
    assert_eq!(
        status(&stack.refresh(field(&again, "refresh_token"), None)),
        200
    );
}

#[test]
fn a_deleted_account_is_gone_and_its_name_stays_taken() {
    let (table, store) = table();
    let stack = Stack::new(&table, &[]);
    let authorizer = stack.checking_authorizer();
    let user = unique("erin");
    stack.register(&user);
    let tokens = stack.login(&user, PASSWORD);
    let (_, raced) = live_family(&store, &user);

    assert_eq!(block_on(store.delete_user(&user, now())).unwrap(), 2);
    assert!(block_on(store.find_user(&user)).unwrap().is_none());
    for token in [field(&tokens, "refresh_token"), raced.as_str()] {
        assert_oauth_error(&stack.refresh(token, None), 400, "invalid_grant");
    }
    // The tombstone keeps the logout time: the access token is refused with REVOCATION_CHECK.
    assert!(!allowed(&authorizer, field(&tokens, "access_token")));
    let expected = wrong_password(&stack, &user);
    assert_eq!(body(&stack.password_grant(&user, PASSWORD)), expected);
    // The name is never registered again: `sub` is never reassigned.
    let again = stack.invoke(&register_event(&user, PASSWORD));
    assert_oauth_error(&again, 409, "user_exists");
    // An administrator's other commands find no user.
    assert!(block_on(store.sign_out(&user, now())).is_err());
    assert!(block_on(store.set_roles(&user, &["admin".to_owned()])).is_err());
}

#[test]
fn signing_a_user_out_ends_every_session_and_with_revocation_check_the_access_tokens() {
    let (table, store) = table();
    let stack = Stack::new(&table, &[]);
    let authorizer = stack.checking_authorizer();
    let user = unique("frank");
    stack.register(&user);
    let phone = stack.login(&user, PASSWORD);
    let laptop = stack.login(&user, PASSWORD);
    assert_eq!(block_on(store.sign_out(&user, now())).unwrap(), 2);
    for tokens in [&phone, &laptop] {
        assert_oauth_error(
            &stack.refresh(field(tokens, "refresh_token"), None),
            400,
            "invalid_grant",
        );
        assert!(!allowed(&authorizer, field(tokens, "access_token")));
    }
    // Signing in again works at once.
    let fresh = stack.login(&user, PASSWORD);
    assert!(allowed(&authorizer, field(&fresh, "access_token")));
}

#[test]
fn changing_the_password_ends_every_session() {
    let (table, _) = table();
    let stack = Stack::new(&table, &[]);
    let authorizer = stack.checking_authorizer();
    let user = unique("grace");
    stack.register(&user);
    let this = stack.login(&user, PASSWORD);
    let other = stack.login(&user, PASSWORD);

    let answer = stack.change_password(
        field(&this, "access_token"),
        &json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}),
    );
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(body(&answer).get("access_token").is_none());
    for tokens in [&this, &other] {
        assert_oauth_error(
            &stack.refresh(field(tokens, "refresh_token"), None),
            400,
            "invalid_grant",
        );
        assert!(!allowed(&authorizer, field(tokens, "access_token")));
    }
    // The old password is gone, the new one signs in (in the same second too).
    assert_oauth_error(&stack.password_grant(&user, PASSWORD), 400, "invalid_grant");
    let fresh = stack.login(&user, NEW_PASSWORD);
    assert!(allowed(&authorizer, field(&fresh, "access_token")));
    assert_eq!(
        status(&stack.refresh(field(&fresh, "refresh_token"), None)),
        200
    );
    // The token the change was made with can make no second one.
    let replay = stack.change_password(
        field(&this, "access_token"),
        &json!({"old_password": NEW_PASSWORD, "new_password": "yet another good passphrase"}),
    );
    assert_oauth_error(&replay, 401, "invalid_token");
}

#[test]
fn a_wrong_old_password_is_a_failed_sign_in_and_counts_towards_the_lockout() {
    let (table, _) = table();
    let stack = Stack::new(
        &table,
        &[("LOCKOUT_THRESHOLD", "3"), ("LOCKOUT_BASE_SECONDS", "60")],
    );
    let user = unique("heidi");
    stack.register(&user);
    let tokens = stack.login(&user, PASSWORD);
    let access = field(&tokens, "access_token");
    let wrong = json!({"old_password": "not my password", "new_password": NEW_PASSWORD});
    let first = stack.change_password(access, &wrong);
    assert_oauth_error(&first, 400, "invalid_grant");
    assert_eq!(body(&first), wrong_password(&stack, &user));
    // The third failure locks the account, for the right old password too.
    assert_oauth_error(&stack.change_password(access, &wrong), 400, "invalid_grant");
    let right = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD});
    assert_oauth_error(
        &stack.change_password(access, &right),
        429,
        "too_many_attempts",
    );
    assert_oauth_error(
        &stack.password_grant(&user, PASSWORD),
        429,
        "too_many_attempts",
    );
    // Nothing changed meanwhile: the session is still alive.
    assert_eq!(
        status(&stack.refresh(field(&tokens, "refresh_token"), None)),
        200
    );
}

#[test]
fn a_password_change_needs_a_live_access_token_and_a_good_new_password() {
    let (table, _) = table();
    let stack = Stack::new(&table, &[]);
    let user = unique("ivan");
    stack.register(&user);
    let tokens = stack.login(&user, PASSWORD);
    let access = field(&tokens, "access_token");
    let good = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD});

    // No token, or not one of ours.
    let mut anonymous = event("token_generator/password.json");
    anonymous["headers"]
        .as_object_mut()
        .unwrap()
        .remove("Authorization");
    anonymous["multiValueHeaders"]
        .as_object_mut()
        .unwrap()
        .remove("Authorization");
    let anonymous = with_body(anonymous, &good.to_string());
    assert_oauth_error(&stack.invoke(&anonymous), 401, "invalid_token");
    assert_oauth_error(
        &stack.change_password("abc.def.ghi", &good),
        401,
        "invalid_token",
    );
    // A refresh token is no access token.
    assert_oauth_error(
        &stack.change_password(field(&tokens, "refresh_token"), &good),
        401,
        "invalid_token",
    );
    // Missing, weak or unchanged passwords.
    for bad in [
        json!({"new_password": NEW_PASSWORD}),
        json!({"old_password": PASSWORD}),
        json!({"old_password": PASSWORD, "new_password": "short"}),
        json!({"old_password": PASSWORD, "new_password": user}),
        json!({"old_password": PASSWORD, "new_password": PASSWORD}),
    ] {
        assert_oauth_error(&stack.change_password(access, &bad), 400, "invalid_request");
    }
    // None of that changed anything: the session is alive, the password the same.
    let refreshed = body(&stack.refresh(field(&tokens, "refresh_token"), None));
    // A form body works as well as JSON.
    let text = event("token_generator/password.json")
        .to_string()
        .replace(
            "REPLACE_WITH_ACCESS_TOKEN",
            field(&refreshed, "access_token"),
        )
        .replace("application/json", "application/x-www-form-urlencoded");
    let event = with_body(
        serde_json::from_str(&text).unwrap(),
        &form(&[("old_password", PASSWORD), ("new_password", NEW_PASSWORD)]),
    );
    assert_eq!(status(&stack.invoke(&event)), 200);
    stack.login(&user, NEW_PASSWORD);
}
