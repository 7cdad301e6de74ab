//! Every sample event in events/ parses as the API Gateway shape it claims to be, so a broken
//! sample fails loudly here rather than confusingly in a scenario.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use test_support::{event, workspace_root};

fn files(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("events").join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    names
}

#[test]
fn token_generator_events_are_api_gateway_http_events() {
    for name in files("token_generator") {
        let value = event(&format!("token_generator/{name}"));
        let parsed: Result<lambda_http::request::LambdaRequest, _> = serde_json::from_value(value);
        assert!(parsed.is_ok(), "{name}: {:?}", parsed.err());
    }
}

#[test]
fn example_route_rules_parse() {
    let text =
        std::fs::read_to_string(workspace_root().join("docs/route-rules.example.json")).unwrap();
    auth_core::RouteRules::parse(&text).unwrap();
}

#[test]
fn authorizer_events_have_their_flavours_shape() {
    for name in files("authorizer") {
        let value = event(&format!("authorizer/{name}"));
        if name == "not-an-event.json" {
            continue;
        }
        let ok = if name.starts_with("http-api-v2") {
            serde_json::from_value::<ApiGatewayV2CustomAuthorizerV2Request>(value).is_ok()
        } else if name.starts_with("rest-request") || name.starts_with("websocket") {
            serde_json::from_value::<ApiGatewayCustomAuthorizerRequestTypeRequest>(value).is_ok()
        } else {
            assert_eq!(value["type"], "TOKEN", "{name}");
            serde_json::from_value::<ApiGatewayCustomAuthorizerRequest>(value).is_ok()
        };
        assert!(ok, "{name} does not parse as its flavour");
    }
}
