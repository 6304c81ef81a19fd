//! RFC 7662 token introspection for `--bindu-auth introspection`: what the
//! authorization server says about a bearer token, checked for this agent, and
//! kept for a short while so that a busy caller is not one extra round trip
//! per request.
//!
//! An active answer is accepted only with an `exp` that is still ahead and an
//! `aud` (a string, or an array) that contains the agent's audience
//! (`--bindu-token-audience`): an answer without them says nothing about which
//! resource server the token was minted for, or until when. Accepted answers
//! are cached, keyed by the SHA-256 of the token, for at most
//! [`REVOCATION_BOUND`] and never past their `exp`; so a token the
//! authorization server revokes is refused within that bound. Refusals
//! (inactive tokens, wrong audience …) are not cached: each is asked again.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::platform::cache::{Cache, REVOCATION_BOUND};
use crate::platform::secrets::sha256;
use crate::platform::storage::now;

/// How many accepted tokens are kept at most.
const CAPACITY: usize = 10_000;

/// What an RFC 7662 introspection endpoint answers (the members read here).
#[derive(Debug, Deserialize)]
struct Answer {
    active: bool,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    aud: Option<Value>,
}

/// An accepted token: its client, scopes and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The client the token was issued to (`client_id`, else `sub`).
    pub client_id: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// When it expires (Unix seconds).
    pub exp: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The endpoint cannot be reached or gave no usable answer.
    #[error("the introspection endpoint is unavailable")]
    Unavailable,
    /// `active: false`.
    #[error("token is not active or has been revoked")]
    Inactive,
    /// Active, but the answer carries no `exp`.
    #[error("the introspection answer has no exp")]
    NoExpiry,
    /// Its `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// Its `aud` does not contain the agent's audience (or is missing).
    #[error("token is not meant for this agent (aud)")]
    WrongAudience,
    /// Neither `client_id` nor `sub`.
    #[error("introspection named no client")]
    NoClient,
}

/// Where and as whom tokens are introspected, and the accepted ones.
pub struct Introspector {
    http: reqwest::Client,
    url: String,
    client: Option<(String, Option<String>)>,
    audience: String,
    accepted: Cache<[u8; 32], Accepted>,
}

impl Introspector {
    /// Asks `url`, authenticating as `client` (id and secret, client_secret_post)
    /// when given, and accepts tokens for `audience`.
    pub fn new(
        http: reqwest::Client,
        url: String,
        client: Option<(String, Option<String>)>,
        audience: String,
    ) -> Self {
        Self::with_bound(http, url, client, audience, REVOCATION_BOUND)
    }

    fn with_bound(
        http: reqwest::Client,
        url: String,
        client: Option<(String, Option<String>)>,
        audience: String,
        bound: Duration,
    ) -> Self {
        Self {
            http,
            url,
            client,
            audience,
            accepted: Cache::standalone(bound, CAPACITY),
        }
    }

    /// The client and scopes of `token`, from the cache or the endpoint.
    pub async fn check(&self, token: &str) -> Result<Accepted, Refusal> {
        let key = sha256(token.as_bytes());
        if let Some(hit) = self.accepted.get(&key) {
            if now() < hit.exp {
                return Ok(hit);
            }
            // Expired meanwhile: the endpoint gives the precise answer.
            self.accepted.remove(&key);
        }
        let ticket = self.accepted.ticket();
        let answer = self.ask(token).await?;
        let accepted = self.judge(answer)?;
        self.accepted.insert(ticket, key, accepted.clone());
        Ok(accepted)
    }

    async fn ask(&self, token: &str) -> Result<Answer, Refusal> {
        let mut form = vec![("token", token)];
        if let Some((id, secret)) = &self.client {
            form.push(("client_id", id));
            if let Some(secret) = secret {
                form.push(("client_secret", secret));
            }
        }
        let answer = self
            .http
            .post(&self.url)
            .form(&form)
            .send()
            .await
            .map_err(|_| Refusal::Unavailable)?;
        if !answer.status().is_success() {
            return Err(Refusal::Unavailable);
        }
        answer.json().await.map_err(|_| Refusal::Unavailable)
    }

    /// Whether `answer` accepts the token for this agent, now.
    fn judge(&self, answer: Answer) -> Result<Accepted, Refusal> {
        if !answer.active {
            return Err(Refusal::Inactive);
        }
        let exp = answer.exp.ok_or(Refusal::NoExpiry)?;
        if exp <= now() {
            return Err(Refusal::Expired);
        }
        let ours = match &answer.aud {
            Some(Value::String(a)) => *a == self.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&self.audience)),
            _ => false,
        };
        if !ours {
            return Err(Refusal::WrongAudience);
        }
        let client_id = answer.client_id.or(answer.sub).ok_or(Refusal::NoClient)?;
        let scopes = answer
            .scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        Ok(Accepted {
            client_id,
            scopes,
            exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn introspector() -> Introspector {
        Introspector::new(
            reqwest::Client::new(),
            "http://127.0.0.1:9/".into(),
            None,
            "bindu-agent".into(),
        )
    }

    fn judge(answer: Value) -> Result<Accepted, Refusal> {
        introspector().judge(serde_json::from_value(answer).unwrap())
    }

    #[test]
    fn an_answer_needs_exp_ahead_and_our_audience() {
        let exp = now() + 60;
        assert_eq!(judge(json!({"active": false})), Err(Refusal::Inactive));
        let base = json!({"active": true, "client_id": "c", "scope": "a b"});
        let with = |extra: Value| {
            let mut a = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                a[k] = v.clone();
            }
            judge(a)
        };
        assert_eq!(with(json!({"aud": "bindu-agent"})), Err(Refusal::NoExpiry));
        assert_eq!(
            with(json!({"aud": "bindu-agent", "exp": now()})),
            Err(Refusal::Expired)
        );
        assert_eq!(with(json!({"exp": exp})), Err(Refusal::WrongAudience));
        assert_eq!(
            with(json!({"exp": exp, "aud": ["x", "bindu-agent2"]})),
            Err(Refusal::WrongAudience)
        );
        assert_eq!(
            with(json!({"exp": exp, "aud": 7})),
            Err(Refusal::WrongAudience)
        );
        let ok = Accepted {
            client_id: "c".into(),
            scopes: vec!["a".into(), "b".into()],
            exp,
        };
        assert_eq!(
            with(json!({"exp": exp, "aud": "bindu-agent"})),
            Ok(ok.clone())
        );
        assert_eq!(
            with(json!({"exp": exp, "aud": ["x", "bindu-agent"]})),
            Ok(ok)
        );
        assert_eq!(
            judge(json!({"active": true, "exp": exp, "aud": "bindu-agent"})),
            Err(Refusal::NoClient)
        );
    }

    #[tokio::test]
    async fn a_cached_token_past_its_exp_is_asked_about_again() {
        // A loopback port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let i = Introspector::with_bound(
            reqwest::Client::new(),
            format!("http://{closed}/"),
            None,
            "bindu-agent".into(),
            Duration::from_secs(60),
        );
        let key = sha256(b"t");
        let stale = Accepted {
            client_id: "c".into(),
            scopes: vec![],
            exp: now() - 1,
        };
        i.accepted.insert(i.accepted.ticket(), key, stale);
        // Not served from the cache: the (closed) endpoint is asked.
        assert_eq!(i.check("t").await, Err(Refusal::Unavailable));
        assert!(i.accepted.is_empty());
    }
}
