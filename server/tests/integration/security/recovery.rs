//! Attacks on Bitstride's email verification and password recovery: replaying
//! a spent or expired link, probing `forgot` for accounts, a reset that leaves
//! the attacker's sessions alive, tokens readable in the database, guessing the
//! current password through the password change, and one account's link used
//! on another.

use std::time::Duration;

use quartet_conformance::mail::{self, SmtpSink};
use quartet_conformance::server::stored_bytes;
use serde_json::json;

use crate::bitstride_mail::{folder_token, spawn, Api, PASSWORD};

/// Asks for a reset of `email` and returns the token mailed for it.
async fn reset_token(anon: &Api, dir: &std::path::Path, email: &str) -> String {
    let before: Vec<String> = mail::folder(dir)
        .iter()
        .filter_map(|m| mail::token(m, "prt_"))
        .collect();
    let f = anon
        .post("/v1/auth/password/forgot", json!({"email": email}))
        .await;
    assert_eq!(f.status, 202);
    for _ in 0..200 {
        if let Some(t) = mail::folder(dir)
            .iter()
            .filter(|m| mail::is_to(m, email))
            .filter_map(|m| mail::token(m, "prt_"))
            .find(|t| !before.contains(t))
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no reset mail for {email}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_link_does_not_work_twice() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    anon.register("ada@example.com").await;
    let verify = folder_token(dir.path(), "ada@example.com", "evt_").await;
    let body = json!({"token": verify});
    assert_eq!(
        anon.post("/v1/auth/verify-email", body.clone())
            .await
            .status,
        200
    );
    let again = anon.post("/v1/auth/verify-email", body).await;
    assert_eq!((again.status, again.code()), (400, "invalid_request"));

    let reset = reset_token(&anon, dir.path(), "ada@example.com").await;
    let first = json!({"token": reset, "password": "first new passphrase"});
    assert_eq!(
        anon.post("/v1/auth/password/reset", first).await.status,
        204
    );
    // Replaying the link (say, from a copied mail) cannot set the password again.
    let replay = json!({"token": reset, "password": "attacker passphrase"});
    let r = anon.post("/v1/auth/password/reset", replay).await;
    assert_eq!((r.status, r.code()), (400, "invalid_request"));
    anon.login("ada@example.com", "first new passphrase").await;
    // Concurrent uses of one fresh link: exactly one succeeds.
    let reset = reset_token(&anon, dir.path(), "ada@example.com").await;
    let tries = futures::future::join_all((0..6).map(|i| {
        anon.post(
            "/v1/auth/password/reset",
            json!({"token": reset, "password": format!("racing passphrase {i}")}),
        )
    }))
    .await;
    assert_eq!(tries.iter().filter(|a| a.status == 204).count(), 1);
    assert_eq!(tries.iter().filter(|a| a.status == 400).count(), 5);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Lifetimes are operator flags (24 hours and 1 hour by default); here one second.
    let s = spawn(
        dir.path(),
        &[
            "--bitstride-email-verification-ttl-secs",
            "1",
            "--bitstride-password-reset-ttl-secs",
            "1",
        ],
    )
    .await;
    let anon = Api::new(&s.base_url);
    let (ada, _) = anon.register("ada@example.com").await;
    let verify = folder_token(dir.path(), "ada@example.com", "evt_").await;
    let reset = reset_token(&anon, dir.path(), "ada@example.com").await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let v = anon
        .post("/v1/auth/verify-email", json!({"token": verify}))
        .await;
    assert_eq!((v.status, v.code()), (400, "invalid_request"));
    let r = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": reset, "password": "attacker passphrase"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_request"));
    assert!(ada.me().await.body["user"]
        .get("email_verified_at")
        .is_none());
    anon.login("ada@example.com", PASSWORD).await;
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_tells_nothing_about_unknown_addresses_and_mails_nothing() {
    let sink = SmtpSink::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &["--smtp-url", &sink.url()]).await;
    let anon = Api::new(&s.base_url);
    anon.register("ada@example.com").await;
    sink.wait_for("ada@example.com").await.unwrap();

    let unknown = anon
        .post(
            "/v1/auth/password/forgot",
            json!({"email": "nobody@example.com"}),
        )
        .await;
    let known = anon
        .post(
            "/v1/auth/password/forgot",
            json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(unknown.status, 202);
    assert_eq!(known.status, 202);
    assert_eq!(unknown.body, known.body, "the answer is the same");
    for _ in 0..200 {
        if sink.messages().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a stray message time to arrive, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = sink.messages();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|m| m.to == ["ada@example.com"]));
    assert!(sent[1].data.contains("prt_"));
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_ends_every_session_and_refresh_family() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    // The attacker knows the old password and holds two sessions.
    let (first, first_session) = anon.register("ada@example.com").await;
    let (second, second_session) = anon.login("ada@example.com", PASSWORD).await;
    let reset = reset_token(&anon, dir.path(), "ada@example.com").await;
    let r = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": reset, "password": "owner's new passphrase"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    for (caller, session) in [(&first, &first_session), (&second, &second_session)] {
        assert_eq!(caller.me().await.status, 401);
        assert_eq!(caller.call("GET", "/v1/projects", None).await.status, 401);
        let refresh = anon
            .post(
                "/v1/auth/refresh",
                json!({"refresh_token": session["refresh_token"]}),
            )
            .await;
        assert_eq!((refresh.status, refresh.code()), (401, "unauthorized"));
    }
    let old = anon
        .post(
            "/v1/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status, 401);
    anon.login("ada@example.com", "owner's new passphrase")
        .await;
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailed_tokens_are_stored_only_as_digests() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    anon.register("ada@example.com").await;
    let verify = folder_token(dir.path(), "ada@example.com", "evt_").await;
    let reset = reset_token(&anon, dir.path(), "ada@example.com").await;
    s.kill().await.unwrap();
    let stored = stored_bytes(dir.path()).await.unwrap();
    let has = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    for token in [&verify, &reset] {
        // Neither the token nor its random part is in the database...
        assert!(!has(token.as_bytes()), "{token} stored in clear");
        assert!(!has(&token.as_bytes()[4..]), "{token} stored in clear");
        // ...but its digest is (so this search does find what is there).
        let digest = hex_sha256(token.as_bytes());
        assert!(has(digest.as_bytes()), "digest of {token} not found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_current_password_is_refused_and_throttled_like_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    // A stolen session tries to take the account over by changing its password.
    let (thief, _) = anon.register("ada@example.com").await;
    for i in 0..5 {
        let a = thief
            .post(
                "/v1/auth/password",
                json!({"current_password": format!("guess {i}"), "new_password": "attacker passphrase"}),
            )
            .await;
        assert_eq!(
            (a.status, a.code()),
            (401, "invalid_credentials"),
            "{}",
            a.body
        );
    }
    let locked = thief
        .post(
            "/v1/auth/password",
            json!({"current_password": "guess 5", "new_password": "attacker passphrase"}),
        )
        .await;
    assert_eq!((locked.status, locked.code()), (429, "rate_limited"));
    assert!(locked.headers.contains_key("retry-after"));
    // The same counter as sign-in: the address is locked there too, even with
    // the right password, and so is the change with the right one.
    let login = anon
        .post(
            "/v1/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 429);
    let right = thief
        .post(
            "/v1/auth/password",
            json!({"current_password": PASSWORD, "new_password": "attacker passphrase"}),
        )
        .await;
    assert_eq!(right.status, 429);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_accounts_link_does_nothing_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = Api::new(&s.base_url);
    let (ada, _) = anon.register("ada@example.com").await;
    let (eve, _) = anon.register("eve@example.com").await;
    let ada_verify = folder_token(dir.path(), "ada@example.com", "evt_").await;
    let eve_verify = folder_token(dir.path(), "eve@example.com", "evt_").await;
    let eve_reset = reset_token(&anon, dir.path(), "eve@example.com").await;

    // A verification token is not a reset token, nor the other way round.
    let r = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": eve_verify, "password": "attacker passphrase"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let v = anon
        .post("/v1/auth/verify-email", json!({"token": eve_reset}))
        .await;
    assert_eq!(v.status, 400);
    // Eve's link, sent by Eve while signed in, verifies Eve only.
    let v = eve
        .post("/v1/auth/verify-email", json!({"token": eve_verify}))
        .await;
    assert_eq!(v.body["email"], "eve@example.com");
    assert!(ada.me().await.body["user"]
        .get("email_verified_at")
        .is_none());
    // Eve's reset sets Eve's password and ends Eve's sessions only.
    let r = anon
        .post(
            "/v1/auth/password/reset",
            json!({"token": eve_reset, "password": "eve's new passphrase"}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(ada.me().await.status, 200);
    anon.login("ada@example.com", PASSWORD).await;
    // Ada's own link still works for Ada.
    let v = anon
        .post("/v1/auth/verify-email", json!({"token": ada_verify}))
        .await;
    assert_eq!(v.body["email"], "ada@example.com");
    s.kill().await.unwrap();
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
