//! Bitstride accounts: OIDC linking, email verification, recovery, attempt counting.
//!
//! OIDC: an external identity is (provider, subject) and signs in by that pair;
//! a new identity reaches an existing account only when both the account's and
//! the provider's email are verified. Each test drives the live server with a
//! loopback provider whose claims it chooses per sign-in.

use quartet_conformance::server::{admin, ServerProcess};
use serde_json::{json, Value};

use crate::support::bin;
use crate::support::bitstride::{C, PASSWORD};
use crate::support::oidc::{Flow, Provider};

/// A Bitstride server with two providers, `corp` and `other`.
struct World {
    server: ServerProcess,
    dir: tempfile::TempDir,
    corp: Provider,
    other: Provider,
}

impl World {
    async fn start() -> Self {
        let (corp, other) = (Provider::start().await, Provider::start().await);
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("oauth.toml");
        std::fs::write(
            &config,
            format!("{}{}", corp.config("corp"), other.config("other")),
        )
        .unwrap();
        let args: Vec<String> = [
            "--log-level",
            "warn",
            "--bitstride-oauth-config",
            config.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        let server = ServerProcess::spawn(&bin(), dir.path(), "bitstride", &args)
            .await
            .unwrap();
        Self {
            server,
            dir,
            corp,
            other,
        }
    }

    fn corp(&self) -> Flow<'_> {
        Flow {
            base: &self.server.base_url,
            name: "corp",
            provider: &self.corp,
        }
    }

    fn other(&self) -> Flow<'_> {
        Flow {
            base: &self.server.base_url,
            name: "other",
            provider: &self.other,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let anon = C::new(&self.server.base_url);
        match token {
            Some(t) => anon.with(t),
            None => anon,
        }
        .req(method, path, body)
        .await
    }

    /// Registers `email` with the password; returns (access token, user id).
    async fn register(&self, email: &str) -> (String, String) {
        let (s, v) = self
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        session(&v)
    }

    /// Signs in with the password; returns (access token, user id).
    async fn login(&self, email: &str) -> (String, String) {
        let (s, v) = self
            .call(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        session(&v)
    }

    /// The (provider, subject) pairs linked to the account of `token`.
    async fn identities(&self, token: &str) -> Vec<(String, String)> {
        let (s, v) = self
            .call("GET", "/v1/auth/identities", Some(token), None)
            .await;
        assert_eq!(s, 200, "{v}");
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["provider"].as_str().unwrap().to_owned(),
                    i["subject"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    async fn stop(self) {
        self.server.kill().await.unwrap();
    }
}

/// (access token, user id) of a session answer.
fn session(v: &Value) -> (String, String) {
    (
        v["access_token"].as_str().expect("a session").to_owned(),
        v["user"]["id"].as_str().unwrap().to_owned(),
    )
}

fn claims(sub: &str, email: &str, verified: bool) -> Value {
    json!({"sub": sub, "email": email, "email_verified": verified})
}

/// The error code of an answer.
fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// The pre-registration takeover: the attacker registers the victim's address
/// with a password (never verified); the victim's later OIDC sign-in must not
/// land in that account, and the attacker's password must not gain the identity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_sign_in_does_not_land_in_an_account_registered_with_an_unverified_email() {
    let w = World::start().await;
    let (attacker, attacker_id) = w.register("victim@example.com").await;
    let (s, v) = w
        .corp()
        .sign_in(claims("victim-1", "Victim@Example.com", true))
        .await;
    assert_eq!((s, code(&v)), (409, "identity_link_required"), "{v}");
    assert_eq!(
        v["error"]["message"],
        "an account with this email already exists; sign in with its password and link this provider from the account settings"
    );
    assert!(v.get("access_token").is_none() && v.get("mfa_token").is_none());
    // Nothing was linked: the attacker's session and a fresh password sign-in see no identity.
    assert!(w.identities(&attacker).await.is_empty());
    let (again, again_id) = w.login("victim@example.com").await;
    assert_eq!(again_id, attacker_id);
    assert!(w.identities(&again).await.is_empty());
    // Trying again changes nothing.
    let (s, v) = w
        .corp()
        .sign_in(claims("victim-1", "victim@example.com", true))
        .await;
    assert_eq!((s, code(&v)), (409, "identity_link_required"));
    assert!(w.identities(&attacker).await.is_empty());
    w.stop().await;
}

/// Once linked, an identity signs in by (provider, subject): an email change at
/// the provider neither breaks it nor moves it to the account of the new address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_identity_signs_in_by_subject_whatever_email_it_reports_later() {
    let w = World::start().await;
    // First sign-in: no account has the address, so one is created and linked.
    let (s, v) = w
        .corp()
        .sign_in(claims("s-1", "grace@example.com", true))
        .await;
    assert_eq!(s, 200, "{v}");
    let (grace, grace_id) = session(&v);
    assert_eq!(v["user"]["email"], "grace@example.com");
    assert_eq!(
        w.identities(&grace).await,
        [("corp".to_owned(), "s-1".to_owned())]
    );
    // A verified account owns the address the provider reports next.
    let out = admin(
        &bin(),
        w.dir.path(),
        &[
            "bitstride",
            "account-create",
            "--email",
            "hopper@example.com",
            "--password",
            PASSWORD,
            "--email-verified",
        ],
    )
    .await
    .unwrap();
    let hopper_id = serde_json::from_str::<Value>(&out).unwrap()["user_id"].clone();
    for reported in [
        claims("s-1", "hopper@example.com", true),
        claims("s-1", "someone@example.com", false),
        json!({"sub": "s-1"}),
    ] {
        let (s, v) = w.corp().sign_in(reported.clone()).await;
        assert_eq!(s, 200, "{reported}: {v}");
        assert_eq!(v["user"]["id"], grace_id, "{reported}");
        assert_ne!(v["user"]["id"], hopper_id);
        assert_eq!(v["user"]["email"], "grace@example.com");
    }
    // The same holds for an identity linked by a signed-in password account.
    let (ada, ada_id) = w.register("ada@example.com").await;
    let (s, v) = w
        .corp()
        .link(&ada, claims("s-2", "ada@corp.example", false))
        .await;
    assert_eq!((s, v["user"]["id"].as_str()), (200, Some(&*ada_id)), "{v}");
    let (s, v) = w
        .corp()
        .sign_in(claims("s-2", "grace@example.com", true))
        .await;
    assert_eq!((s, v["user"]["id"].as_str()), (200, Some(&*ada_id)), "{v}");
    w.stop().await;
}

/// A new subject with an address an account already has: linked automatically
/// only when that account's email is verified, the provider verified the
/// address, and the account has no identity of that provider yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_subject_with_the_same_email_reaches_an_account_only_when_both_are_verified() {
    let w = World::start().await;
    let (s, v) = w
        .corp()
        .sign_in(claims("s-1", "same@example.com", true))
        .await;
    assert_eq!(s, 200, "{v}");
    let (token, id) = session(&v);
    // Another subject of the same provider, same verified address: refused.
    let (s, v) = w
        .corp()
        .sign_in(claims("s-2", "same@example.com", true))
        .await;
    assert_eq!((s, code(&v)), (409, "identity_link_required"), "{v}");
    // Another provider that does not vouch for the address: nothing happens.
    let (s, v) = w
        .other()
        .sign_in(claims("o-1", "same@example.com", false))
        .await;
    assert_eq!(
        (s, v["error"]["message"].as_str()),
        (
            502,
            Some("the OAuth provider did not report a verified email")
        ),
        "{v}"
    );
    assert_eq!(
        w.identities(&token).await,
        [("corp".to_owned(), "s-1".to_owned())]
    );
    // Another provider that vouches for it, and the account's address is verified: linked.
    let (s, v) = w
        .other()
        .sign_in(claims("o-1", "same@example.com", true))
        .await;
    assert_eq!((s, v["user"]["id"].as_str()), (200, Some(&*id)), "{v}");
    assert_eq!(w.identities(&token).await.len(), 2);
    // A password account whose address an operator verified links too; unverified by the provider, not.
    admin(
        &bin(),
        w.dir.path(),
        &[
            "bitstride",
            "account-create",
            "--email",
            "v@example.com",
            "--password",
            PASSWORD,
            "--email-verified",
        ],
    )
    .await
    .unwrap();
    let (s, v) = w
        .corp()
        .sign_in(claims("s-3", "v@example.com", false))
        .await;
    assert_eq!(s, 502, "{v}");
    let (s, v) = w.corp().sign_in(claims("s-3", "v@example.com", true)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["user"]["id"], w.login("v@example.com").await.1);
    w.stop().await;
}

/// Linking, listing and unlinking are the signed-in session's alone: an API key
/// is refused, a link flow finishes only with the session that started it, and
/// another account's identity can be neither taken nor unlinked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_are_managed_only_by_their_own_session() {
    let w = World::start().await;
    let (u, _) = w.register("u@example.com").await;
    let (v_tok, _) = w.register("v@example.com").await;
    let (s, key) = w
        .call("POST", "/v1/api_keys", Some(&u), Some(json!({"name": "k"})))
        .await;
    assert_eq!(s, 201);
    let key = key["key"].as_str().unwrap().to_owned();
    for (method, path) in [
        ("POST", "/v1/auth/link/corp"),
        ("GET", "/v1/auth/identities"),
        ("DELETE", "/v1/auth/identities/corp"),
    ] {
        let (s, v) = w.call(method, path, Some(&key), None).await;
        assert_eq!((s, code(&v)), (403, "forbidden"), "{method} {path}");
        assert_eq!(w.call(method, path, None, None).await.0, 401);
    }
    // A link flow finishes only with the session that started it.
    let (started, pair) = w
        .corp()
        .link_start(&u, claims("u-sub", "u@example.com", true))
        .await;
    assert_eq!(started.0, 200, "{}", started.1);
    let (c, state) = pair.unwrap();
    for token in [None, Some(&*key), Some(&*v_tok)] {
        let (s, v) = w.corp().callback(&c, &state, token).await;
        assert_eq!((s, code(&v)), (403, "forbidden"), "{v}");
    }
    assert!(w.identities(&v_tok).await.is_empty());
    let (s, v) = w.corp().callback(&c, &state, Some(&u)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        w.identities(&u).await,
        [("corp".to_owned(), "u-sub".to_owned())]
    );
    // A second identity of the same provider is refused at the start.
    let (s, v) = w.call("POST", "/v1/auth/link/corp", Some(&u), None).await;
    assert_eq!((s, code(&v)), (409, "conflict"));
    // v cannot take u's identity, nor unlink it.
    let (s, v) = w
        .corp()
        .link(&v_tok, claims("u-sub", "v@example.com", true))
        .await;
    assert_eq!(
        (s, v["error"]["message"].as_str()),
        (
            409,
            Some("this provider account is already linked to another account")
        )
    );
    let (s, _) = w
        .call("DELETE", "/v1/auth/identities/corp", Some(&v_tok), None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(w.identities(&u).await.len(), 1);
    // An account created by a provider keeps at least one way to sign in.
    let (s, g) = w
        .other()
        .sign_in(claims("g-1", "g@example.com", true))
        .await;
    assert_eq!(s, 200, "{g}");
    let (g, _) = session(&g);
    let (s, v) = w
        .call("DELETE", "/v1/auth/identities/other", Some(&g), None)
        .await;
    assert_eq!((s, code(&v)), (409, "invalid_state"), "{v}");
    let (s, v) = w
        .corp()
        .link(&g, claims("g-2", "g@corp.example", false))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        w.call("DELETE", "/v1/auth/identities/other", Some(&g), None)
            .await
            .0,
        204
    );
    assert_eq!(
        w.call("DELETE", "/v1/auth/identities/corp", Some(&g), None)
            .await
            .0,
        409
    );
    // u has a password: unlinking its only identity works, and the subject no longer signs in to u.
    assert_eq!(
        w.call("DELETE", "/v1/auth/identities/corp", Some(&u), None)
            .await
            .0,
        204
    );
    let (s, v) = w
        .corp()
        .sign_in(claims("u-sub", "u@example.com", true))
        .await;
    assert_eq!((s, code(&v)), (409, "identity_link_required"), "{v}");
    w.stop().await;
}

/// The verified account of the linking rule is one whose owner followed the
/// mailed verification link: before it the provider's sign-in is refused,
/// after it the same sign-in links to the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_links_to_an_account_once_its_mailed_link_was_followed() {
    use crate::bitstride_mail::folder_token;
    let w = World::start().await;
    let (_, kim_id) = w.register("kim@example.com").await;
    let (s, v) = w
        .corp()
        .sign_in(claims("kim-1", "kim@example.com", true))
        .await;
    assert_eq!((s, code(&v)), (409, "identity_link_required"), "{v}");
    // No SMTP relay is configured: the verification mail is in the data directory.
    let token = folder_token(w.dir.path(), "kim@example.com", "evt_").await;
    let (s, v) = w
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = w
        .corp()
        .sign_in(claims("kim-1", "kim@example.com", true))
        .await;
    assert_eq!((s, v["user"]["id"].as_str()), (200, Some(&*kim_id)), "{v}");
    w.stop().await;
}
