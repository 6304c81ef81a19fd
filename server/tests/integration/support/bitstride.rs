//! Bitstride helpers the test modules share: the server with test flags, a
//! caller with its token, datasets, polling, TOTP codes and a loopback
//! OpenAI-compatible backend.

use std::path::Path;
use std::time::{Duration, Instant};

use quartet_conformance::server::ServerProcess;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::bin;

/// The password of every account the tests register.
pub const PASSWORD: &str = "correct horse battery";

/// The test flags (warnings only, loopback backends allowed) plus `extra`.
pub fn args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "--log-level",
        "warn",
        "--bitstride-allow-private-backends",
        "--bitstride-loopback-backends-only",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// A Bitstride server on `dir` with the test flags and `extra`.
pub async fn spawn(dir: &Path, extra: &[&str]) -> ServerProcess {
    ServerProcess::spawn(&bin(), dir, "bitstride", &args(extra))
        .await
        .unwrap()
}

/// A control plane on `dir` (no trainer) whose auth routes go to the auth
/// service at `auth_url`.
pub async fn control_plane(dir: &Path, auth_url: &str) -> ServerProcess {
    spawn(
        dir,
        &[
            "--bitstride-trainer",
            "none",
            "--bitstride-auth-service-url",
            auth_url,
        ],
    )
    .await
}

/// An auth service and a control plane forwarding to it, both on `dir` (so
/// they share one database and mail folder).
pub async fn auth_split(dir: &Path) -> (ServerProcess, ServerProcess) {
    let auth = spawn(dir, &["--bitstride-trainer", "none"]).await;
    let cp = control_plane(dir, &auth.base_url).await;
    (auth, cp)
}

/// An answer: status, JSON body (or the text as a string) and headers.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Value,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// `error.code` of the body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// A caller of one server.
#[derive(Clone)]
pub struct C {
    /// The server's base URL.
    pub base: String,
    /// The bearer token sent, if any.
    pub token: Option<String>,
    /// The HTTP client (no proxy, no redirects).
    pub http: reqwest::Client,
}

impl C {
    /// An anonymous caller of `base`.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            token: None,
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }
    /// The same caller with bearer `token`.
    pub fn with(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }
    /// Sends `method path` (with a JSON `body`); the status, the JSON (or text)
    /// answer and the headers.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut r = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            headers,
        }
    }
    /// Sends `method path` (with a JSON `body`); the status and the JSON (or text) answer.
    pub async fn req(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let a = self.call(method, path, body).await;
        (a.status, a.body)
    }
    /// `GET path`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.req("GET", path, None).await
    }
    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.req("POST", path, Some(body)).await
    }
    /// `method path`, asserting a 2xx; the answer.
    pub async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.req(method, path, body).await;
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }
    /// Uploads `data` as dataset `id`'s file.
    pub async fn upload(&self, id: &str, data: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/v1/datasets/{id}/upload", self.base))
            .bearer_auth(self.token.as_deref().unwrap())
            .body(data)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    /// `POST /v1/auth/login` with `email` and `password`.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        self.post(
            "/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await
    }
    /// Enrols this caller in MFA and confirms it with a code; the TOTP secret.
    pub async fn enable_mfa(&self) -> String {
        let e = self.ok("POST", "/v1/auth/mfa/enroll", None).await;
        let secret = e["secret"].as_str().unwrap().to_owned();
        self.ok(
            "POST",
            "/v1/auth/mfa/verify",
            Some(json!({"code": code(&secret, -1)})),
        )
        .await;
        secret
    }
    /// Registers `email` with [`PASSWORD`]; the signed-in caller and the session.
    pub async fn register(&self, email: &str) -> (C, Value) {
        let v = self
            .ok(
                "POST",
                "/v1/auth/register",
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        (self.with(v["access_token"].as_str().unwrap()), v)
    }
}

/// `n` rows of a chat fine-tuning dataset, JSON lines.
pub fn chat_rows(n: usize) -> Vec<u8> {
    let row = json!({"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Open Settings, choose Security, then Reset password."}]}).to_string();
    (0..n)
        .map(|_| format!("{row}\n"))
        .collect::<String>()
        .into_bytes()
}

/// A dataset of `purpose` holding `data`, uploaded and validated; its id.
pub async fn valid_dataset(c: &C, purpose: &str, data: Vec<u8>) -> String {
    let id = c
        .ok(
            "POST",
            "/v1/datasets",
            Some(json!({"name": "d", "purpose": purpose})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(c.upload(&id, data).await.0, 200);
    let report = c
        .ok("POST", &format!("/v1/datasets/{id}/validate"), None)
        .await;
    assert_eq!(report["status"], "valid", "{report}");
    id
}

/// Polls `path` until its `status` is one of `want` (at most `secs`); the resource.
pub async fn wait_status(c: &C, path: &str, want: &[&str], secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = c.ok("GET", path, None).await;
        if want.contains(&v["status"].as_str().unwrap_or("")) {
            return v;
        }
        assert!(Instant::now() < deadline, "{path} stayed {}", v["status"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The code of `secret` for the current 30-second step moved by `offset` steps,
/// computed here (RFC 6238 through `totp-rs`), not asked of the server. The server
/// accepts one step either way and each step once, in increasing order.
pub fn code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
    let step = chrono::Utc::now().timestamp() / 30 + offset;
    totp.generate(u64::try_from(step * 30).unwrap())
}

/// A loopback OpenAI-compatible backend: `stream` sends three chunks 300 ms apart;
/// `fail` answers 500; `slow` answers after 5 s; `hold` holds the request 2 s.
pub async fn backend() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut sock).await else {
                    return;
                };
                if head.starts_with("GET") {
                    let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}").await;
                    return;
                }
                let ok = |text: &str| {
                    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}).to_string()
                };
                if body.contains("fail") {
                    let _ = sock
                        .write_all(
                            b"HTTP/1.1 500 X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                } else if body.contains("\"stream\":true") {
                    let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n").await;
                    for word in ["one ", "two ", "three"] {
                        let c = json!({"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {"content": word}}]});
                        let _ = sock.write_all(format!("data: {c}\n\n").as_bytes()).await;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    let _ = sock.write_all(b"data: [DONE]\n\n").await;
                } else {
                    let delay = if body.contains("slow") {
                        5000
                    } else if body.contains("hold") {
                        2000
                    } else {
                        0
                    };
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    let b = ok("hello");
                    let _ = sock.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}", b.len()).as_bytes()).await;
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), task)
}

/// Reads one HTTP/1.1 request from `sock`: its head and its body (as long as
/// its `content-length` says); `None` when the peer closed before a whole head.
pub async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, len) = loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            break (i + 4, len);
        }
    };
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((
        String::from_utf8_lossy(&buf[..head_end]).to_string(),
        String::from_utf8_lossy(&buf[head_end..]).to_string(),
    ))
}

/// A chat request with one user message `text`.
pub fn say(text: &str, stream: bool) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": text}], "stream": stream})
}
