//! Just enough HTTP/1.1 to serve the Runtime API: a request head, then a body framed by
//! Content-Length or chunked transfer coding (RFC 9112 §6, §7.1). Buffers are reused between
//! requests, so a keep-alive connection allocates nothing per request once warm (runtime-bench
//! measures through it).

use std::io::{self, BufRead, ErrorKind};

/// One request read from a connection. The fields are overwritten by each `read`.
#[derive(Debug, Default)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, e.g. `/2018-06-01/runtime/invocation/next`.
    pub path: String,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    line: Vec<u8>,
}

impl Request {
    /// Reads the next request into `self`. `Ok(false)` is a clean end of the connection.
    pub fn read<R: BufRead>(&mut self, reader: &mut R) -> io::Result<bool> {
        // The request line; RFC 9112 §2.2 lets a server ignore empty lines before it.
        loop {
            if !self.next_line(reader)? {
                return Ok(false);
            }
            if !self.line.is_empty() {
                break;
            }
        }
        let line = std::str::from_utf8(&self.line).map_err(|_| invalid("request line"))?;
        let mut parts = line.split_ascii_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return Err(invalid("request line"));
        };
        self.method.clear();
        self.method.push_str(method);
        self.path.clear();
        self.path.push_str(path);

        let mut content_length = None;
        let mut chunked = false;
        loop {
            if !self.next_line(reader)? {
                return Err(ErrorKind::UnexpectedEof.into());
            }
            if self.line.is_empty() {
                break;
            }
            let header = std::str::from_utf8(&self.line).map_err(|_| invalid("header"))?;
            let Some((name, value)) = header.split_once(':') else {
                return Err(invalid("header"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(value.parse::<usize>().map_err(|_| invalid("length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }

        self.body.clear();
        if chunked {
            self.read_chunked(reader)?;
        } else if let Some(length) = content_length {
            self.body.resize(length, 0);
            reader.read_exact(&mut self.body)?;
        }
        Ok(true)
    }

    fn read_chunked<R: BufRead>(&mut self, reader: &mut R) -> io::Result<()> {
        loop {
            if !self.next_line(reader)? {
                return Err(ErrorKind::UnexpectedEof.into());
            }
            let line = std::str::from_utf8(&self.line).map_err(|_| invalid("chunk size"))?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| invalid("chunk size"))?;
            if size == 0 {
                // Trailer fields, then the empty line that ends the message.
                loop {
                    if !self.next_line(reader)? || self.line.is_empty() {
                        return Ok(());
                    }
                }
            }
            let start = self.body.len();
            self.body.resize(start + size, 0);
            reader.read_exact(&mut self.body[start..])?;
            let mut crlf = [0_u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    }

    /// Reads one line without its CRLF (or bare LF) into `self.line`; `false` at end of input.
    fn next_line<R: BufRead>(&mut self, reader: &mut R) -> io::Result<bool> {
        self.line.clear();
        if reader.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(false);
        }
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        Ok(true)
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, format!("malformed {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Vec<(String, String, Vec<u8>)> {
        let mut reader = io::BufReader::new(raw);
        let mut request = Request::default();
        let mut all = Vec::new();
        while request.read(&mut reader).unwrap() {
            all.push((
                request.method.clone(),
                request.path.clone(),
                request.body.clone(),
            ));
        }
        all
    }

    #[test]
    fn keep_alive_requests_with_content_length_are_read_in_turn() {
        let raw = b"GET /next HTTP/1.1\r\nHost: x\r\n\r\nPOST /a/response HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}";
        let all = parse(raw);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].0, "GET");
        assert_eq!(all[1].1, "/a/response");
        assert_eq!(all[1].2, b"{}");
    }

    #[test]
    fn chunked_body_is_reassembled() {
        let raw = b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n";
        let all = parse(raw);
        assert_eq!(all[0].2, b"{\"a\":1}");
    }
}
