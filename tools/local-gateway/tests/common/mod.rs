//! Harness for the gateway's tests: the built functions under the Runtime API harness (`test-support`)
//! behind an in-process [`Invoker`], moto_server for DynamoDB and SSM, the gateway on a free
//! loopback port, and a small HTTP client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_sdk_ssm::types::ParameterType;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use local_gateway::cfn::Identity;
use local_gateway::template::{self, LoadOptions};
use local_gateway::{Error, Gateway, Invocation, Invoker, server};
use serde_json::{Value, json};
use test_support::runtime_api::{Function, Outcome};
use test_support::tokens::{access_claims, sign_hs256};
use test_support::{parameters, tables, unique};
use tokio::net::TcpListener;
use tokio::sync::OnceCell;

pub const SECRET: &str = "gateway-test-secret-0123456789abcdef-0123";
pub use test_support::token_generator::PASSWORD;

/// A stand-in function: answers from the event alone.
pub type Stub = Arc<dyn Fn(&Value) -> Invocation + Send + Sync>;

enum Backend {
    Real(Arc<Function>),
    Stub(Stub),
}

/// Invokes the built binaries (or stubs) in process, counting calls and keeping every event
/// and answer.
#[derive(Default)]
pub struct LocalInvoker {
    functions: HashMap<String, Backend>,
    log: Mutex<Vec<(String, Value, Option<Invocation>)>>,
}

impl LocalInvoker {
    pub fn with_function(mut self, name: &str, function: Function) -> Self {
        self.functions
            .insert(name.to_owned(), Backend::Real(Arc::new(function)));
        self
    }

    pub fn with_stub(mut self, name: &str, stub: Stub) -> Self {
        self.functions.insert(name.to_owned(), Backend::Stub(stub));
        self
    }

    /// How many times `name` was invoked.
    pub fn calls(&self, name: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _, _)| n == name)
            .count()
    }

    /// The last event `name` got and what it answered.
    pub fn last(&self, name: &str) -> (Value, Option<Invocation>) {
        let log = self.log.lock().unwrap();
        let (_, event, answer) = log
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} was never invoked"));
        (event.clone(), answer.clone())
    }

    /// What a real function wrote to its log.
    pub fn logs(&self, name: &str) -> String {
        match self.functions.get(name) {
            Some(Backend::Real(function)) => function.logs(),
            _ => String::new(),
        }
    }
}

impl Invoker for LocalInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Invocation, Error> {
        let answer = match self.functions.get(function) {
            Some(Backend::Real(real)) => {
                let real = Arc::clone(real);
                let event = payload.clone();
                let outcome = tokio::task::spawn_blocking(move || real.invoke(&event))
                    .await
                    .unwrap();
                Some(match outcome {
                    Outcome::Response(value) => Invocation::Response(value),
                    Outcome::Error {
                        error_type,
                        error_message,
                    } => Invocation::Error {
                        error_type,
                        error_message,
                    },
                })
            }
            Some(Backend::Stub(stub)) => Some(stub(&payload)),
            None => None,
        };
        self.log
            .lock()
            .unwrap()
            .push((function.to_owned(), payload, answer.clone()));
        answer.ok_or_else(|| Error::Invoke {
            function: function.to_owned(),
            message: "no such function".to_owned(),
        })
    }
}

/// The moto resources every test shares: the table and the SSM parameters `make dev` creates.
pub struct Setup {
    pub table: String,
    pub secret_param: String,
    pub ttl_param: String,
    pub rules_param: String,
}

pub fn workspace_template() -> PathBuf {
    test_support::workspace_root().join("template.yaml")
}

/// The route rules as template.yaml deploys them.
pub fn template_route_rules() -> String {
    let (stack, _) = template::load(&workspace_template(), &LoadOptions::default()).unwrap();
    stack.doc["Resources"]["RouteRulesParameter"]["Properties"]["Value"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn setup() -> &'static Setup {
    static SETUP: OnceCell<Setup> = OnceCell::const_new();
    SETUP
        .get_or_init(|| async {
            // The harness's table and parameter helpers run on runtimes of their own.
            tokio::task::spawn_blocking(|| {
                let app = unique("gw");
                let setup = Setup {
                    table: tables::create("users"),
                    secret_param: format!("/{app}/auth/jwt-secret"),
                    ttl_param: format!("/{app}/auth/token/time"),
                    rules_param: format!("/{app}/auth/route-rules"),
                };
                let rules = template_route_rules();
                for (name, value, kind) in [
                    (&setup.secret_param, SECRET, ParameterType::SecureString),
                    (&setup.ttl_param, "900", ParameterType::String),
                    (&setup.rules_param, rules.as_str(), ParameterType::String),
                ] {
                    parameters::put(name, value, kind);
                }
                setup
            })
            .await
            .unwrap()
        })
        .await
}

/// The functions as `make dev` configures them (tools/dev.sh writes the same variables).
pub async fn functions() -> LocalInvoker {
    let setup = setup().await;
    functions_with(&[
        ("JWT_SECRET_PARAM", setup.secret_param.clone()),
        ("ACCESS_TOKEN_TTL_PARAM", setup.ttl_param.clone()),
    ])
    .await
}

/// The functions on moto with the shared table and route rules, plus `extra` (the key source,
/// the issuer, lifetimes...).
pub async fn functions_with(extra: &[(&str, String)]) -> LocalInvoker {
    let setup = setup().await;
    let mut env: Vec<(&str, String)> = test_support::moto::aws_env();
    env.push(("USERS_TABLE", setup.table.clone()));
    env.push(("ROUTE_RULES_PARAM", setup.rules_param.clone()));
    // Every test registers its users from 127.0.0.1 into the one table: the per-address
    // registration throttle (tested in tests/tests/hardening.rs) would refuse the eleventh.
    env.push(("REGISTER_IP_LIMIT", "0".to_owned()));
    env.extend(extra.iter().cloned());
    let built = |name| test_support::functions::start(name, &env);
    LocalInvoker::default()
        .with_function("token_generator", built("token_generator"))
        .with_function("authorizer", built("authorizer"))
}

/// A running gateway.
pub struct Running {
    pub base: String,
    pub gateway: Arc<Gateway<LocalInvoker>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn invoker(&self) -> &LocalInvoker {
        self.gateway.invoker()
    }

    pub fn authorizer_calls(&self) -> usize {
        self.invoker().calls("authorizer")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `template` (with `parameters` overridden) through `invoker` on a free port.
pub async fn start(
    template: PathBuf,
    parameters: &[(&str, &str)],
    invoker: LocalInvoker,
) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_on(listener, template, parameters, invoker)
}

/// Serves like [`start`], on a listener the caller bound: for tests whose functions must know
/// the gateway's address before they start (it is in the issuer URL).
pub fn start_on(
    listener: TcpListener,
    template: PathBuf,
    parameters: &[(&str, &str)],
    invoker: LocalInvoker,
) -> Running {
    let options = LoadOptions {
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..LoadOptions::default()
    };
    let (_, api) = template::load(&template, &options).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let gateway = Arc::new(Gateway::new(api, Identity::default(), invoker));
    let task = server::spawn(listener, Arc::clone(&gateway));
    Running {
        base,
        gateway,
        task,
    }
}

/// The gateway for the workspace's template.yaml with the real functions.
pub async fn gateway(parameters: &[(&str, &str)]) -> Running {
    start(workspace_template(), parameters, functions().await).await
}

/// An HTTP response as the client saw it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn user() -> String {
    format!("{}@example.com", unique("user"))
}

pub fn credentials(user: &str) -> String {
    json!({"username": user, "password": PASSWORD}).to_string()
}

/// Registers `user` and logs in through the gateway; the token response.
pub async fn sign_in(running: &Running, user: &str) -> Value {
    let json = [("content-type", "application/json")];
    let body = credentials(user);
    let registered = send(
        "POST",
        &format!("{}/auth/register", running.base),
        &json,
        &body,
    )
    .await;
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let login = send(
        "POST",
        &format!("{}/auth/login", running.base),
        &json,
        &body,
    )
    .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    login.json()
}

/// An access token signed with the test secret, with the given scope.
pub fn token_with_scope(sub: &str, scope: &str) -> String {
    let mut claims = access_claims(sub, &unique("jti"));
    claims["scope"] = json!(scope);
    sign_hs256(&claims, SECRET)
}
