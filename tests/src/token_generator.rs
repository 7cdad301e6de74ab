//! What tests ask the built `token_generator`, through the sample events in
//! `events/token_generator/`: registering, the grants, revocation, introspection and logout.
//! Each returns the response; the ones a scenario only passes through assert their success.

use serde_json::{Value, json};

use crate::requests::{basic, filled, form_value, with_body, with_token};
use crate::responses::{body, status};
use crate::runtime_api::Function;

/// The password the sample events carry (`register.json`, `login.json`, the password grants).
pub const PASSWORD: &str = "correct horse battery staple";

/// The sample event `name` of `events/token_generator/`.
fn sample(name: &str) -> String {
    format!("token_generator/{name}")
}

/// `POST /auth/register` of `user` with `password`.
pub fn register_event(user: &str, password: &str) -> Value {
    with_body(
        crate::event(&sample("register.json")),
        &json!({"username": user, "password": password}).to_string(),
    )
}

/// Registers `user` with `password`, asserting it is created.
pub fn register(function: &Function, user: &str, password: &str) {
    let response = function.invoke(&register_event(user, password)).response();
    assert_eq!(status(&response), 201, "{response}");
}

/// The password grant (a form body), asking for `scope` when given.
pub fn password_grant(
    function: &Function,
    user: &str,
    password: &str,
    scope: Option<&str>,
) -> Value {
    let mut body = format!(
        "grant_type=password&username={}&password={}",
        form_value(user),
        form_value(password)
    );
    if let Some(scope) = scope {
        body.push_str(&format!("&scope={}", form_value(scope)));
    }
    let event = with_body(crate::event(&sample("token-password-form.json")), &body);
    function.invoke(&event).response()
}

/// Signs `user` in with the password grant, asserting success; the token response.
pub fn login(function: &Function, user: &str, password: &str) -> Value {
    let response = password_grant(function, user, password, None);
    assert_eq!(status(&response), 200, "{response}");
    body(&response)
}

/// The refresh-token grant with `refresh_token` as it is, asking for `scope` when given.
pub fn refresh(function: &Function, refresh_token: &str, scope: Option<&str>) -> Value {
    let mut event = filled(
        &sample("token-refresh-form.json"),
        &[("REPLACE_WITH_REFRESH_TOKEN", refresh_token)],
    );
    if let Some(scope) = scope {
        let body = format!(
            "{}&scope={}",
            event["body"].as_str().unwrap(),
            form_value(scope)
        );
        event = with_body(event, &body);
    }
    function.invoke(&event).response()
}

/// The client credentials grant, the client authenticating with HTTP Basic.
pub fn client_credentials(function: &Function, id: &str, secret: &str) -> Value {
    let event = filled(
        &sample("token-client-credentials-basic.json"),
        &[("REPLACE_WITH_BASIC", &basic(id, secret))],
    );
    function.invoke(&event).response()
}

/// `POST /revoke` of `token` as it is, by a public client.
pub fn revoke(function: &Function, token: &str) -> Value {
    let event = filled(&sample("revoke.json"), &[("REPLACE_WITH_TOKEN", token)]);
    function.invoke(&event).response()
}

/// `POST /introspect` of `token` as it is, by the client `(id, secret)`.
pub fn introspect(function: &Function, client: (&str, &str), token: &str) -> Value {
    let event = filled(
        &sample("introspect.json"),
        &[
            ("REPLACE_WITH_BASIC", &basic(client.0, client.1)),
            ("REPLACE_WITH_TOKEN", token),
        ],
    );
    function.invoke(&event).response()
}

/// `POST /auth/logout` with `access_token`.
pub fn logout(function: &Function, access_token: &str) -> Value {
    let event = with_token(&sample("logout.json"), access_token);
    function.invoke(&event).response()
}
