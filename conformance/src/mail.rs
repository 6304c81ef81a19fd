//! Reading the mail a server sends, for tests and for conformance fixtures:
//! the `.eml` files a server without `--smtp-url` writes to `DATA_DIR/mail/`,
//! and [`SmtpSink`], a loopback SMTP server that keeps what it is handed.
//!
//! The sink speaks just enough SMTP (RFC 5321) for a client that sends plain
//! messages: the greeting, `EHLO`/`HELO`, `MAIL`, `RCPT`, `DATA` (dot-stuffing
//! undone), `RSET`, `NOOP` and `QUIT`; no extensions, no TLS, no auth. Started
//! with [`SmtpSink::silent`] it accepts connections and never says a word, as
//! a relay that hangs would.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The messages in the mail folder of `data_dir`, oldest first (empty when
/// there is no folder yet).
pub fn folder(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("mail")) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    // Names start with the Unix time in milliseconds: same width for centuries.
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// Waits up to 10 seconds for the mail folder of `data_dir` to hold a message
/// to `to` whose text contains `needle`, and returns the newest such message.
pub async fn wait_in_folder(data_dir: &Path, to: &str, needle: &str) -> Result<String> {
    for _ in 0..200 {
        if let Some(m) = folder(data_dir)
            .into_iter()
            .rev()
            .find(|m| is_to(m, to) && m.contains(needle))
        {
            return Ok(m);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!(
        "no mail to {to} containing {needle:?} in {}",
        data_dir.display()
    )
}

/// Whether `message`'s `To` header names `to`.
pub fn is_to(message: &str, to: &str) -> bool {
    header(message, "To").is_some_and(|v| v.to_lowercase().contains(&to.to_lowercase()))
}

/// The value of header `name` of `message` (the first one; unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            if n.eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_owned());
            }
        }
    }
    value
}

/// The first token in `message` that starts with `prefix` (`prefix` and the
/// lowercase hex digits after it).
pub fn token(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(&format!("token={prefix}"))? + "token=".len();
    let rest = &message[start + prefix.len()..];
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        .count();
    (len > 0).then(|| message[start..start + prefix.len() + len].to_owned())
}

/// The first link in `message` that contains `token=`.
pub fn link(message: &str) -> Option<String> {
    message
        .split_whitespace()
        .find(|w| w.contains("token=") && w.contains("://"))
        .map(|w| w.trim_matches(|c| c == '<' || c == '>').to_owned())
}

/// One message a [`SmtpSink`] was handed.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `MAIL FROM` address.
    pub from: String,
    /// The `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message (headers and body), dot-stuffing undone.
    pub data: String,
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    arrived: Notify,
}

/// A loopback SMTP server; stops when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// A sink that accepts every message.
    pub async fn start() -> Result<Self> {
        Self::spawn(false).await
    }

    /// A relay that accepts connections and never answers.
    pub async fn silent() -> Result<Self> {
        Self::spawn(true).await
    }

    async fn spawn(silent: bool) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inbox = Arc::new(Inbox::default());
        let shared = inbox.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                if silent {
                    held.push(socket);
                    continue;
                }
                let inbox = shared.clone();
                tokio::spawn(async move {
                    let _ = session(socket, &inbox).await;
                });
            }
        });
        Ok(Self { addr, inbox, task })
    }

    /// `smtp://127.0.0.1:PORT`, for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.inbox
            .messages
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    /// Waits up to 10 seconds for a message to `to` and returns the newest one.
    pub async fn wait_for(&self, to: &str) -> Result<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.inbox.arrived.notified();
            if let Some(m) = self
                .messages()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|r| r.eq_ignore_ascii_case(to)))
            {
                return Ok(m);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                bail!("no mail to {to} within 10 seconds");
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The address inside `FROM:<…>` / `TO:<…>`.
fn path_arg(rest: &str) -> String {
    let rest = rest.trim();
    match (rest.find('<'), rest.find('>')) {
        (Some(a), Some(b)) if a < b => rest[a + 1..b].to_owned(),
        _ => rest
            .split_once(':')
            .map_or(rest, |(_, v)| v)
            .trim()
            .to_owned(),
    }
}

/// One SMTP session on `socket`.
async fn session(socket: tokio::net::TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                from = path_arg(&command[4..]);
                to.clear();
                b"250 sender ok\r\n"
            }
            "RCPT" => {
                to.push(path_arg(&command[4..]));
                b"250 recipient ok\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                if let Ok(mut m) = inbox.messages.lock() {
                    m.push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                }
                inbox.arrived.notify_waiters();
                b"250 queued\r\n"
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 reset\r\n"
            }
            "NOOP" => b"250 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_links_and_headers_are_found() {
        let m = "From: a@b.c\r\nTo: ada@example.com\r\nSubject: Hi\r\n\r\nopen https://x.test/verify-email?token=evt_00ff12\r\nbye";
        assert_eq!(token(m, "evt_").as_deref(), Some("evt_00ff12"));
        assert_eq!(token(m, "prt_"), None);
        assert_eq!(
            link(m).as_deref(),
            Some("https://x.test/verify-email?token=evt_00ff12")
        );
        assert_eq!(header(m, "subject").as_deref(), Some("Hi"));
        assert!(is_to(m, "ADA@example.com"));
    }
}
