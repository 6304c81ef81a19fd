//! A small HTTP/1.1 server on loopback that stands in for the services a
//! surface calls out to (e.g. Brookmimir's face-search service and its
//! `/nettest` target). Tests decide how it answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct MockRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names (lower case) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl MockRequest {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the mock answers one request.
#[derive(Debug, Clone)]
pub enum MockReply {
    /// Waits `delay`, then answers `status` with `body` of `content_type`.
    Respond {
        /// Status code.
        status: u16,
        /// `Content-Type` of the body.
        content_type: &'static str,
        /// Body bytes.
        body: String,
        /// Delay before answering.
        delay: Duration,
    },
    /// Closes the connection without answering.
    Drop,
}

impl MockReply {
    /// Answers a JSON `body` at once.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::Respond {
            status,
            content_type: "application/json",
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

/// A running mock; stops when dropped.
pub struct Mock {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Mock {
    /// Starts a mock on a free loopback port, answering with `handler`.
    pub async fn start(
        handler: impl Fn(&MockRequest) -> MockReply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, handler.as_ref()).await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    handler: &(dyn Fn(&MockRequest) -> MockReply + Send + Sync),
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let mut length = 0usize;
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut body = vec![0u8; length.min(16 * 1024 * 1024)];
    reader.read_exact(&mut body).await?;
    let request = MockRequest {
        method,
        path,
        headers,
        body,
    };
    let MockReply::Respond {
        status,
        content_type,
        body,
        delay,
    } = handler(&request)
    else {
        return Ok(());
    };
    tokio::time::sleep(delay).await;
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = reader.into_inner();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
