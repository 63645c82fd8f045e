//! Hand-written HTTP/1.1 over a TCP socket, for what a client library
//! will not do: a chunked body that never ends, a `Content-Length` whose
//! body is never sent, headers that never end.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for an answer on a raw socket.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// An open connection to Weir.
pub struct RawConnection {
    stream: TcpStream,
}

impl RawConnection {
    /// Connects to `base_url` (`http://127.0.0.1:port`).
    pub async fn open(base_url: &str) -> Self {
        let address = base_url.trim_start_matches("http://");
        let stream = TcpStream::connect(address).await.expect("connect");
        Self { stream }
    }

    /// Sends bytes.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
        self.stream.flush().await.expect("flush");
    }

    /// Sends one chunk of a chunked body.
    pub async fn send_chunk(&mut self, chunk: &[u8]) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        self.send(&framed).await;
    }

    /// Reads one response: status and JSON body (`Null` if not JSON).
    /// Panics if it does not arrive in time, so a server waiting for the
    /// rest of a body fails the test instead of hanging it.
    pub async fn response(&mut self) -> (u16, Value) {
        tokio::time::timeout(ANSWER_WITHIN, self.read_response())
            .await
            .expect("the server answers without waiting for the rest of the body")
    }

    /// Waits until the server closes the connection (end of stream or a
    /// reset) and returns what it sent before; panics if it is still open
    /// after [`ANSWER_WITHIN`].
    pub async fn closed_by_server(&mut self) -> Vec<u8> {
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        tokio::time::timeout(ANSWER_WITHIN, async {
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => received.extend_from_slice(&chunk[..read]),
                }
            }
        })
        .await
        .expect("the server closes the connection");
        received
    }

    async fn read_response(&mut self) -> (u16, Value) {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .expect("status line");
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buffer.len() < end + 4 + length {
                    let read = self.stream.read(&mut chunk).await.expect("read");
                    assert!(read > 0, "connection closed mid-body");
                    buffer.extend_from_slice(&chunk[..read]);
                }
                let body = &buffer[end + 4..end + 4 + length];
                return (status, serde_json::from_slice(body).unwrap_or(Value::Null));
            }
            let read = self.stream.read(&mut chunk).await.expect("read");
            assert!(read > 0, "connection closed before an answer");
            buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
