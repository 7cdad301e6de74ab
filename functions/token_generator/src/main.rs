//! The token issuer: POST /token (password, refresh_token and client_credentials grants),
//! POST /revoke, POST /introspect, /auth/register, /auth/login, /auth/logout, /auth/password,
//! the JWKS and the server metadata under /.well-known, and GET /health, for REST (v1) and HTTP
//! API (v2) events.

mod accounts;
mod attempt;
mod body;
mod client_auth;
mod discovery;
mod error;
mod grants;
mod hashing;
mod introspection;
mod metrics;
mod password;
mod presented;
mod response;
mod revocation;
mod routes;
mod signed_in;

use std::convert::Infallible;

use auth_aws::{ConfigLoader, Shutdown, Store};
use auth_core::PasswordHasher;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::{Error, service_fn};
use telemetry::{FlushInterval, Invocation};
use token_generator::event::{self, HttpEvent, HttpResponse};

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
    // Metrics held between flushes are written when Lambda shuts the instance down (flushed
    // every invocation, there is nothing to hold).
    let shutdown = if app.metrics.flushes_every_invocation() {
        None
    } else {
        Shutdown::register("token-generator-metrics").await
    };
    let app = &app;
    // lambda_runtime with our own event decoding (token_generator::event), not lambda_http::run,
    // whose conversion of the event panics on hostile ones (an invalid base64 body, a path or
    // query no URL holds): those are 400 answers here. A payload that is no API Gateway event
    // still gets the runtime's deserialize error.
    let run = lambda_runtime::run(service_fn(
        move |event: LambdaEvent<HttpEvent>| async move {
            let LambdaEvent { payload, context } = event;
            let _invocation =
                Invocation::start(&context.request_id, context.xray_trace_id.as_deref());
            let origin = payload.origin();
            app.metrics.start_request();
            let response = match payload.into_request(context) {
                Ok(request) => routes::handle(app, request).await,
                Err(bad) => routes::bad_event(app, bad).await,
            };
            app.metrics.flush_if_due();
            Ok::<HttpResponse, Infallible>(event::encode(origin, response))
        },
    ));
    let Some(mut shutdown) = shutdown else {
        return run.await;
    };
    tokio::select! {
        result = run => result,
        () = shutdown.signalled() => {
            app.metrics.flush();
            Ok(())
        }
    }
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
            metrics: RequestMetrics::new("token_generator", FlushInterval::from_env()?),
        })
    }
}
