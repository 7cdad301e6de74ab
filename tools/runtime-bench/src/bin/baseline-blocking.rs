//! Baseline (a): the cheapest possible Lambda function, a blocking Runtime API loop on std
//! alone (one keep-alive TcpStream, hand-parsed HTTP/1.1), answering `{"ok":true}` to every
//! event. Its cost is the floor of the harness itself: kernel, loopback and two HTTP exchanges.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;

const RESPONSE: &[u8] = br#"{"ok":true}"#;

fn main() -> io::Result<()> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| io::Error::other("AWS_LAMBDA_RUNTIME_API is not set"))?;
    let stream = TcpStream::connect(&api)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n");
    let mut head = Head::default();
    let mut body = Vec::new();
    let mut post = Vec::new();
    loop {
        writer.write_all(next.as_bytes())?;
        head.read(&mut reader)?;
        read_body(&mut reader, head.content_length, &mut body)?;
        if head.status != 200 {
            return Err(io::Error::other(format!(
                "GET /next answered {}",
                head.status
            )));
        }

        post.clear();
        write!(
            post,
            "POST /2018-06-01/runtime/invocation/{}/response HTTP/1.1\r\nHost: {api}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            head.request_id,
            RESPONSE.len()
        )?;
        post.extend_from_slice(RESPONSE);
        writer.write_all(&post)?;
        head.read(&mut reader)?;
        read_body(&mut reader, head.content_length, &mut body)?;
    }
}

/// The parts of a response head we use; buffers reused between responses.
#[derive(Default)]
struct Head {
    status: u16,
    content_length: usize,
    request_id: String,
    line: String,
}

impl Head {
    fn read<R: BufRead>(&mut self, reader: &mut R) -> io::Result<()> {
        self.next_line(reader)?;
        // "HTTP/1.1 200 OK"
        self.status = self
            .line
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, "bad status line"))?;
        self.content_length = 0;
        self.request_id.clear();
        loop {
            self.next_line(reader)?;
            if self.line.is_empty() {
                return Ok(());
            }
            let Some((name, value)) = self.line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                self.content_length = value
                    .parse()
                    .map_err(|_| io::Error::new(ErrorKind::InvalidData, "bad content-length"))?;
            } else if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                self.request_id.push_str(value);
            }
        }
    }

    fn next_line<R: BufRead>(&mut self, reader: &mut R) -> io::Result<()> {
        self.line.clear();
        if reader.read_line(&mut self.line)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let trimmed = self.line.trim_end_matches(['\r', '\n']).len();
        self.line.truncate(trimmed);
        Ok(())
    }
}

fn read_body<R: Read>(reader: &mut R, length: usize, body: &mut Vec<u8>) -> io::Result<()> {
    body.resize(length, 0);
    reader.read_exact(body)
}
