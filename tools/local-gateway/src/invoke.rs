//! Invoking a function: through the Lambda Invoke API of `cargo lambda watch` (or anything that
//! speaks it), or any other [`Invoker`] (the tests run the built binaries in process).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::CONTENT_TYPE;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::error::Error;

/// What a function answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// It returned this value.
    Response(Value),
    /// It failed with this error (`{"errorType": ..., "errorMessage": ...}`).
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
}

impl Invocation {
    /// Reads a function-error body, `{"errorType": ..., "errorMessage": ...}`.
    pub fn error_from(body: &Value) -> Option<Self> {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let (error_type, error_message) = (text("errorType"), text("errorMessage"));
        if error_type.is_none() && error_message.is_none() {
            return None;
        }
        Some(Self::Error {
            error_type: error_type.unwrap_or_default(),
            error_message: error_message.unwrap_or_default(),
        })
    }
}

/// Runs a function with an event.
pub trait Invoker: Send + Sync + 'static {
    /// Invokes `function` with `payload`; `Err` when no answer came at all.
    fn invoke(
        &self,
        function: &str,
        payload: Value,
    ) -> impl Future<Output = Result<Invocation, Error>> + Send;
}

/// The Lambda Invoke API over HTTP: `POST <base>/2015-03-31/functions/<name>/invocations`.
///
/// A function error is recognised both as AWS answers it (200 with `X-Amz-Function-Error`) and
/// as `cargo lambda watch` does (500 with the error as the body).
#[derive(Debug, Clone)]
pub struct HttpInvoker {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl HttpInvoker {
    /// Invokes through `base` (`http://127.0.0.1:9000`), waiting at most `timeout` per call.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        }
    }

    async fn call(&self, function: &str, payload: Value) -> Result<Invocation, Error> {
        let fail = |message: String| Error::invoke(function, message);
        let uri = format!("{}/2015-03-31/functions/{function}/invocations", self.base);
        let body = serde_json::to_vec(&payload).map_err(|e| fail(e.to_string()))?;
        let request = Request::post(&uri)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| fail(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| fail(format!("{uri}: {e}")))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        match (status.as_u16(), json) {
            (200, Some(body)) if function_error => {
                Ok(Invocation::error_from(&body).unwrap_or(Invocation::Error {
                    error_type: "Unhandled".into(),
                    error_message: String::new(),
                }))
            }
            (200, Some(body)) => Ok(Invocation::Response(body)),
            // cargo lambda watch answers a function error with 500 and the error as the body.
            (500, Some(body)) if let Some(error) = Invocation::error_from(&body) => Ok(error),
            (code, _) => {
                let text = String::from_utf8_lossy(&bytes);
                let snippet: String = text.chars().take(300).collect();
                Err(fail(format!("status {code}: {snippet}")))
            }
        }
    }
}

impl Invoker for HttpInvoker {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Invocation, Error> {
        tokio::time::timeout(self.timeout, self.call(function, payload))
            .await
            .map_err(|_| {
                Error::invoke(
                    function,
                    format!("no answer within {} s", self.timeout.as_secs()),
                )
            })?
    }
}
