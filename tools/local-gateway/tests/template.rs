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
use local_gateway::template::{self, LoadOptions};

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

fn load(parameters: &[(&str, &str)]) -> Api {
    let options = LoadOptions {
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..LoadOptions::default()
    };
    template::load(&template_path(), &options).unwrap().1
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
    assert!(validation.is_match("Bearer abc.def.ghi"));
    assert!(!validation.is_match("Basic abc"));
    let unauthorized = &api.gateway_responses["UNAUTHORIZED"];
    assert!(
        unauthorized
            .headers
            .contains(&("WWW-Authenticate".to_owned(), "Bearer".to_owned()))
    );
}

#[test]
fn parameters_can_be_overridden() {
    let api = load(&[("AuthorizerCacheTtl", "0"), ("Environment", "prod")]);
    assert_eq!(api.stage, "prod");
    assert_eq!(api.authorizers["JwtAuthorizer"].ttl, Duration::ZERO);
}
