//! A JWKS endpoint on loopback for the trusted-issuer tests: one answer for every request
//! (changeable), and a count of the requests.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A loopback HTTP server answering every request with the same (changeable) JWKS, counting
/// the requests.
pub struct JwksServer {
    /// The JWKS URL (`http://127.0.0.1:<port>/jwks.json`).
    pub url: String,
    requests: Arc<AtomicUsize>,
    answer: Arc<Mutex<(u16, &'static str, String)>>,
}

impl JwksServer {
    /// Serves `body` as `application/json` with status 200.
    pub fn start(body: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(Mutex::new((200, "application/json", body)));
        let (count, shared) = (Arc::clone(&requests), Arc::clone(&answer));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                count.fetch_add(1, Ordering::SeqCst);
                let (status, content_type, body) = shared.lock().unwrap().clone();
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self {
            url,
            requests,
            answer,
        }
    }

    /// How many requests it has answered.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Answers `status`, `content_type` and `body` from now on.
    pub fn answer(&self, status: u16, content_type: &'static str, body: &str) {
        *self.answer.lock().unwrap() = (status, content_type, body.to_owned());
    }
}

/// A URL on which nothing listens.
pub fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener);
    url
}
