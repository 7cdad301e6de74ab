//! Lambda's shutdown signal: a function process only gets one, SIGTERM, when an extension is
//! registered (aws-samples/graceful-shutdown-with-aws-lambda), and then has about 300 ms before
//! SIGKILL. [`Shutdown::register`] registers an internal extension that subscribes to no events,
//! so it is never woken by an invocation, and waits for the signal: the functions write the
//! metrics they hold in memory then.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// How long the registration may take: it is one request to a local endpoint, and the cold
/// start waits for it.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(1);
/// The most we read of the registration's answer: its head, the identifier in it.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// SIGTERM, once Lambda knows to send it.
#[derive(Debug)]
pub struct Shutdown {
    sigterm: Signal,
}

impl Shutdown {
    /// Registers the internal extension `name` (unique within the function) with the Extensions
    /// API at `AWS_LAMBDA_RUNTIME_API` and listens for SIGTERM. Call it during init, before the
    /// runtime first asks for an invocation. `None` outside Lambda, or when the API refuses
    /// (the Runtime API emulators of the tests have no Extensions API): the function then runs
    /// as before, without a shutdown signal.
    ///
    /// Two plain HTTP/1.1 requests on a socket of their own, not an HTTP client: a second
    /// client's code would be more resident memory than the rest of this put together.
    pub async fn register(name: &str) -> Option<Self> {
        let api = std::env::var("AWS_LAMBDA_RUNTIME_API").ok()?;
        let id = match tokio::time::timeout(REGISTER_TIMEOUT, register(&api, name)).await {
            Ok(Ok(Some(id))) => id,
            Ok(Ok(None)) => {
                tracing::debug!("extension not registered: the answer has no identifier");
                return None;
            }
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "extension not registered");
                return None;
            }
            Err(_) => {
                tracing::debug!("extension registration timed out");
                return None;
            }
        };
        // Init ends once every extension has asked for its next event: this request stays
        // open, unanswered (no events were asked for), on a connection of its own.
        let mut next = TcpStream::connect(&api).await.ok()?;
        let request = format!(
            "GET /2020-01-01/extension/event/next HTTP/1.1\r\nHost: {api}\r\n\
             Lambda-Extension-Identifier: {id}\r\n\r\n"
        );
        next.write_all(request.as_bytes()).await.ok()?;
        // Only now: a handler installed while no extension is registered would leave SIGTERM
        // without its default action (ending the process). Lambda signals at shutdown only,
        // never during init.
        let sigterm = signal(SignalKind::terminate())
            .inspect_err(|err| tracing::debug!(error = %err, "no SIGTERM handler"))
            .ok()?;
        tokio::spawn(async move {
            let mut byte = [0_u8; 1];
            // Never answered while the instance lives; an answer or a close ends the wait.
            let _ = next.read(&mut byte).await;
            tracing::debug!("extension event request ended");
        });
        Some(Self { sigterm })
    }

    /// Resolves when Lambda signals the shutdown.
    pub async fn signalled(&mut self) {
        if self.sigterm.recv().await.is_none() {
            // The signal driver is gone: no signal can come any more.
            std::future::pending::<()>().await;
        }
    }
}

/// `POST /extension/register` for no events: the identifier of a 200 answer, `None` for any
/// other answer.
async fn register(api: &str, name: &str) -> std::io::Result<Option<String>> {
    let mut stream = TcpStream::connect(api).await?;
    let body = r#"{"events":[]}"#;
    let request = format!(
        "POST /2020-01-01/extension/register HTTP/1.1\r\nHost: {api}\r\n\
         Lambda-Extension-Name: {name}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD_BYTES {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    Ok(identifier(&String::from_utf8_lossy(&head)))
}

/// The `Lambda-Extension-Identifier` of a `200` answer's head.
fn identifier(head: &str) -> Option<String> {
    let mut lines = head.split("\r\n");
    let status = lines.next()?;
    if status.split(' ').nth(1) != Some("200") {
        return None;
    }
    lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| {
            name.trim()
                .eq_ignore_ascii_case("Lambda-Extension-Identifier")
        })
        .map(|(_, value)| value.trim().to_owned())
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_comes_from_a_200_answer_only() {
        let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nlambda-extension-identifier: abc-1\r\n\r\n{}";
        assert_eq!(identifier(ok).as_deref(), Some("abc-1"));
        // The tests' emulators accept any POST with a 202 and no identifier.
        let accepted = "HTTP/1.1 202 Accepted\r\nLambda-Extension-Identifier: x\r\n\r\n";
        assert_eq!(identifier(accepted), None);
        assert_eq!(identifier("HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(identifier(""), None);
    }
}
