//! The token issuer: POST /token (password, refresh_token and client_credentials grants),
//! POST /revoke, POST /introspect, /auth/register, /auth/login, /auth/logout, the JWKS and the
//! server metadata under /.well-known, and GET /health, for REST (v1) and HTTP API (v2) events.

mod accounts;
mod body;
mod clients;
mod discovery;
mod error;
mod grants;
mod lifecycle;
mod metrics;
mod response;
mod routes;
mod scope;

use std::convert::Infallible;

use auth_aws::{ConfigLoader, Store};
use auth_core::PasswordHasher;
use lambda_http::{Body, Error, Request, RequestExt as _, Response, service_fn};
use telemetry::Invocation;

use crate::metrics::RequestMetrics;

/// Everything a request needs, built once per cold start.
pub struct App {
    pub loader: ConfigLoader,
    pub store: Store,
    pub hasher: PasswordHasher,
    pub metrics: RequestMetrics,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init_logging("token_generator");
    let app = match App::load().await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err);
        }
    };
    let app = &app;
    lambda_http::run(service_fn(move |request: Request| async move {
        let context = request.lambda_context_ref();
        let _invocation = Invocation::start(
            context.map_or("", |c| c.request_id.as_str()),
            context.and_then(|c| c.xray_trace_id.as_deref()),
        );
        let response = routes::handle(app, request).await;
        app.metrics.flush();
        Ok::<Response<Body>, Infallible>(response)
    }))
    .await
}

impl App {
    async fn load() -> Result<Self, Error> {
        let loader = ConfigLoader::from_env().await?;
        let config = loader.config();
        let table = config.users_table.clone().ok_or("USERS_TABLE is not set")?;
        if config.issuer.is_none() {
            return Err("the signing key set has no private key for its active key".into());
        }
        let sdk = auth_aws::sdk_config().await;
        Ok(Self {
            loader,
            store: Store::new(&sdk, table),
            hasher: PasswordHasher::new(),
            metrics: RequestMetrics::new("token_generator"),
        })
    }
}
