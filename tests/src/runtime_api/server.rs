//! The Lambda Runtime API's wire side on 127.0.0.1, shared by the e2e harness and
//! tools/runtime-bench: a thread per connection, blocking std I/O, the routing of
//! `GET /invocation/next`, `POST /invocation/{id}/response|error`, `POST /init/error` and the
//! Extensions API's register and `event/next`, and the answers Lambda gives
//! (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
//!
//! What happens to an invocation (queues, results, timing) is the [`Backend`]'s: the harness
//! keeps every answer, the benchmark one in flight. The connection loop is generic over it, so the
//! benchmark pays no dynamic dispatch, and reuses its buffers, so it allocates nothing per request.

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::http::Request;

/// `GET`: the next invocation.
pub const NEXT: &str = "/2018-06-01/runtime/invocation/next";
/// `POST {INVOCATION}{id}/response` or `/error`.
pub const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
/// `POST`: the function failed to initialise.
pub const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
/// `POST`: an extension registers.
pub const EXTENSION_REGISTER: &str = "/2020-01-01/extension/register";
/// `GET`: an extension's next event.
pub const EXTENSION_NEXT: &str = "/2020-01-01/extension/event/next";
/// What Lambda itself answers to a response or error post.
pub const ACCEPTED: &[u8] =
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";
/// The answer to anything not served.
pub const NOT_FOUND: &[u8] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
/// The deadline we announce: Lambda's default timeout is 3 s; ours is long so it never bites.
const DEADLINE: Duration = Duration::from_secs(30);

/// Which of the two answers the function posted for an invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `POST /invocation/{id}/response`.
    Response,
    /// `POST /invocation/{id}/error` (for the authorizer, a denial is one).
    Error,
}

/// One event handed to the function by `GET /next`.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub id: String,
    /// The body.
    pub event: Arc<[u8]>,
}

/// What a server does with the requests it routes. Calls come from connection threads.
pub trait Backend: Send + Sync + 'static {
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    fn function_arn(&self) -> &str;
    /// `Lambda-Runtime-Trace-Id`.
    fn trace_id(&self) -> &str;
    /// `GET /next` read at `polled_at`: blocks until an event is queued; `None` ends the
    /// connection (the server is closing).
    fn next(&self, polled_at: Instant) -> Option<Invocation>;
    /// A response or error post read at `read_at`, after it was acknowledged.
    fn answered(&self, id: &str, answer: Answer, body: &[u8], read_at: Instant);
    /// A `POST /init/error`, after it was acknowledged.
    fn init_failed(&self, body: &[u8]);
    /// `POST /extension/register`: the number of this extension, or `None` to answer 404
    /// (no Extensions API).
    fn register_extension(&self) -> Option<u32>;
    /// `GET /extension/event/next`: `false` to answer 404; otherwise block until the server
    /// closes (an extension of no events gets no answer) and return `true`.
    fn wait_extension_event(&self) -> bool;
    /// Whether the server is closing: the accept loop stops at the next connection.
    fn closed(&self) -> bool {
        false
    }
}

/// Listens on an ephemeral 127.0.0.1 port and serves each connection on a thread of its own;
/// the accept thread ends at the first connection after [`Backend::closed`] turns true.
pub fn listen<B: Backend>(backend: Arc<B>) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let acceptor = thread::Builder::new()
        .name("runtime-api-accept".into())
        .spawn(move || accept(&listener, &backend))?;
    Ok((addr, acceptor))
}

fn accept<B: Backend>(listener: &TcpListener, backend: &Arc<B>) {
    for stream in listener.incoming() {
        if backend.closed() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let backend = Arc::clone(backend);
        // A connection that fails is the function's problem; the caller sees it as a timeout.
        let _ = thread::Builder::new()
            .name("runtime-api-conn".into())
            .spawn(move || serve(stream, &*backend));
    }
}

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /invocation/next`.
    Next,
    /// `POST /invocation/{id}/response` or `/error`.
    Answered(&'a str, Answer),
    /// `POST /init/error`.
    InitError,
    /// `POST /extension/register`.
    RegisterExtension,
    /// `GET /extension/event/next`.
    ExtensionEvent,
    /// Anything else: 404.
    Unknown,
}

impl<'a> Route<'a> {
    /// Routes `request`.
    pub fn of(request: &'a Request) -> Self {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", NEXT) => Self::Next,
            ("GET", EXTENSION_NEXT) => Self::ExtensionEvent,
            ("POST", INIT_ERROR) => Self::InitError,
            ("POST", EXTENSION_REGISTER) => Self::RegisterExtension,
            ("POST", path) => path
                .strip_prefix(INVOCATION)
                .and_then(|rest| {
                    if let Some(id) = rest.strip_suffix("/response") {
                        Some(Self::Answered(id, Answer::Response))
                    } else {
                        rest.strip_suffix("/error")
                            .map(|id| Self::Answered(id, Answer::Error))
                    }
                })
                .unwrap_or(Self::Unknown),
            _ => Self::Unknown,
        }
    }
}

fn serve<B: Backend>(stream: TcpStream, backend: &B) {
    // Without it, Nagle + delayed ACK can hold a small answer back for 40 ms.
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(16 * 1024, read_half);
    let mut writer = stream;
    let mut request = Request::default();
    let mut out = Vec::with_capacity(16 * 1024);
    while let Ok(true) = request.read(&mut reader) {
        let read_at = Instant::now();
        let result = match Route::of(&request) {
            Route::Next => {
                let Some(invocation) = backend.next(read_at) else {
                    return;
                };
                out.clear();
                write_next(&mut out, backend, &invocation);
                writer.write_all(&out)
            }
            Route::Answered(id, answer) => {
                // Acknowledge first so the function can move on to its next poll; the latency
                // was already taken (`read_at`).
                let result = writer.write_all(ACCEPTED);
                backend.answered(id, answer, &request.body, read_at);
                result
            }
            Route::InitError => {
                let result = writer.write_all(ACCEPTED);
                backend.init_failed(&request.body);
                result
            }
            Route::RegisterExtension => match backend.register_extension() {
                Some(number) => {
                    out.clear();
                    write_registered(&mut out, number);
                    writer.write_all(&out)
                }
                None => writer.write_all(NOT_FOUND),
            },
            Route::ExtensionEvent => {
                if backend.wait_extension_event() {
                    return;
                }
                writer.write_all(NOT_FOUND)
            }
            Route::Unknown => writer.write_all(NOT_FOUND),
        };
        if result.is_err() {
            return;
        }
    }
}

fn write_next<B: Backend>(out: &mut Vec<u8>, backend: &B, invocation: &Invocation) {
    let deadline_ms = (SystemTime::now() + DEADLINE)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\n\
         Content-Type: application/json\r\n\
         Lambda-Runtime-Aws-Request-Id: {}\r\n\
         Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: {}\r\n\
         Lambda-Runtime-Trace-Id: {}\r\n\
         Content-Length: {}\r\n\r\n",
        invocation.id,
        backend.function_arn(),
        backend.trace_id(),
        invocation.event.len(),
    );
    out.extend_from_slice(&invocation.event);
}

fn write_registered(out: &mut Vec<u8>, number: u32) {
    let body =
        br#"{"functionName":"runtime-bench","functionVersion":"$LATEST","handler":"bootstrap"}"#;
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
         Lambda-Extension-Identifier: 00000000-0000-4000-8000-{number:012x}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_answers_declare_their_true_length() {
        for answer in [ACCEPTED, NOT_FOUND] {
            let text = std::str::from_utf8(answer).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(length, body.len(), "{head}");
        }
    }

    #[test]
    fn response_and_error_posts_are_told_apart() {
        let mut request = Request::default();
        request.method = "POST".into();
        request.path = format!("{INVOCATION}abc/response");
        assert_eq!(
            Route::of(&request),
            Route::Answered("abc", Answer::Response)
        );
        request.path = format!("{INVOCATION}abc/error");
        assert_eq!(Route::of(&request), Route::Answered("abc", Answer::Error));
        request.path = NEXT.to_owned();
        assert_eq!(Route::of(&request), Route::Unknown);
        request.method = "GET".into();
        assert_eq!(Route::of(&request), Route::Next);
    }

    #[test]
    fn extension_answer_names_its_identifier() {
        let mut out = Vec::new();
        write_registered(&mut out, 1);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(
            text.contains("Lambda-Extension-Identifier: 00000000-0000-4000-8000-000000000001\r\n")
        );
    }
}
