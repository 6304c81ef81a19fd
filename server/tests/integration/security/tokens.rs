//! Bindu token introspection: audience and expiry required.
//!
//! A resource server that takes any active introspection answer accepts a token
//! minted for another resource server (no `aud` check) or one that never expires
//! (no `exp`); one that asks the authorization server on every call turns every
//! request into two. Each attack goes through the live agent, with a loopback
//! stand-in for the RFC 7662 endpoint that answers per token.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quartet_conformance::mock::{Mock, MockReply, MockRequest};
use quartet_conformance::server::ServerProcess;
use serde_json::{json, Value};

use crate::support::bindu::{create_client, rpc, serve};

/// How soon a revocation is honoured (`platform::cache::REVOCATION_BOUND`).
const REVOCATION_BOUND: Duration = Duration::from_secs(2);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Bindu client the stand-in names in its answers.
async fn client(dir: &Path) -> String {
    create_client(dir, "agent:read", &[]).await["client_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The introspection stand-in: answers `answers[token]` (else inactive) and
/// counts how often each token was asked about.
struct Introspection {
    mock: Mock,
    answers: Arc<Mutex<HashMap<String, Value>>>,
    asked: Arc<Mutex<HashMap<String, usize>>>,
}

impl Introspection {
    async fn start(answers: HashMap<String, Value>) -> Self {
        let answers = Arc::new(Mutex::new(answers));
        let asked: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (a, n) = (answers.clone(), asked.clone());
        let mock = Mock::start(move |r: &MockRequest| {
            let form = String::from_utf8_lossy(&r.body).into_owned();
            let token = form
                .split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .unwrap_or("")
                .to_owned();
            *n.lock().unwrap().entry(token.clone()).or_default() += 1;
            let answer = a
                .lock()
                .unwrap()
                .get(&token)
                .cloned()
                .unwrap_or(json!({"active": false}));
            MockReply::json(200, answer.to_string())
        })
        .await
        .unwrap();
        Self {
            mock,
            answers,
            asked,
        }
    }

    fn asked(&self, token: &str) -> usize {
        self.asked.lock().unwrap().get(token).copied().unwrap_or(0)
    }

    fn answer(&self, token: &str, answer: Value) {
        self.answers.lock().unwrap().insert(token.into(), answer);
    }
}

async fn agent(dir: &Path, introspection: &Introspection) -> ServerProcess {
    let url = introspection.mock.url("/introspect");
    serve(
        dir,
        &[
            "--bindu-auth",
            "introspection",
            "--bindu-introspection-url",
            &url,
        ],
    )
    .await
}

/// `tasks/list` with bearer `token`: the HTTP status and the JSON-RPC error code.
async fn list(base: &str, token: &str) -> (u16, Value) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/list"});
    let (status, body) = rpc(base, Some(token), &body).await;
    (status, body["error"]["code"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_answers_without_exp_or_our_audience_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let id = client(dir.path()).await;
    let exp = now() + 600;
    let active = |extra: Value| {
        let mut a = json!({"active": true, "client_id": id, "scope": "agent:read"});
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    };
    let answers = HashMap::from([
        ("no-exp".into(), active(json!({"aud": "bindu-agent"}))),
        ("no-aud".into(), active(json!({"exp": exp}))),
        (
            "other-aud".into(),
            active(json!({"exp": exp, "aud": "billing-api"})),
        ),
        (
            "other-auds".into(),
            active(json!({"exp": exp, "aud": ["billing-api", "bindu-agent-2"]})),
        ),
        (
            "aud-not-a-string".into(),
            active(json!({"exp": exp, "aud": {"bindu-agent": true}})),
        ),
        (
            "expired".into(),
            active(json!({"exp": now() - 5, "aud": "bindu-agent"})),
        ),
        (
            "ours".into(),
            active(json!({"exp": exp, "aud": "bindu-agent"})),
        ),
        (
            "ours-among-others".into(),
            active(json!({"exp": exp, "aud": ["billing-api", "bindu-agent"]})),
        ),
    ]);
    let introspection = Introspection::start(answers).await;
    let s = agent(dir.path(), &introspection).await;
    for token in [
        "no-exp",
        "no-aud",
        "other-aud",
        "other-auds",
        "aud-not-a-string",
    ] {
        assert_eq!(
            list(&s.base_url, token).await,
            (401, json!(-32010)),
            "{token}"
        );
    }
    assert_eq!(list(&s.base_url, "expired").await, (401, json!(-32011)));
    for token in ["ours", "ours-among-others"] {
        assert_eq!(list(&s.base_url, token).await.0, 200, "{token}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_is_asked_once_within_the_revocation_bound_and_a_revocation_is_seen_within_it(
) {
    let dir = tempfile::tempdir().unwrap();
    let id = client(dir.path()).await;
    let good = json!({"active": true, "client_id": id, "scope": "agent:read",
        "exp": now() + 600, "aud": "bindu-agent"});
    let introspection = Introspection::start(HashMap::from([("t".into(), good)])).await;
    let s = agent(dir.path(), &introspection).await;
    let first = Instant::now();
    for _ in 0..10 {
        assert_eq!(list(&s.base_url, "t").await.0, 200);
    }
    if first.elapsed() < REVOCATION_BOUND {
        assert_eq!(introspection.asked("t"), 1, "ten calls, one question");
    }
    // The authorization server revokes the token: the agent notices within the bound.
    introspection.answer("t", json!({"active": false}));
    let revoked = Instant::now();
    loop {
        if list(&s.base_url, "t").await == (401, json!(-32010)) {
            break;
        }
        assert!(
            revoked.elapsed() < REVOCATION_BOUND + Duration::from_millis(500),
            "the revoked token was still accepted after the bound"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("revocation honoured after {:?}", revoked.elapsed());
    assert!(introspection.asked("t") >= 2, "asked again after the bound");
    // Inactive answers are not cached: each call asks.
    let before = introspection.asked("gone");
    for _ in 0..3 {
        assert_eq!(list(&s.base_url, "gone").await, (401, json!(-32010)));
    }
    assert_eq!(introspection.asked("gone"), before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_answer_is_not_used_past_the_tokens_exp() {
    let dir = tempfile::tempdir().unwrap();
    let id = client(dir.path()).await;
    // Expires about a second from now: within the bound, after the first call.
    let exp = now() + 1;
    let answer = json!({"active": true, "client_id": id, "scope": "agent:read",
        "exp": exp, "aud": "bindu-agent"});
    let introspection = Introspection::start(HashMap::from([("short".into(), answer)])).await;
    let s = agent(dir.path(), &introspection).await;
    let (status, _) = list(&s.base_url, "short").await;
    assert!(
        status == 200 || now() >= exp,
        "accepted while it had not expired"
    );
    while now() < exp {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The stand-in still answers active with the past exp: the agent refuses
    // it as expired (and did not answer from its cache).
    assert_eq!(list(&s.base_url, "short").await, (401, json!(-32011)));
}
