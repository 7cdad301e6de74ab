//! The token issuer: POST /token (password and refresh_token grants), /auth/register,
//! /auth/login, /auth/logout and GET /health, for REST (v1) and HTTP API (v2) events.

mod accounts;
mod body;
mod error;
mod grants;
mod response;
mod routes;

use std::convert::Infallible;

use auth_aws::{ConfigLoader, Store};
use auth_core::PasswordHasher;
use lambda_http::{Body, Error, Request, Response, service_fn};

/// Everything a request needs, built once per cold start.
pub struct App {
    pub loader: ConfigLoader,
    pub store: Store,
    pub hasher: PasswordHasher,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app = match App::load().await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "configuration is invalid");
            return Err(err);
        }
    };
    let app = &app;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<Response<Body>, Infallible>(routes::handle(app, request).await)
    }))
    .await
}

impl App {
    async fn load() -> Result<Self, Error> {
        let loader = ConfigLoader::from_env().await?;
        let table = loader
            .config()
            .users_table
            .clone()
            .ok_or("USERS_TABLE is not set")?;
        let sdk = auth_aws::sdk_config().await;
        Ok(Self {
            loader,
            store: Store::new(&sdk, table),
            hasher: PasswordHasher::new(),
        })
    }
}
