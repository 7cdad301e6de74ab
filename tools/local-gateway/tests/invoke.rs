//! The HTTP invoker against a stand-in for `cargo lambda watch`'s invoke endpoint, answering as
//! it does: 200 with the result, 500 with `{"errorType", "errorMessage"}` for a function error,
//! 404 for an unknown function; and AWS's 200 with `X-Amz-Function-Error`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use local_gateway::{HttpInvoker, Invocation, Invoker};
use serde_json::{Value, json};
use tokio::net::TcpListener;

async fn watch_like(
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, header, answer) = match path.as_str() {
        "/2015-03-31/functions/ok/invocations" => (200, None, json!({"echo": event})),
        "/2015-03-31/functions/denied/invocations" => (
            500,
            None,
            json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}),
        ),
        "/2015-03-31/functions/aws/invocations" => (
            200,
            Some("Unhandled"),
            json!({"errorType": "Runtime.ExitError", "errorMessage": "exit"}),
        ),
        _ => (404, None, json!({"title": "Missing function"})),
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    if let Some(value) = header {
        response
            .headers_mut()
            .insert("x-amz-function-error", value.parse().unwrap());
    }
    Ok(response)
}

async fn endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(watch_like)),
            );
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn results_and_function_errors_are_told_apart() {
    let invoker = HttpInvoker::new(&endpoint().await, Duration::from_secs(5));
    let event = json!({"type": "TOKEN"});
    assert_eq!(
        invoker.invoke("ok", event.clone()).await.unwrap(),
        Invocation::Response(json!({"echo": event}))
    );
    assert_eq!(
        invoker.invoke("denied", event.clone()).await.unwrap(),
        Invocation::Error {
            error_type: "Unauthorized".into(),
            error_message: "Unauthorized".into()
        }
    );
    assert!(matches!(
        invoker.invoke("aws", event.clone()).await.unwrap(),
        Invocation::Error { error_type, .. } if error_type == "Runtime.ExitError"
    ));
    let missing = invoker.invoke("missing", event).await.unwrap_err();
    assert!(missing.to_string().contains("404"), "{missing}");
}

#[tokio::test]
async fn nothing_listening_is_an_error_not_an_answer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let invoker = HttpInvoker::new(&format!("http://{address}"), Duration::from_secs(5));
    assert!(invoker.invoke("ok", json!({})).await.is_err());
}
