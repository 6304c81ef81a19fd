//! Bitstride account mail against the real binary: verification links and
//! password resets delivered to a loopback SMTP server, the mail-folder
//! fallback, the resend route's limit, a relay that is down or hangs, and the
//! signed-in password change. The attacks on the same routes are in
//! `security/recovery.rs`; the client and server helpers here serve both.

use std::path::Path;
use std::time::{Duration, Instant};

use quartet_conformance::mail::{self, SmtpSink};
use quartet_conformance::server::{closed_port, ServerProcess};
use serde_json::{json, Value};

use crate::support::bin;
use crate::support::bitstride::{auth_split, C};

pub use crate::support::bitstride::{Answer, PASSWORD};

/// The token with `prefix` in the mail to `to` in the mail folder of `dir`
/// (waiting for it).
pub async fn folder_token(dir: &Path, to: &str, prefix: &str) -> String {
    let m = mail::wait_in_folder(dir, to, prefix).await.unwrap();
    mail::token(&m, prefix).unwrap()
}

/// Starts Bitstride on `dir` with `extra` flags.
pub async fn spawn(dir: &Path, extra: &[&str]) -> ServerProcess {
    let mut args: Vec<String> = ["--log-level", "info"].map(String::from).to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    ServerProcess::spawn(&bin(), dir, "bitstride", &args)
        .await
        .unwrap()
}

/// A caller of one server, optionally with a bearer token, whose sign-ins
/// assert their documented status.
#[derive(Clone)]
pub struct Api {
    c: C,
}

impl Api {
    /// A caller without a token.
    pub fn new(base: &str) -> Self {
        Self { c: C::new(base) }
    }

    /// The same caller with `token`.
    pub fn with(&self, token: &str) -> Self {
        Self {
            c: self.c.with(token),
        }
    }

    /// Sends `method path` with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.c.call(method, path, body).await
    }

    /// `POST path body`.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body)).await
    }

    /// Registers `email`; returns the signed-in caller and the session.
    pub async fn register(&self, email: &str) -> (Api, Value) {
        let a = self
            .post(
                "/v1/auth/register",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        (self.with(a.body["access_token"].as_str().unwrap()), a.body)
    }

    /// Signs in; returns the signed-in caller and the session.
    pub async fn login(&self, email: &str, password: &str) -> (Api, Value) {
        let a = self
            .post(
                "/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        (self.with(a.body["access_token"].as_str().unwrap()), a.body)
    }

    /// The account of this caller's credential, as `/v1/auth/verify` describes it.
    pub async fn me(&self) -> Answer {
        self.call("GET", "/v1/auth/verify", None).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_mails_a_verification_link_over_smtp() {
    let sink = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(
        dir.path(),
        &[
            "--smtp-url",
            &sink.url(),
            "--mail-from",
            "Bitstride <accounts@bitstride.test>",
            "--bitstride-public-url",
            "https://app.bitstride.test/",
        ],
    )
    .await;
    let anon = Api::new(&s.base_url);
    let (ada, session) = anon.register("Ada@Example.com").await;
    assert!(session["user"].get("email_verified_at").is_none());

    let m = sink.wait_for("ada@example.com").await.unwrap();
    assert_eq!(m.from, "accounts@bitstride.test");
    assert_eq!(
        mail::header(&m.data, "Subject").as_deref(),
        Some("Verify your Bitstride email address")
    );
    let link = mail::link(&m.data).unwrap();
    assert!(
        link.starts_with("https://app.bitstride.test/verify-email?token=evt_"),
        "{link}"
    );
    let token = mail::token(&m.data, "evt_").unwrap();
    assert_eq!(token.len(), 4 + 64);
    assert!(ada.me().await.body["user"]
        .get("email_verified_at")
        .is_none());

    let before = chrono_now();
    let v = anon
        .post("/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.body["email"], "ada@example.com");
    let at = v.body["email_verified_at"].as_i64().unwrap();
    assert!((before - 1..=before + 5).contains(&at), "{at}");
    assert_eq!(ada.me().await.body["user"]["email_verified_at"], at);
    // Verified: no more links to send.
    let again = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
    assert_eq!(sink.messages().len(), 1);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_over_smtp_sets_a_new_password() {
    let sink = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &["--smtp-url", &sink.url()]).await;
    let anon = Api::new(&s.base_url);
    anon.register("grace@example.com").await;
    sink.wait_for("grace@example.com").await.unwrap();

    let f = anon
        .post(
            "/v1/auth/password/forgot",
            json!({"email": " GRACE@example.com "}),
        )
        .await;
    assert_eq!(f.status, 202, "{}", f.body);
    let m = loop {
        let m = sink.wait_for("grace@example.com").await.unwrap();
        if m.data.contains("prt_") {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let link = mail::link(&m.data).unwrap();
    assert!(link.starts_with(&format!("{}/reset-password?token=prt_", s.base_url)));
    let token = mail::token(&m.data, "prt_").unwrap();

    let short = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!((short.status, short.code()), (400, "invalid_request"));
    let r = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": token, "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (me, _) = anon
        .login("grace@example.com", "a brand new passphrase")
        .await;
    // The link came through the mailbox: the address counts as verified.
    assert!(me.me().await.body["user"]["email_verified_at"].is_i64());
    let old = anon
        .post(
            "/v1/auth/login",
            json!({"email": "grace@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, 401);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mail_goes_to_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    let (ada, _) = anon.register("ada@example.com").await;
    let m = mail::wait_in_folder(dir.path(), "ada@example.com", "evt_")
        .await
        .unwrap();
    assert!(m.contains("Subject: Verify your Bitstride email address"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }
    let token = mail::token(&m, "evt_").unwrap();
    let v = anon
        .post("/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert!(ada.me().await.body["user"]["email_verified_at"].is_i64());
    // The log says where the message went.
    let log = std::fs::read_to_string(dir.path().join("bitstride-0.log")).unwrap();
    assert!(log.contains("mail written to the mail folder"), "{log}");
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_is_limited_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    let (ada, _) = anon.register("ada@example.com").await;
    let (bob, _) = anon.register("bob@example.com").await;
    // Registration sent the first of five mails an hour.
    for _ in 0..4 {
        let a = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
        assert_eq!(a.status, 202, "{}", a.body);
        assert_eq!(a.body["object"], "accepted");
    }
    let limited = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    let wait: i64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&wait), "{wait}");
    // Another account has its own allowance.
    assert_eq!(
        bob.call("POST", "/v1/auth/verify-email/resend", None)
            .await
            .status,
        202
    );
    let to_ada = mail::folder(dir.path())
        .iter()
        .filter(|m| mail::is_to(m, "ada@example.com"))
        .count();
    assert_eq!(to_ada, 5);
    // Every link of the five works until one is used; then they are all spent.
    let first = mail::folder(dir.path())
        .into_iter()
        .find(|m| mail::is_to(m, "ada@example.com"))
        .unwrap();
    let token = mail::token(&first, "evt_").unwrap();
    assert_eq!(
        anon.post("/v1/auth/verify-email", json!({"token": token}))
            .await
            .status,
        200
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_is_down_answers_502_and_a_later_resend_works() {
    let dir = tempfile::tempdir().unwrap();
    let down = format!("smtp://127.0.0.1:{}", closed_port());
    let s = spawn(dir.path(), &["--smtp-url", &down]).await;
    let anon = Api::new(&s.base_url);
    // Registration does not wait for the relay and succeeds.
    let (ada, session) = anon.register("ada@example.com").await;
    let a = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!((a.status, a.code()), (502, "upstream_error"), "{}", a.body);
    s.kill().await.unwrap();

    // The relay is back: asking again delivers a link that works.
    let sink = SmtpSink::start().await.unwrap();
    let s = spawn(dir.path(), &["--smtp-url", &sink.url()]).await;
    let ada = Api::new(&s.base_url).with(session["access_token"].as_str().unwrap());
    let a = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let m = sink.wait_for("ada@example.com").await.unwrap();
    let token = mail::token(&m.data, "evt_").unwrap();
    let v = Api::new(&s.base_url)
        .post("/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_hangs_is_given_up_on_after_the_timeout() {
    let sink = SmtpSink::silent().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(
        dir.path(),
        &["--smtp-url", &sink.url(), "--smtp-timeout-secs", "3"],
    )
    .await;
    let anon = Api::new(&s.base_url);
    let started = Instant::now();
    let (ada, _) = anon.register("ada@example.com").await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "registration waited for the relay"
    );
    let started = Instant::now();
    let a = ada.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!((a.status, a.code()), (502, "upstream_error"), "{}", a.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    let (here, _) = anon.register("ada@example.com").await;
    let (there, other) = anon.login("ada@example.com", PASSWORD).await;
    let key = here.post("/v1/api_keys", json!({"name": "ci"})).await.body["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"current_password": PASSWORD, "new_password": "another long passphrase"});
    // API keys cannot change the password.
    let k = anon
        .with(&key)
        .post("/v1/auth/password", body.clone())
        .await;
    assert_eq!((k.status, k.code()), (403, "forbidden"));
    let short = here
        .post(
            "/v1/auth/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!((short.status, short.code()), (400, "invalid_request"));
    let c = here.post("/v1/auth/password", body).await;
    assert_eq!(c.status, 204, "{}", c.body);
    assert_eq!(
        here.me().await.status,
        200,
        "the session that changed it goes on"
    );
    assert_eq!(there.me().await.status, 401);
    let refresh = anon
        .post(
            "/v1/auth/refresh",
            json!({"refresh_token": other["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status, 401);
    anon.login("ada@example.com", "another long passphrase")
        .await;
    s.kill().await.unwrap();
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_plane_forwards_the_recovery_routes_to_the_auth_service() {
    let dir = tempfile::tempdir().unwrap();
    let (auth, cp) = auth_split(dir.path()).await;
    let via = Api::new(&cp.base_url);
    let (me, _) = via.register("ada@example.com").await;
    // The auth service mailed the link (same data directory here); verified through the shim.
    let verify = folder_token(dir.path(), "ada@example.com", "evt_").await;
    let v = via
        .post("/v1/auth/verify-email", json!({"token": verify}))
        .await;
    assert_eq!(v.status, 200, "{}", v.body);
    let again = me.call("POST", "/v1/auth/verify-email/resend", None).await;
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
    let f = via
        .post(
            "/v1/auth/password/forgot",
            json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(f.status, 202);
    assert_eq!(f.body["object"], "accepted");
    let reset = folder_token(dir.path(), "ada@example.com", "prt_").await;
    let r = via
        .post(
            "/v1/auth/password/reset",
            json!({"token": reset, "password": "a second passphrase"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (me, _) = via.login("ada@example.com", "a second passphrase").await;
    let body =
        json!({"current_password": "a second passphrase", "new_password": "a third passphrase"});
    let c = me.post("/v1/auth/password", body).await;
    assert_eq!(c.status, 204, "{}", c.body);
    // The auth service's throttling comes back as a 429 with Retry-After.
    for _ in 0..5 {
        let w = me
            .post(
                "/v1/auth/password",
                json!({"current_password": "wrong", "new_password": "a fourth passphrase"}),
            )
            .await;
        assert_eq!((w.status, w.code()), (401, "invalid_credentials"));
    }
    let locked = me
        .post(
            "/v1/auth/password",
            json!({"current_password": "wrong", "new_password": "a fourth passphrase"}),
        )
        .await;
    assert_eq!((locked.status, locked.code()), (429, "rate_limited"));
    assert!(locked.headers.contains_key("retry-after"));
    cp.kill().await.unwrap();
    auth.kill().await.unwrap();
}
