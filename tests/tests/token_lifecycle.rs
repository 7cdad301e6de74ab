//! The token lifecycle through the built binaries, against moto_server: key sets of every
//! algorithm and their rotation, the JWKS and metadata, refresh-token families and reuse
//! detection, revocation, introspection, client credentials, scopes from roles, and lockout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use auth_core::{KeyAlgorithm, KeyStatus, generate_jwk};
use serde_json::{Value, json};
use test_support::authorizer::allowed;
use test_support::functions::on_table;
use test_support::key_sets::{self, public_jwks};
use test_support::requests::{basic, filled, form_value, with_body};
use test_support::responses::{assert_oauth_error, body, header, status};
use test_support::runtime_api::Function;
use test_support::token_generator::{
    PASSWORD, introspect, login, password_grant, refresh, register, revoke,
};
use test_support::tokens::{claims_of, header_of};
use test_support::{block_on, event, tables, unique};

const CLIENT_SECRET: &str = "client-secret-for-tests-0123456789";

/// A token_generator over `table` signing with `keys`.
fn issuer_fn(table: &str, keys: &Value, extra: &[(&str, &str)]) -> Function {
    on_table("token_generator", table, &keys.to_string(), extra)
}

fn ev(name: &str) -> Value {
    event(&format!("token_generator/{name}"))
}

fn user() -> String {
    unique("user")
}

fn create_client(table: &str, id: &str, scopes: &[&str]) {
    tables::create_client(table, id, CLIENT_SECRET, scopes);
}

fn authorizer(keys: &str) -> Function {
    Function::start("authorizer", &[("SIGNING_KEYS", keys)])
}

#[test]
fn every_algorithm_signs_tokens_the_authorizer_accepts_with_public_keys_only() {
    let table = tables::create("lifecycle");
    for alg in [
        KeyAlgorithm::ES256,
        KeyAlgorithm::EdDSA,
        KeyAlgorithm::RS256,
        KeyAlgorithm::HS256,
    ] {
        let keys = key_sets::active(alg);
        let function = issuer_fn(&table, &keys, &[]);
        let user = user();
        register(&function, &user, PASSWORD);
        let tokens = login(&function, &user, PASSWORD);
        let access = tokens["access_token"].as_str().unwrap();
        let header = header_of(access);
        assert_eq!(header["alg"], alg.name());
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], keys["keys"][0]["kid"]);
        let claims = claims_of(access);
        assert_eq!(claims["client_id"], "public");
        assert_eq!(claims["type"], "access");
        // Asymmetric keys: the authorizer needs only the public JWKS.
        let verify_keys = if alg == KeyAlgorithm::HS256 {
            keys.to_string()
        } else {
            public_jwks(&keys).to_string()
        };
        let checker = authorizer(&verify_keys);
        assert!(allowed(&checker, access), "{alg:?}");
        // A token of another key of the same algorithm is refused.
        let other = issuer_fn(&table, &key_sets::active(alg), &[]);
        let foreign = login(&other, &user, PASSWORD);
        assert!(
            !allowed(&checker, foreign["access_token"].as_str().unwrap()),
            "{alg:?}"
        );
    }
}

#[test]
fn rotation_keeps_old_tokens_valid_while_new_ones_use_the_new_kid() {
    let table = tables::create("lifecycle");
    let mut old_key = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
    let before = json!({ "keys": [old_key.clone()] });
    let function = issuer_fn(&table, &before, &[]);
    let user = user();
    register(&function, &user, PASSWORD);
    let old_tokens = login(&function, &user, PASSWORD);

    // Rotate: a new active key; the old one retired, still verifying.
    old_key["status"] = json!("retired");
    old_key["retired_at"] = json!(1);
    let new_key = generate_jwk(KeyAlgorithm::EdDSA, KeyStatus::Active).unwrap();
    let after = json!({ "keys": [new_key.clone(), old_key.clone()] });
    let rotated = issuer_fn(&table, &after, &[]);
    let new_tokens = login(&rotated, &user, PASSWORD);
    let new_access = new_tokens["access_token"].as_str().unwrap();
    assert_eq!(header_of(new_access)["kid"], new_key["kid"]);

    let checker = authorizer(&public_jwks(&after).to_string());
    assert!(allowed(
        &checker,
        old_tokens["access_token"].as_str().unwrap()
    ));
    assert!(allowed(&checker, new_access));
    // A refresh token signed by the retired key still refreshes, into new-key tokens.
    let refreshed = refresh(
        &rotated,
        old_tokens["refresh_token"].as_str().unwrap(),
        None,
    );
    assert_eq!(status(&refreshed), 200, "{refreshed}");
    let refreshed = body(&refreshed);
    assert_eq!(
        header_of(refreshed["access_token"].as_str().unwrap())["kid"],
        new_key["kid"]
    );
    // Both keys are published during the grace period.
    let jwks = body(&rotated.invoke(&ev("jwks.json")).response());
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

    // Once the retired key is removed, its tokens are refused.
    let pruned = authorizer(&public_jwks(&json!({ "keys": [new_key] })).to_string());
    assert!(!allowed(
        &pruned,
        old_tokens["access_token"].as_str().unwrap()
    ));
    assert!(allowed(&pruned, new_access));
}

#[test]
fn jwks_and_metadata_are_published_with_caching_headers() {
    let table = tables::create("lifecycle");
    let mut pending = generate_jwk(KeyAlgorithm::RS256, KeyStatus::Pending).unwrap();
    pending["created_at"] = json!(1);
    let hmac = generate_jwk(KeyAlgorithm::HS256, KeyStatus::Retired).unwrap();
    let active = generate_jwk(KeyAlgorithm::ES256, KeyStatus::Active).unwrap();
    let keys = json!({ "keys": [active.clone(), pending.clone(), hmac] });
    let function = issuer_fn(&table, &keys, &[("ROLE_SCOPES", r#"{"user": ["read"]}"#)]);

    let response = function.invoke(&ev("jwks.json")).response();
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("public, max-age=300")
    );
    let jwks = body(&response);
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(
        published.len(),
        2,
        "the HMAC key is never published: {jwks}"
    );
    let text = jwks.to_string();
    for private in ["\"d\"", "\"p\"", "\"q\"", "\"k\"", "status"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    assert!(published.iter().any(|k| k["kid"] == active["kid"]));
    assert!(published.iter().any(|k| k["kid"] == pending["kid"]));

    // The issuer `lambda-api` is no URL: no metadata document could tell the truth.
    for name in [
        "openid-configuration.json",
        "oauth-authorization-server.json",
    ] {
        let response = function.invoke(&ev(name)).response();
        assert_eq!(status(&response), 404, "{response}");
        assert_eq!(body(&response)["error"], "not_found");
    }

    // With an issuer URL every endpoint hangs off it, whatever Host or X-Forwarded-* say, and
    // the document is the same at all three paths (RFC 8414 §3.1's path insertion included).
    let issuer = "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod";
    let function = issuer_fn(
        &table,
        &keys,
        &[
            ("TOKEN_ISSUER", issuer),
            ("ROLE_SCOPES", r#"{"user": ["read"]}"#),
        ],
    );
    let mut spoofed = ev("openid-configuration.json");
    spoofed["headers"]["host"] = json!("evil.example");
    spoofed["headers"]["x-forwarded-proto"] = json!("http");
    let response = function.invoke(&spoofed).response();
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("public, max-age=300")
    );
    let meta = body(&response);
    assert_eq!(meta["issuer"], issuer);
    assert_eq!(meta["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(meta["revocation_endpoint"], format!("{issuer}/revoke"));
    assert_eq!(
        meta["introspection_endpoint"],
        format!("{issuer}/introspect")
    );
    assert_eq!(meta["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(
        meta["grant_types_supported"],
        json!(["password", "refresh_token", "client_credentials"])
    );
    assert_eq!(meta["response_types_supported"], json!(["none"]));
    assert_eq!(meta["scopes_supported"], json!(["read"]));
    assert!(!meta.to_string().contains("evil.example"));
    let rfc8414 = body(
        &function
            .invoke(&ev("oauth-authorization-server.json"))
            .response(),
    );
    assert_eq!(rfc8414, meta);
    let mut inserted = ev("oauth-authorization-server.json");
    for (path, expected) in [
        ("/.well-known/oauth-authorization-server/prod", 200),
        ("/.well-known/oauth-authorization-server/prod/", 200),
        ("/.well-known/oauth-authorization-server/dev", 404),
        ("/.well-known/oauth-authorization-server/prod/x", 404),
    ] {
        inserted["path"] = json!(path);
        inserted["resource"] = json!("/.well-known/oauth-authorization-server/{proxy+}");
        inserted["requestContext"]["path"] = json!(path);
        let response = function.invoke(&inserted).response();
        assert_eq!(status(&response), expected, "{path}: {response}");
        if expected == 200 {
            assert_eq!(body(&response), meta, "{path}");
        }
    }
    // POST is not how these are read.
    let post = with_body(ev("jwks.json"), "{}");
    let mut post = post;
    post["requestContext"]["http"]["method"] = json!("POST");
    assert_eq!(status(&function.invoke(&post).response()), 405);
}

#[test]
fn a_reused_refresh_token_revokes_the_whole_family() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(&table, &key_sets::active(KeyAlgorithm::ES256), &[]);
    let user = user();
    register(&function, &user, PASSWORD);
    let first = login(&function, &user, PASSWORD);
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = refresh(&function, r1, None);
    assert_eq!(status(&second), 200, "{second}");
    let r2 = body(&second)["refresh_token"].as_str().unwrap().to_owned();
    // Refresh tokens are opaque handles, not JWTs: 256 random bits, never the same twice.
    for token in [r1, r2.as_str()] {
        assert_eq!(token.len(), 43, "{token}");
        assert!(!token.contains('.'), "{token}");
    }
    assert_ne!(r1, r2);
    assert_eq!(
        claims_of(body(&second)["access_token"].as_str().unwrap())["fam"],
        claims_of(first["access_token"].as_str().unwrap())["fam"],
        "rotation stays in the family"
    );
    // The thief (or a replay) presents r1 again: refused, and the family dies.
    assert_oauth_error(&refresh(&function, r1, None), 400, "invalid_grant");
    assert_oauth_error(&refresh(&function, &r2, None), 400, "invalid_grant");
    let logs = function.logs_containing("refresh_token_reuse");
    assert!(logs.contains("refresh_token_reuse"), "{logs}");
    let metric = function.logs_containing("RefreshReuseDetected");
    assert!(metric.contains("\"CloudWatchMetrics\""), "{metric}");
    // Other sign-ins are not affected.
    let other = login(&function, &user, PASSWORD);
    assert_eq!(
        status(&refresh(
            &function,
            other["refresh_token"].as_str().unwrap(),
            None
        )),
        200
    );
}

#[test]
fn revocation_introspection_and_logout() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(&table, &key_sets::active(KeyAlgorithm::EdDSA), &[]);
    create_client(&table, "inspector", &[]);
    let client = ("inspector", CLIENT_SECRET);
    let user = user();
    register(&function, &user, PASSWORD);

    // Introspection needs client authentication.
    let tokens = login(&function, &user, PASSWORD);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let anonymous = function
        .invoke(&filled(
            "token_generator/introspect.json",
            &[
                ("Basic REPLACE_WITH_BASIC", "Bearer x"),
                ("REPLACE_WITH_TOKEN", access),
            ],
        ))
        .response();
    assert_oauth_error(&anonymous, 401, "invalid_client");
    assert!(
        header(&anonymous, "www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    assert_oauth_error(
        &introspect(&function, ("inspector", "wrong-secret"), access),
        401,
        "invalid_client",
    );

    let answer = body(&introspect(&function, client, access));
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], user.as_str());
    assert_eq!(answer["client_id"], "public");
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer["exp"].as_u64().unwrap() > answer["iat"].as_u64().unwrap());
    let answer = body(&introspect(&function, client, refresh_token));
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], user.as_str());
    assert_eq!(answer["client_id"], "public");
    // RFC 7662 §2.2's token_type is the RFC 6749 type of a token presented to resources.
    assert!(answer.get("token_type").is_none(), "{answer}");
    for other in ["not.a.token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_eq!(
            body(&introspect(&function, client, other)),
            json!({"active": false})
        );
    }

    // Revoking the refresh token kills its family; revoking the access token lists it.
    assert_eq!(status(&revoke(&function, refresh_token)), 200);
    assert_oauth_error(
        &refresh(&function, refresh_token, None),
        400,
        "invalid_grant",
    );
    assert_eq!(
        body(&introspect(&function, client, refresh_token))["active"],
        false
    );
    assert_eq!(status(&revoke(&function, access)), 200);
    assert_eq!(
        body(&introspect(&function, client, access))["active"],
        false
    );
    // Unknown tokens are answered 200 too (RFC 7009 §2.2); a missing one is a bad request.
    assert_eq!(status(&revoke(&function, "garbage")), 200);
    let missing = function
        .invoke(&with_body(
            ev("revoke.json"),
            "token_type_hint=access_token",
        ))
        .response();
    assert_oauth_error(&missing, 400, "invalid_request");

    // Logout: every family of the user is revoked and older access tokens are inactive.
    let a = login(&function, &user, PASSWORD);
    let b = login(&function, &user, PASSWORD);
    let logout = filled(
        "token_generator/logout.json",
        &[(
            "REPLACE_WITH_ACCESS_TOKEN",
            a["access_token"].as_str().unwrap(),
        )],
    );
    assert_eq!(status(&function.invoke(&logout).response()), 200);
    for tokens in [&a, &b] {
        assert_oauth_error(
            &refresh(&function, tokens["refresh_token"].as_str().unwrap(), None),
            400,
            "invalid_grant",
        );
        assert_eq!(
            body(&introspect(
                &function,
                client,
                tokens["access_token"].as_str().unwrap()
            ))["active"],
            false
        );
    }
    // No token ever reaches the logs.
    let logs = function.logs();
    for token in [access, refresh_token] {
        assert!(!logs.contains(token));
    }
}

/// A v2 event of `name` with `body` and, when given, HTTP Basic client credentials.
fn v2(name: &str, body: &str, client: Option<(&str, &str)>) -> Value {
    let mut event = with_body(ev(name), body);
    let headers = event["headers"].as_object_mut().unwrap();
    headers.remove("authorization");
    if let Some((id, secret)) = client {
        headers.insert(
            "authorization".to_owned(),
            json!(format!("Basic {}", basic(id, secret))),
        );
    }
    event
}

#[test]
fn refresh_scope_logout_and_family_revocation_edges() {
    let table = tables::create("lifecycle");
    let keys = key_sets::active(KeyAlgorithm::ES256);
    let function = issuer_fn(
        &table,
        &keys,
        &[("ROLE_SCOPES", r#"{"user":["orders:read","orders:write"]}"#)],
    );
    create_client(&table, "inspector", &[]);
    let client = ("inspector", CLIENT_SECRET);
    let user = user();
    register(&function, &user, PASSWORD);
    let tokens = body(&password_grant(
        &function,
        &user,
        PASSWORD,
        Some("orders:read"),
    ));
    let r1 = tokens["refresh_token"].as_str().unwrap();

    // RFC 6749 §6: asking a refresh for more than was granted is invalid_scope, and the refresh
    // token is not spent by the refused request (no false reuse alarm on the retry).
    assert_oauth_error(
        &refresh(&function, r1, Some("orders:read orders:write")),
        400,
        "invalid_scope",
    );
    let second = refresh(&function, r1, Some("orders:read"));
    assert_eq!(status(&second), 200, "{second}");
    assert_eq!(body(&second)["scope"], "orders:read");
    assert!(!function.logs().contains("refresh_token_reuse"));

    // An access token of a family dies with it: revoking the family's refresh token (RFC 7009
    // §2.1) makes the access tokens it issued inactive.
    let second = body(&second);
    let access = second["access_token"].as_str().unwrap();
    assert!(claims_of(access)["fam"].is_string());
    assert_eq!(body(&introspect(&function, client, access))["active"], true);
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_eq!(status(&revoke(&function, r2)), 200);
    assert_eq!(
        body(&introspect(&function, client, access))["active"],
        false
    );

    // Reuse detection kills the thief's access token as well as the family.
    let fresh = login(&function, &user, PASSWORD);
    let r = fresh["refresh_token"].as_str().unwrap();
    let stolen = body(&refresh(&function, r, None));
    assert_oauth_error(&refresh(&function, r, None), 400, "invalid_grant");
    let thief_access = stolen["access_token"].as_str().unwrap();
    assert_eq!(
        body(&introspect(&function, client, thief_access))["active"],
        false
    );

    // A sign-in right after a logout (same second) yields live tokens.
    let a = login(&function, &user, PASSWORD);
    let logout = filled(
        "token_generator/logout.json",
        &[(
            "REPLACE_WITH_ACCESS_TOKEN",
            a["access_token"].as_str().unwrap(),
        )],
    );
    assert_eq!(status(&function.invoke(&logout).response()), 200);
    let b = login(&function, &user, PASSWORD);
    let b_access = b["access_token"].as_str().unwrap();
    assert_eq!(
        body(&introspect(&function, client, b_access))["active"],
        true
    );
    assert_eq!(
        status(&refresh(
            &function,
            b["refresh_token"].as_str().unwrap(),
            None
        )),
        200
    );
    assert_eq!(
        body(&introspect(
            &function,
            client,
            a["access_token"].as_str().unwrap()
        ))["active"],
        false
    );
}

#[test]
fn confidential_clients_own_their_tokens() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(&table, &key_sets::active(KeyAlgorithm::EdDSA), &[]);
    create_client(&table, "svc", &["orders:read"]);
    create_client(&table, "other", &[]);
    let user = user();
    register(&function, &user, PASSWORD);
    // A user signs in through the confidential client svc: the tokens are svc's.
    let body_text = format!(
        "grant_type=password&username={}&password={}",
        form_value(&user),
        form_value(PASSWORD)
    );
    let response = function
        .invoke(&v2(
            "token-client-credentials-basic.json",
            &body_text,
            Some(("svc", CLIENT_SECRET)),
        ))
        .response();
    assert_eq!(status(&response), 200, "{response}");
    let tokens = body(&response);
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["client_id"],
        "svc"
    );
    let revoke_body = format!("token={}", form_value(refresh_token));

    // RFC 7009 §2.1: not without svc's credentials (401 with a challenge), not by another client.
    let anonymous = function
        .invoke(&v2("revoke.json", &revoke_body, None))
        .response();
    assert_oauth_error(&anonymous, 401, "invalid_client");
    assert!(header(&anonymous, "www-authenticate").is_some());
    let other = function
        .invoke(&v2(
            "revoke.json",
            &revoke_body,
            Some(("other", CLIENT_SECRET)),
        ))
        .response();
    assert_oauth_error(&other, 400, "unauthorized_client");
    // Nor refreshed without them.
    assert_oauth_error(
        &refresh(&function, refresh_token, None),
        401,
        "invalid_client",
    );
    let owner = function
        .invoke(&v2(
            "revoke.json",
            &revoke_body,
            Some(("svc", CLIENT_SECRET)),
        ))
        .response();
    assert_eq!(status(&owner), 200, "{owner}");
    assert_eq!(
        body(&introspect(
            &function,
            ("svc", CLIENT_SECRET),
            refresh_token
        ))["active"],
        false
    );

    // Body credentials that fail get the Basic challenge too (RFC 9110 §15.5.2).
    let wrong = function
        .invoke(&v2(
            "introspect.json",
            "token=x&client_id=svc&client_secret=wrong",
            None,
        ))
        .response();
    assert_oauth_error(&wrong, 401, "invalid_client");
    assert!(
        header(&wrong, "www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );

    // A client's own token: active, with no user name (it has no `fam`).
    let cc = function
        .invoke(&v2(
            "token-client-credentials-basic.json",
            "grant_type=client_credentials",
            Some(("svc", CLIENT_SECRET)),
        ))
        .response();
    let cc_access = body(&cc)["access_token"].as_str().unwrap().to_owned();
    let answer = body(&introspect(&function, ("other", CLIENT_SECRET), &cc_access));
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], "svc");
    assert!(answer.get("username").is_none(), "{answer}");
    assert!(claims_of(&cc_access).get("fam").is_none());
    // User names are their own namespace: a user may be named like a client (tests/hardening.rs
    // has the rest of that story).
    let same_name = with_body(
        ev("register.json"),
        &json!({"username": "svc", "password": PASSWORD}).to_string(),
    );
    assert_eq!(status(&function.invoke(&same_name).response()), 201);
}

#[test]
fn revoke_and_introspect_refuse_malformed_requests() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(&table, &key_sets::active(KeyAlgorithm::ES256), &[]);
    create_client(&table, "inspector", &[]);
    let client = Some(("inspector", CLIENT_SECRET));
    for name in ["revoke.json", "introspect.json"] {
        // GET is not allowed.
        let mut get = v2(name, "", client);
        get["requestContext"]["http"]["method"] = json!("GET");
        let response = function.invoke(&get).response();
        assert_eq!(status(&response), 405, "{response}");
        assert!(header(&response, "allow").unwrap().contains("POST"));
        // A body that is not a form, a repeated parameter, a repeated JSON key, a missing token.
        for (content_type, body_text, code) in [
            ("application/x-www-form-urlencoded", "token=a&token=b", 400),
            ("application/json", r#"{"token":"a","token":"b"}"#, 400),
            ("application/json", "{", 400),
            ("text/plain", "token=a", 400),
            ("application/x-www-form-urlencoded", "", 400),
        ] {
            let mut event = v2(name, body_text, client);
            event["headers"]["content-type"] = json!(content_type);
            let response = function.invoke(&event).response();
            assert_oauth_error(&response, code, "invalid_request");
        }
        // An oversized body: 413.
        let big = format!("token={}", "a".repeat(20_000));
        assert_oauth_error(
            &function.invoke(&v2(name, &big, client)).response(),
            413,
            "invalid_request",
        );
    }
}

#[test]
fn a_token_request_may_name_a_configured_resource() {
    let table = tables::create("lifecycle");
    let keys = key_sets::active(KeyAlgorithm::ES256);
    let orders = "https://orders.example.com";
    let function = issuer_fn(&table, &keys, &[("TOKEN_RESOURCES", orders)]);
    create_client(&table, "billing", &["orders:read"]);
    let ask = |resource: &str| {
        let text = format!(
            "grant_type=client_credentials&resource={}",
            form_value(resource)
        );
        function
            .invoke(&v2(
                "token-client-credentials-basic.json",
                &text,
                Some(("billing", CLIENT_SECRET)),
            ))
            .response()
    };
    // RFC 8707 §2: the resource becomes the audience, so our authorizer (configured for its
    // own audience) refuses the token: it is for another API.
    let response = ask(orders);
    assert_eq!(status(&response), 200, "{response}");
    let access = body(&response)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&access)["aud"], orders);
    assert!(!allowed(
        &authorizer(&public_jwks(&keys).to_string()),
        &access
    ));
    // Naming the configured audience is the same as naming none.
    let response = ask(test_support::AUDIENCE);
    assert_eq!(status(&response), 200, "{response}");
    let access = body(&response)["access_token"].as_str().unwrap().to_owned();
    assert!(allowed(
        &authorizer(&public_jwks(&keys).to_string()),
        &access
    ));
    // Anything else is invalid_target, for every grant.
    assert_oauth_error(&ask("https://evil.example"), 400, "invalid_target");
    let user = user();
    register(&function, &user, PASSWORD);
    let signed_in = login(&function, &user, PASSWORD);
    let text = format!(
        "grant_type=refresh_token&refresh_token={}&resource={}",
        form_value(signed_in["refresh_token"].as_str().unwrap()),
        form_value("urn:unknown")
    );
    let refused = function
        .invoke(&v2("token-refresh-form.json", &text, None))
        .response();
    assert_oauth_error(&refused, 400, "invalid_target");
    // The refused refresh did not spend the token.
    let response = refresh(
        &function,
        signed_in["refresh_token"].as_str().unwrap(),
        None,
    );
    assert_eq!(status(&response), 200, "{response}");
}

#[test]
fn client_credentials_issue_narrowed_access_tokens_only() {
    let table = tables::create("lifecycle");
    let keys = key_sets::active(KeyAlgorithm::ES256);
    let function = issuer_fn(&table, &keys, &[]);
    create_client(&table, "billing", &["orders:read", "reports:read"]);
    let basic_event = |id: &str, secret: &str| {
        filled(
            "token_generator/token-client-credentials-basic.json",
            &[("REPLACE_WITH_BASIC", &basic(id, secret))],
        )
    };

    // Asked for orders:read and orders:write; may have orders:read and reports:read.
    let response = function
        .invoke(&basic_event("billing", CLIENT_SECRET))
        .response();
    assert_eq!(status(&response), 200, "{response}");
    let tokens = body(&response);
    assert_eq!(tokens["scope"], "orders:read");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let claims = claims_of(access);
    assert_eq!(claims["sub"], "billing");
    assert_eq!(claims["client_id"], "billing");
    // RFC 9068 §2.2: aud (the audience the harness configures), iat, jti, exp.
    assert_eq!(claims["aud"], test_support::AUDIENCE);
    for claim in ["iat", "jti", "exp", "iss"] {
        assert!(claims.get(claim).is_some(), "{claim} in {claims}");
    }
    assert_eq!(header_of(access)["typ"], "at+jwt");
    assert!(allowed(
        &authorizer(&public_jwks(&keys).to_string()),
        access
    ));

    // Body credentials, no scope asked: everything allowed.
    let post = filled(
        "token_generator/token-client-credentials-post.json",
        &[
            ("REPLACE_WITH_CLIENT_ID", "billing"),
            ("REPLACE_WITH_CLIENT_SECRET", CLIENT_SECRET),
        ],
    );
    let tokens = body(&function.invoke(&post).response());
    assert_eq!(tokens["scope"], "orders:read reports:read", "{tokens}");

    // Nothing allowed asked for; wrong secret; unknown client; both methods at once.
    let event = with_body(
        basic_event("billing", CLIENT_SECRET),
        "grant_type=client_credentials&scope=admin",
    );
    assert_oauth_error(&function.invoke(&event).response(), 400, "invalid_scope");
    let wrong = function.invoke(&basic_event("billing", "nope")).response();
    assert_oauth_error(&wrong, 401, "invalid_client");
    assert!(
        header(&wrong, "www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    assert_oauth_error(
        &function
            .invoke(&basic_event("nobody", CLIENT_SECRET))
            .response(),
        401,
        "invalid_client",
    );
    let both = with_body(
        basic_event("billing", CLIENT_SECRET),
        &format!("grant_type=client_credentials&client_id=billing&client_secret={CLIENT_SECRET}"),
    );
    assert_oauth_error(&function.invoke(&both).response(), 400, "invalid_request");
    let none = with_body(
        ev("token-client-credentials-post.json"),
        "grant_type=client_credentials",
    );
    assert_oauth_error(&function.invoke(&none).response(), 401, "invalid_client");
    // The client's secret never reaches the logs.
    assert!(!function.logs().contains(CLIENT_SECRET));
}

#[test]
fn user_scopes_come_from_roles_and_can_be_narrowed() {
    let table = tables::create("lifecycle");
    let roles = r#"{"user": ["read"], "admin": ["admin", "read"]}"#;
    let function = issuer_fn(
        &table,
        &key_sets::active(KeyAlgorithm::ES256),
        &[("ROLE_SCOPES", roles)],
    );
    let user = user();
    register(&function, &user, PASSWORD);
    assert_eq!(login(&function, &user, PASSWORD)["scope"], "read");
    block_on(tables::store(&table).set_roles(&user, &["admin".to_owned()])).unwrap();
    let tokens = login(&function, &user, PASSWORD);
    assert_eq!(tokens["scope"], "admin read");
    let narrowed = password_grant(&function, &user, PASSWORD, Some("admin"));
    assert_eq!(body(&narrowed)["scope"], "admin", "{narrowed}");
    assert_eq!(
        claims_of(body(&narrowed)["access_token"].as_str().unwrap())["scope"],
        "admin"
    );
    assert_oauth_error(
        &password_grant(&function, &user, PASSWORD, Some("root")),
        400,
        "invalid_scope",
    );
    // A refresh may narrow the access token; the family keeps what sign-in granted.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refreshed = refresh(&function, refresh_token, Some("read"));
    assert_eq!(status(&refreshed), 200, "{refreshed}");
    let refreshed = body(&refreshed);
    assert_eq!(refreshed["scope"], "read");
    let again = body(&refresh(
        &function,
        refreshed["refresh_token"].as_str().unwrap(),
        None,
    ));
    assert_eq!(again["scope"], "admin read", "{again}");
}

#[test]
fn repeated_failures_lock_the_account_for_a_bounded_time() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(
        &table,
        &key_sets::active(KeyAlgorithm::ES256),
        &[
            ("LOCKOUT_THRESHOLD", "3"),
            ("LOCKOUT_BASE_SECONDS", "2"),
            ("LOCKOUT_MAX_SECONDS", "8"),
        ],
    );
    let user = user();
    register(&function, &user, PASSWORD);
    for _ in 0..3 {
        assert_oauth_error(
            &password_grant(&function, &user, "wrong password!", None),
            400,
            "invalid_grant",
        );
    }
    // Locked: even the right password is refused, without being checked.
    let locked = password_grant(&function, &user, PASSWORD, None);
    assert_oauth_error(&locked, 429, "too_many_attempts");
    let retry: u64 = header(&locked, "retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // Another account from the same address is not locked (the IP threshold is higher).
    let other = unique("user");
    register(&function, &other, PASSWORD);
    login(&function, &other, PASSWORD);
    // The lock ends by itself, but the count is remembered: the next failure locks for twice
    // as long (2 s, then 4 s), never more than LOCKOUT_MAX_SECONDS.
    std::thread::sleep(Duration::from_secs(retry + 1));
    assert_oauth_error(
        &password_grant(&function, &user, "wrong password!", None),
        400,
        "invalid_grant",
    );
    let locked = password_grant(&function, &user, PASSWORD, None);
    assert_oauth_error(&locked, 429, "too_many_attempts");
    let longer: u64 = header(&locked, "retry-after").unwrap().parse().unwrap();
    assert!((3..=4).contains(&longer), "{longer}");
    std::thread::sleep(Duration::from_secs(longer + 1));
    login(&function, &user, PASSWORD);
    assert!(
        function
            .logs_containing("lockout")
            .contains("security_event")
    );
}

#[test]
fn the_source_address_locks_too_and_the_answer_can_be_invalid_grant() {
    let table = tables::create("lifecycle");
    let function = issuer_fn(
        &table,
        &key_sets::active(KeyAlgorithm::ES256),
        &[
            ("LOCKOUT_IP_THRESHOLD", "4"),
            ("LOCKOUT_BASE_SECONDS", "60"),
            ("LOCKOUT_RESPONSE", "invalid_grant"),
        ],
    );
    create_client(&table, "svc", &["read"]);
    let user = user();
    register(&function, &user, PASSWORD);
    // Four failures against four different (unknown) accounts from one address.
    for i in 0..4 {
        let response = password_grant(&function, &format!("nobody-{i}"), "x", None);
        assert_oauth_error(&response, 400, "invalid_grant");
    }
    // The address is locked: the real user's right password gets the same answer as a wrong one.
    assert_oauth_error(
        &password_grant(&function, &user, PASSWORD, None),
        400,
        "invalid_grant",
    );
    // Client authentication is not: clients are never locked out (tests/hardening.rs).
    let event = with_body(
        filled(
            "token_generator/token-client-credentials-basic.json",
            &[("REPLACE_WITH_BASIC", &basic("svc", CLIENT_SECRET))],
        ),
        "grant_type=client_credentials",
    );
    let response = function.invoke(&event).response();
    assert_eq!(status(&response), 200, "{response}");
    // From another address the user signs in.
    let mut event = with_body(
        ev("token-password-form.json"),
        &format!(
            "grant_type=password&username={}&password={}",
            form_value(&user),
            form_value(PASSWORD)
        ),
    );
    // A REST (v1) event: the address is in the identity.
    event["requestContext"]["identity"]["sourceIp"] = json!("198.51.100.7");
    let response = function.invoke(&event).response();
    assert_eq!(status(&response), 200, "{response}");
}
