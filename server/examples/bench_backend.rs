//! A minimal OpenAI-compatible backend for `bench/bitstride.sh`: answers every
//! `POST …/chat/completions` with the same small completion (HTTP/1.1,
//! keep-alive) and `GET …/v1/models` with an empty list, as fast as it can, so
//! that the gateway's own cost can be measured against calling it directly.
//!
//! ```sh
//! cargo run --release -p quartet-server --example bench_backend -- 127.0.0.1:3890
//! ```

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const COMPLETION: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1735725600,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"Open Settings, choose Security, then Reset password."},"finish_reason":"stop"}],"usage":{"prompt_tokens":27,"completion_tokens":11,"total_tokens":38}}"#;

async fn serve(mut sock: tokio::net::TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        // One request: headers, then content-length bytes of body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = if head.starts_with("get") {
            r#"{"object":"list","data":[]}"#
        } else {
            COMPLETION
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(response.as_bytes()).await?;
        buf.drain(..head_end + len);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3890".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "bench backend listening on http://{}",
        listener.local_addr()?
    );
    loop {
        let (sock, _) = listener.accept().await?;
        let _ = sock.set_nodelay(true);
        tokio::spawn(async move {
            let _ = serve(sock).await;
        });
    }
}
