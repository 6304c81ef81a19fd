//! Outgoing mail for every surface: plain-text messages sent over SMTP (with
//! `lettre`) to the relay of `--smtp-url`, or, when no relay is configured,
//! written as `.eml` files to `DATA_DIR/mail/` and logged, so that a server
//! started without any mail setup (the README's commands, the tests) still
//! hands every message to someone who can read it.
//!
//! A send never waits longer than its timeout (`--smtp-timeout-secs`,
//! [`DEFAULT_TIMEOUT`] by default). Nothing here is durable:
//! callers keep what a message proves (a token's digest) in their own tables
//! before sending, so a message that is lost can simply be asked for again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use slog::Logger;

use super::secrets::random_hex;

/// Default longest time one message may take to hand over (connect, greeting,
/// TLS, every command and the data), after which the send fails.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sender address used when `--mail-from` is not given.
pub const DEFAULT_FROM: &str = "quartet <quartet@localhost>";

/// Why a message could not be built or handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `--smtp-url` is not an `smtp://` or `smtps://` URL lettre accepts.
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    /// A sender or recipient that is not a mailbox.
    #[error("invalid address {0:?}")]
    Address(String),
    /// The message could not be assembled.
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The relay refused the message or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(#[from] SmtpError),
    /// The relay did not finish within the timeout.
    #[error("the SMTP relay did not answer in time")]
    Timeout,
    /// The mail folder could not be written.
    #[error("writing the mail folder: {0}")]
    Io(#[from] std::io::Error),
}

/// One plain-text message.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Body: ASCII text, lines separated by `\n`.
    pub text: String,
}

/// Where messages go.
enum Route {
    /// The SMTP relay of `--smtp-url`.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this folder.
    Folder(PathBuf),
}

/// The process's mailer: one per process, shared by every surface.
pub struct Mailer {
    from: Mailbox,
    route: Route,
    timeout: Duration,
    log: Logger,
}

impl Mailer {
    /// A mailer that sends through `smtp_url` (`smtp://host:port`, plain or
    /// with `?tls=required|opportunistic` for STARTTLS; `smtps://host:port` for
    /// TLS from the first byte; credentials as `user:password@`), or writes to
    /// `data_dir/mail/` when it is `None`. A send to the relay fails after
    /// `timeout`. Nothing is contacted yet.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        timeout: Duration,
        data_dir: &Path,
        log: Logger,
    ) -> Result<Self, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Address(from.to_owned()))?;
        let route = match smtp_url {
            Some(url) => Route::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The error would echo the URL, credentials included.
                    .map_err(|_| MailError::Url(redacted(url)))?
                    .timeout(Some(timeout))
                    .build(),
            ),
            None => Route::Folder(data_dir.join("mail")),
        };
        Ok(Self {
            from,
            route,
            timeout,
            log,
        })
    }

    /// Whether messages go to the mail folder (no SMTP relay configured).
    pub fn is_folder(&self) -> bool {
        matches!(self.route, Route::Folder(_))
    }

    /// Hands `mail` over: to the relay, within the timeout, or to the folder.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        match &self.route {
            Route::Smtp(transport) => {
                tokio::time::timeout(self.timeout, transport.send(message))
                    .await
                    .map_err(|_| MailError::Timeout)??;
                slog::info!(self.log, "mail sent"; "to" => &mail.to, "subject" => &mail.subject);
            }
            Route::Folder(dir) => {
                let path = write_eml(dir.clone(), message.formatted()).await?;
                slog::info!(self.log, "mail written to the mail folder (no --smtp-url)";
                    "to" => &mail.to, "subject" => &mail.subject, "path" => %path.display());
            }
        }
        Ok(())
    }

    /// Sends `mail` from a task of its own, so the caller's answer does not wait
    /// for (or depend on) the relay; a failure is logged.
    pub fn send_detached(self: &Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move {
            if let Err(e) = mailer.send(&mail).await {
                slog::warn!(mailer.log, "mail not sent"; "to" => &mail.to,
                    "subject" => &mail.subject, "error" => %e);
            }
        });
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body(&mail.text))?)
    }
}

/// The body as 7-bit text when it is ASCII with lines a relay accepts
/// unchanged (links stay on one line, so they can be clicked and copied);
/// otherwise lettre's own choice of encoding.
fn body(text: &str) -> Body {
    let plain = text.is_ascii()
        && !text.contains('\0')
        && !text.contains('\r')
        && text.lines().all(|l| l.len() <= 900);
    if plain {
        let crlf = text.replace('\n', "\r\n");
        Body::dangerous_pre_encoded(
            crlf.into_bytes(),
            lettre::message::header::ContentTransferEncoding::SevenBit,
        )
    } else {
        Body::new(text.to_owned())
    }
}

/// Writes one message to `dir` (created, owner-only, when missing) as
/// `<unix millis>-<random>.eml`, readable by the owner only: it may carry a
/// live token.
async fn write_eml(dir: PathBuf, bytes: Vec<u8>) -> Result<PathBuf, MailError> {
    Ok(tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let path = dir.join(format!("{millis}-{}.eml", random_hex(4)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?.write_all(&bytes)?;
        Ok::<_, std::io::Error>(path)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??)
}

/// `url` without its user information, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(unparsable)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ascii_lines_stay_on_one_line() {
        let link = format!("https://example.com/verify-email?token={}", "a".repeat(80));
        let b = body(&format!("Hello\n{link}\n"));
        assert_eq!(
            b.encoding(),
            lettre::message::header::ContentTransferEncoding::SevenBit
        );
        let text = String::from_utf8(b.into_vec()).unwrap();
        assert!(text.contains(&link));
        assert!(text.contains("Hello\r\n"));
    }

    #[test]
    fn non_ascii_bodies_are_encoded() {
        let b = body("Grüße\n");
        assert_ne!(
            b.encoding(),
            lettre::message::header::ContentTransferEncoding::SevenBit
        );
    }

    #[test]
    fn urls_are_checked_and_never_echo_credentials() {
        let log = Logger::root(slog::Discard, slog::o!());
        let dir = Path::new("/nonexistent");
        let t = DEFAULT_TIMEOUT;
        assert!(Mailer::new(
            Some("smtp://127.0.0.1:2525"),
            DEFAULT_FROM,
            t,
            dir,
            log.clone()
        )
        .is_ok());
        assert!(Mailer::new(
            Some("smtps://mail.example.com"),
            DEFAULT_FROM,
            t,
            dir,
            log.clone()
        )
        .is_ok());
        let bad = Mailer::new(
            Some("ftp://user:hunter2@host"),
            DEFAULT_FROM,
            t,
            dir,
            log.clone(),
        );
        match bad {
            Err(e) => assert!(!e.to_string().contains("hunter2"), "{e}"),
            Ok(_) => panic!("ftp:// accepted"),
        }
        assert!(Mailer::new(None, "not an address", t, dir, log).is_err());
    }
}
