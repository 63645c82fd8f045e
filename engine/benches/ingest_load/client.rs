//! The load generator's HTTP/1.1 client: one keep-alive connection that
//! writes a prepared request and reads one `Content-Length` response.
//!
//! Deliberately minimal (no pooling, no chunked responses, no redirects):
//! the generator shares the machine's two cores with the server it
//! measures, so every microsecond it spends per request is taken from the
//! server. Both the bare handler and Weir pay the same client cost.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A signed webhook request with a slot for the delivery id, so building
/// one costs a copy and a number format.
pub struct RequestTemplate {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl RequestTemplate {
    /// `POST path` with `headers` (each `name: value`), then
    /// `x-github-delivery: <id>`, then `body`.
    pub fn new(addr: SocketAddr, path: &str, headers: &[(&str, String)], body: &[u8]) -> Self {
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: {addr}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\nx-github-delivery: ", body.len()));
        let mut tail = b"\r\n\r\n".to_vec();
        tail.extend_from_slice(body);
        Self {
            head: head.into_bytes(),
            tail,
        }
    }

    /// Writes the request carrying `delivery` into `out` (cleared first).
    pub fn render(&self, delivery: &str, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.head);
        out.extend_from_slice(delivery.as_bytes());
        out.extend_from_slice(&self.tail);
    }
}

/// What came back.
pub struct Response<'a> {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: &'a [u8],
    /// The server said `connection: close`.
    pub close: bool,
}

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Connects with Nagle off (requests are written in one piece).
    pub async fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and reads the whole response.
    pub async fn exchange(&mut self, request: &[u8]) -> io::Result<Response<'_>> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let (header_end, body_len) = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break (end + 4, content_length(&self.buf[..end])?);
            }
            self.read_more().await?;
        };
        while self.buf.len() < header_end + body_len {
            self.read_more().await?;
        }
        let head = &self.buf[..header_end];
        let status = parse_status(head)?;
        let close = header_value(head, b"connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        Ok(Response {
            status,
            body: &self.buf[header_end..header_end + body_len],
            close,
        })
    }

    async fn read_more(&mut self) -> io::Result<()> {
        let len = self.buf.len();
        self.buf.resize(len + 4096, 0);
        let read = self.stream.read(&mut self.buf[len..]).await?;
        self.buf.truncate(len + read);
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn parse_status(head: &[u8]) -> io::Result<u16> {
    head.get(9..12)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))
}

fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name)
            .then(|| line[colon + 1..].trim_ascii())
    })
}

fn content_length(head: &[u8]) -> io::Result<usize> {
    if header_value(head, b"transfer-encoding").is_some() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "chunked responses are not supported",
        ));
    }
    Ok(header_value(head, b"content-length")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The first id in a `{"event_ids":["evt_…"]}` answer.
pub fn first_event_id(body: &[u8]) -> Option<&str> {
    let start = find(body, b"\"event_ids\":[\"")? + 14;
    let len = body[start..].iter().position(|&b| b == b'"')?;
    std::str::from_utf8(&body[start..start + len]).ok()
}
