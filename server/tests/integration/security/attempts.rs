//! Bitstride attempt limits under concurrency: a wrong password and a wrong MFA
//! code are counted before they are checked, so a burst of parallel guesses is
//! evaluated at most as often as the limit allows; MFA guesses are counted per
//! account too, so a fresh `mfa_token` from the right password resets nothing.

use serde_json::{json, Value};

use crate::support::bitstride::{code, spawn, C, PASSWORD};

/// Wrong codes an `mfa_token` takes (as documented under "Attempt limits").
const PER_TOKEN: usize = 5;
/// Wrong codes an account takes within 15 minutes.
const PER_ACCOUNT: usize = 10;
/// Failed passwords an address gets free within 15 minutes.
const FREE_PASSWORDS: usize = 5;

/// Registers `email`, enrols and confirms MFA; the caller and the TOTP secret.
async fn with_mfa(anon: &C, email: &str) -> (C, String) {
    let (me, _) = anon.register(email).await;
    let secret = me.enable_mfa().await;
    (me, secret)
}

/// A fresh `mfa_token` from the right password.
async fn mfa_token(anon: &C, email: &str) -> String {
    let (status, l) = anon.login(email, PASSWORD).await;
    assert_eq!((status, &l["mfa_required"]), (200, &json!(true)), "{l}");
    l["mfa_token"].as_str().unwrap().to_owned()
}

/// A six-digit code none of the accepted steps (previous, current, next) has.
fn wrong_code(secret: &str) -> String {
    let taken: Vec<String> = (-2..=2).map(|o| code(secret, o)).collect();
    (0..)
        .map(|n: u32| format!("{:06}", 100_000 + n))
        .find(|c| !taken.contains(c))
        .unwrap()
}

/// `n` wrong codes on `token` at once; how many were evaluated (answered
/// `invalid_mfa_code`) and how many found the token dead (`unauthorized`).
async fn burst(anon: &C, token: &str, wrong: &str, n: usize) -> (usize, usize) {
    let answers = futures::future::join_all((0..n).map(|_| {
        anon.post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": token, "code": wrong}),
        )
    }))
    .await;
    let code_of = |v: &Value| v["error"]["code"].as_str().unwrap_or("").to_owned();
    let evaluated = answers
        .iter()
        .filter(|(s, v)| *s == 401 && code_of(v) == "invalid_mfa_code")
        .count();
    let refused = answers
        .iter()
        .filter(|(s, v)| *s == 401 && code_of(v) == "unauthorized")
        .count();
    assert_eq!(evaluated + refused, n, "{answers:?}");
    (evaluated, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_mfa_codes_are_counted_before_they_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let email = "ada@example.com";
    let (me, secret) = with_mfa(&anon, email).await;
    let wrong = wrong_code(&secret);

    // 40 wrong codes at once on one mfa_token: only the first five are evaluated.
    let first = mfa_token(&anon, email).await;
    assert_eq!(burst(&anon, &first, &wrong, 40).await, (PER_TOKEN, 35));
    // The right code after the limit: the token is dead.
    let (status, v) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": first, "code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // Five wrong codes on the account so far: a fresh token and the right code work,
    // and that success gives back only its own attempt.
    let second = mfa_token(&anon, email).await;
    let (status, v) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": second, "code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{v}");

    // Another 40 on another fresh token: five more are evaluated, which makes ten
    // on the account.
    let third = mfa_token(&anon, email).await;
    assert_eq!(
        burst(&anon, &third, &wrong, 40).await,
        (PER_ACCOUNT - PER_TOKEN, 35)
    );
    // The right password mints a fresh token, but the account is locked: even the
    // right code is not evaluated.
    let fourth = mfa_token(&anon, email).await;
    let r = anon
        .http
        .post(format!("{}/v1/auth/mfa/verify-login", s.base_url))
        .json(&json!({"mfa_token": fourth, "code": code(&secret, 1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited", "{v}");
    // A recovery code is a second factor too: locked as well.
    let fifth = mfa_token(&anon, email).await;
    let (status, _) = anon
        .post(
            "/v1/auth/mfa/verify-login",
            json!({"mfa_token": fifth, "recovery_code": "0000-0000-0000"}),
        )
        .await;
    assert_eq!(status, 429);
    // Turning MFA off takes a code too: a stolen session cannot guess past the lock.
    let (status, v) = me
        .post("/v1/auth/mfa/disable", json!({"code": code(&secret, 1)}))
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{v}"
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_counted_before_they_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path(), &[]).await;
    let anon = C::new(&s.base_url);
    let email = "ada@example.com";
    anon.register(email).await;
    // 40 wrong passwords at once. Each is counted as it arrives: the first five
    // are checked (401), the sixth is checked and locks the address, and the rest
    // are refused (429) without reaching Argon2, so refusals come back while the
    // checked ones are still hashing. (Counted only after Argon2, every guess
    // would be hashed and the five 401s would all come back before any 429.)
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..40 {
        let (anon, tx) = (anon.clone(), tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(anon.login(email, "wrong password").await.0);
        });
    }
    drop(tx);
    let mut order = Vec::new();
    while let Some(status) = rx.recv().await {
        order.push(status);
        if status == 429 {
            break;
        }
    }
    // The address is locked now: the right password is not even checked.
    let (status, v) = anon.login(email, PASSWORD).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{v}"
    );
    while let Some(status) = rx.recv().await {
        order.push(status);
    }
    assert_eq!(
        order.iter().filter(|s| **s == 401).count(),
        FREE_PASSWORDS,
        "{order:?}"
    );
    assert_eq!(
        order.iter().filter(|s| **s == 429).count(),
        40 - FREE_PASSWORDS,
        "{order:?}"
    );
    assert!(
        order.iter().take_while(|s| **s == 401).count() < FREE_PASSWORDS,
        "a refusal waited for the checks: {order:?}"
    );
    // Still locked after the burst: the right password waits.
    assert_eq!(anon.login(email, PASSWORD).await.0, 429);
    s.kill().await.unwrap();
}
