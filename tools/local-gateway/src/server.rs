//! HTTP/1.1 on a TCP listener: each request read into a [`RequestInfo`], answered by the
//! [`Gateway`], written back.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::events::RequestInfo;
use crate::gateway::Gateway;
use crate::invoke::Invoker;
use crate::responses::{Failure, Reply};

/// API Gateway's payload limit.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Serves `gateway` on `listener` until the task is dropped or aborted.
pub fn spawn<I: Invoker>(listener: TcpListener, gateway: Arc<Gateway<I>>) -> JoinHandle<()> {
    tokio::spawn(serve(listener, gateway))
}

/// Accepts connections forever.
pub async fn serve<I: Invoker>(listener: TcpListener, gateway: Arc<Gateway<I>>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(error = %err, "accept failed");
                continue;
            }
        };
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let gateway = Arc::clone(&gateway);
                async move { Ok::<_, Infallible>(answer(&gateway, request, peer).await) }
            });
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %err, "connection closed");
            }
        });
    }
}

async fn answer<I: Invoker>(
    gateway: &Gateway<I>,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let query = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut info = RequestInfo {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        headers,
        query,
        body: Bytes::new(),
        source_ip: peer.ip().to_string(),
        request_id: gateway.request_id(),
        time: SystemTime::now(),
    };
    let reply = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            info.body = collected.to_bytes();
            gateway.handle(info).await
        }
        Err(_) => gateway.refuse(&info, Failure::RequestTooLarge),
    };
    to_response(reply)
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => tracing::warn!(header = %name, "response header dropped: not valid HTTP"),
        }
    }
    response
}
