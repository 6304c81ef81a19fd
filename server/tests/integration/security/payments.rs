//! Bindu x402: no payment without its task, no token without its secret.
//!
//! Each attack is tried on a paid agent whose facilitator is a loopback stand-in
//! that records every call: the signed authorization is checked before the
//! facilitator is asked, nothing is settled for a message that is refused, a
//! failed settlement leaves no task, a nonce settles once even when sent twice
//! at the same moment, and a payment session's token is read only with its
//! secret. The last test signs with the official x402 Python SDK.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use k256::ecdsa::SigningKey;
use quartet_conformance::mock::{Mock, MockReply, MockRequest};
use quartet_conformance::server::ServerProcess;
use quartet_server::bindu::x402;
use serde_json::{json, Value};

use crate::support::bindu::{request, serve};
use crate::support::http;

/// The paid agent's recipient.
pub const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
/// The payer's test key (0x11…11; address 0x19E7…ff2A).
pub const PAYER_KEY: [u8; 32] = [0x11; 32];
/// Base Sepolia USDC, the default asset.
const ASSET: &str = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

/// The terms of an authorization to sign (defaults: what the agent asks).
#[derive(Clone)]
pub struct Authz {
    /// Signing key.
    pub key: [u8; 32],
    /// `from` as written (default: the key's address).
    pub from: Option<String>,
    /// Recipient.
    pub to: String,
    /// Atomic units.
    pub value: String,
    /// Valid after (Unix seconds).
    pub valid_after: u64,
    /// Valid before (Unix seconds).
    pub valid_before: u64,
    /// 32-byte nonce, hex.
    pub nonce: String,
}

/// The 32-byte nonce named `label`.
pub fn nonce_of(label: &str) -> String {
    format!("0x{}", hex::encode(x402::keccak256(label.as_bytes())))
}

fn address_of(key: &[u8; 32]) -> String {
    let point = SigningKey::from_slice(key)
        .unwrap()
        .verifying_key()
        .to_sec1_point(false);
    let hash = x402::keccak256(&point.as_bytes()[1..]);
    format!("0x{}", hex::encode(&hash[12..]))
}

impl Authz {
    /// What the agent asks for, with nonce `label`.
    pub fn new(requirements: &Value, label: &str) -> Self {
        Self {
            key: PAYER_KEY,
            from: None,
            to: requirements["payTo"].as_str().unwrap().to_owned(),
            value: requirements["amount"].as_str().unwrap().to_owned(),
            valid_after: 0,
            valid_before: 9_999_999_999,
            nonce: nonce_of(label),
        }
    }

    /// The payload's `payload`: the authorization and its EIP-712 signature.
    pub fn sign(&self) -> Value {
        let from = self.from.clone().unwrap_or_else(|| address_of(&self.key));
        let authorization = json!({"from": from, "to": self.to, "value": self.value,
            "validAfter": self.valid_after.to_string(), "validBefore": self.valid_before.to_string(),
            "nonce": self.nonce});
        // The digest is of what the key's owner meant: their own address as `from`.
        let mut signed = authorization.clone();
        signed["from"] = json!(address_of(&self.key));
        let auth = x402::parse_authorization(&signed).unwrap();
        let domain = x402::domain_separator("USDC", "2", 84532, &x402::address(ASSET).unwrap());
        let digest = x402::digest(&domain, &auth);
        let (sig, recid) = SigningKey::from_slice(&self.key)
            .unwrap()
            .sign_prehash_recoverable(&digest);
        let mut bytes = sig.to_bytes().to_vec();
        bytes.push(27 + recid.to_byte());
        json!({"authorization": authorization, "signature": format!("0x{}", hex::encode(bytes))})
    }

    /// The base64 payment header carrying it, echoing `requirements` as `accepted`.
    pub fn header(&self, requirements: &Value) -> String {
        encode(requirements, self.sign())
    }
}

/// Base64 of an x402 v2 payload for `accepted` with inner `payload`.
pub fn encode(accepted: &Value, payload: Value) -> String {
    let p = json!({"x402Version": 2, "accepted": accepted, "payload": payload});
    base64::engine::general_purpose::STANDARD.encode(p.to_string())
}

/// The requirements the agent answers (what `--bindu-price 0.01` asks).
pub fn requirements() -> Value {
    json!({"scheme": "exact", "network": "eip155:84532", "amount": "10000", "asset": ASSET,
        "payTo": PAY_TO, "maxTimeoutSeconds": 300, "extra": {"name": "USDC", "version": "2"}})
}

/// The facilitator's calls: (path, body).
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// A facilitator stand-in recording its calls; `/verify` accepts, `/settle` answers `settle`.
async fn facilitator(settle: MockReply) -> (Mock, Calls) {
    let calls: Calls = Arc::default();
    let log = calls.clone();
    let mock = Mock::start(move |r: &MockRequest| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        log.lock().unwrap().push((r.path.clone(), body));
        match r.path.as_str() {
            "/verify" => MockReply::json(200, r#"{"isValid": true}"#),
            "/settle" => settle.clone(),
            _ => MockReply::json(404, "{}"),
        }
    })
    .await
    .unwrap();
    (mock, calls)
}

fn settled_ok() -> MockReply {
    MockReply::json(
        200,
        r#"{"success": true, "transaction": "0xabc", "network": "eip155:84532"}"#,
    )
}

fn count(calls: &Calls, path: &str) -> usize {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == path)
        .count()
}

/// A paid agent (auth off) whose command agent leaves a file in `dir` when it runs.
async fn paid_agent(dir: &Path, facilitator: &Mock) -> ServerProcess {
    let marker = dir.join("ran");
    let command = format!(
        "touch '{}'; echo '{{\"type\":\"completed\",\"text\":\"done\"}}'",
        marker.display()
    );
    paid_command_agent(dir, facilitator, &command).await
}

/// A paid agent (auth off, price 0.01 to [`PAY_TO`], settled by `facilitator`)
/// whose agent runs the shell `command`.
async fn paid_command_agent(dir: &Path, facilitator: &Mock, command: &str) -> ServerProcess {
    let url = facilitator.url("");
    serve(
        dir,
        &[
            "--bindu-auth",
            "off",
            "--bindu-price",
            "0.01",
            "--bindu-pay-to",
            PAY_TO,
            "--bindu-x402-facilitator-url",
            &url,
            "--bindu-agent",
            "command",
            "--bindu-agent-command",
            command,
        ],
    )
    .await
}

/// The task id numbered `n` (task ids are UUIDs).
fn tid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn send(task_id: &str, text: &str) -> Value {
    crate::support::bindu::send(text, json!({"taskId": task_id}))
}

async fn pay(base: &str, body: &Value, header: &str) -> (u16, Value) {
    let r = http()
        .post(base)
        .header("payment-signature", header)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn rpc(base: &str, method: &str, params: Value) -> Value {
    crate::support::bindu::rpc(base, None, &request(method, params))
        .await
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settlement_that_fails_leaves_no_task_and_nothing_runs() {
    let (mock, calls) = facilitator(MockReply::json(
        200,
        r#"{"success": false, "errorReason": "insufficient_funds"}"#,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let req = requirements();
    let (status, body) = pay(
        &s.base_url,
        &send(&tid(1), "hello"),
        &Authz::new(&req, "a").header(&req),
    )
    .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(
        body["error"],
        "Payment settlement failed: insufficient_funds"
    );
    assert_eq!((count(&calls, "/verify"), count(&calls, "/settle")), (1, 1));
    let got = rpc(&s.base_url, "tasks/get", json!({"taskId": tid(1)})).await;
    assert_eq!(got["error"]["code"], -32001, "no task: {got}");
    let list = rpc(&s.base_url, "tasks/list", json!({})).await;
    assert_eq!(list["result"], json!([]), "{list}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!dir.path().join("ran").exists(), "the agent never ran");

    // A facilitator that fails while settling: 503, no task, nothing ran.
    let (down, down_calls) = facilitator(MockReply::json(500, "{}")).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &down).await;
    let (status, body) = pay(
        &s.base_url,
        &send(&tid(1), "hello"),
        &Authz::new(&req, "b").header(&req),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], -32603);
    assert_eq!(body["error"]["message"], "Payment facilitator unavailable");
    assert_eq!(count(&down_calls, "/settle"), 1);
    let got = rpc(&s.base_url, "tasks/get", json!({"taskId": tid(1)})).await;
    assert_eq!(got["error"]["code"], -32001, "no task: {got}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!dir.path().join("ran").exists(), "the agent never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_would_be_refused_is_never_settled() {
    let (mock, calls) = facilitator(settled_ok()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let req = requirements();
    let (status, body) = pay(
        &s.base_url,
        &send(&tid(2), "first"),
        &Authz::new(&req, "first").header(&req),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Wait until it is completed (terminal): a further message to it is -32008.
    for _ in 0..100 {
        let t = rpc(&s.base_url, "tasks/get", json!({"taskId": tid(2)})).await;
        if t["result"]["status"]["state"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settles = count(&calls, "/settle");
    let (_, body) = pay(
        &s.base_url,
        &send(&tid(2), "more"),
        &Authz::new(&req, "more").header(&req),
    )
    .await;
    assert_eq!(body["error"]["code"], -32008, "{body}");
    assert_eq!(
        count(&calls, "/settle"),
        settles,
        "no /settle for a refused message"
    );
    // And its nonce was not burnt: it pays for another message.
    let (status, _) = pay(
        &s.base_url,
        &send(&tid(3), "other"),
        &Authz::new(&req, "more").header(&req),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(count(&calls, "/settle"), settles + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_authorization_is_refused_without_asking_the_facilitator() {
    let (mock, calls) = facilitator(settled_ok()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let req = requirements();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let base = Authz::new(&req, "tamper");
    let cases = [
        (
            Authz {
                to: "0x000000000000000000000000000000000000dEaD".into(),
                ..base.clone()
            },
            "the authorization pays another address",
        ),
        (
            Authz {
                value: "9999".into(),
                ..base.clone()
            },
            "the authorization's value is below the price",
        ),
        (
            Authz {
                valid_before: now - 60,
                ..base.clone()
            },
            "the authorization has expired",
        ),
        (
            Authz {
                valid_after: now + 3600,
                ..base.clone()
            },
            "the authorization is not valid yet",
        ),
        (
            Authz {
                key: [0x22; 32],
                from: Some(address_of(&PAYER_KEY)),
                ..base.clone()
            },
            "the signature is not the payer's",
        ),
    ];
    for (authz, reason) in cases {
        // The unsigned echo is exactly the requirements; only the signed part lies.
        let (status, body) = pay(&s.base_url, &send(&tid(4), "hi"), &authz.header(&req)).await;
        assert_eq!(status, 402, "{reason}: {body}");
        assert_eq!(
            body["error"],
            format!("Invalid payment authorization: {reason}")
        );
    }
    // A signed authorization whose fields were edited after signing: another signer.
    let mut inner = base.sign();
    inner["authorization"]["value"] = json!("1");
    let (status, body) = pay(&s.base_url, &send(&tid(4), "hi"), &encode(&req, inner)).await;
    assert_eq!(status, 402);
    assert_eq!(
        body["error"],
        "Invalid payment authorization: the signature is not the payer's"
    );
    assert!(
        calls.lock().unwrap().is_empty(),
        "the facilitator was never asked"
    );
    let (status, _) = pay(&s.base_url, &send(&tid(4), "hi"), &base.header(&req)).await;
    assert_eq!(status, 200, "the untampered authorization pays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_nonce_sent_twice_at_once_settles_once() {
    let slow = MockReply::Respond {
        status: 200,
        content_type: "application/json",
        body: r#"{"success": true, "transaction": "0xabc", "network": "eip155:84532"}"#.into(),
        delay: Duration::from_millis(500),
    };
    let (mock, calls) = facilitator(slow).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let req = requirements();
    let header = Authz::new(&req, "twice").header(&req);
    let (first, second) = (send(&tid(5), "a"), send(&tid(6), "b"));
    let (a, b) = tokio::join!(
        pay(&s.base_url, &first, &header),
        pay(&s.base_url, &second, &header),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 402], "{a:?} {b:?}");
    let refused = if a.0 == 402 { &a.1 } else { &b.1 };
    assert_eq!(refused["error"], "Payment nonce already used (replay)");
    assert_eq!(count(&calls, "/settle"), 1);
    let list = rpc(&s.base_url, "tasks/list", json!({})).await;
    assert_eq!(list["result"].as_array().unwrap().len(), 1, "{list}");

    // A nonce whose settlement failed is free again (and settles once then).
    let (fail, fail_calls) = facilitator(MockReply::json(
        200,
        r#"{"success": false, "errorReason": "network_busy"}"#,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &fail).await;
    let header = Authz::new(&req, "retry").header(&req);
    let (status, _) = pay(&s.base_url, &send(&tid(7), "a"), &header).await;
    assert_eq!(status, 402);
    let (status, body) = pay(&s.base_url, &send(&tid(7), "a"), &header).await;
    assert_eq!(status, 402);
    assert_eq!(
        body["error"], "Payment settlement failed: network_busy",
        "the nonce was given back, not burnt"
    );
    assert_eq!(count(&fail_calls, "/settle"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_token_is_read_only_with_its_session_secret() {
    let (mock, _calls) = facilitator(settled_ok()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let req = requirements();
    let start = || async {
        let v: Value = http()
            .post(format!("{}/api/start-payment-session", s.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            v["session_id"].as_str().unwrap().to_owned(),
            v["session_secret"].as_str().unwrap().to_owned(),
        )
    };
    let (id, secret) = start().await;
    let (_, other_secret) = start().await;
    assert!(secret.len() >= 43, "32 random bytes: {secret}");
    assert_ne!(secret, other_secret);
    let token = Authz::new(&req, "session").header(&req);
    let r = http()
        .get(format!("{}/payment-capture?session_id={id}", s.base_url))
        .header("payment-signature", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status = |secret: Option<String>| {
        let mut r = http().get(format!("{}/api/payment-status/{id}", s.base_url));
        if let Some(secret) = secret {
            r = r.header("x-payment-session-secret", secret);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let anyone = status(None).await;
    assert_eq!(anyone["status"], "completed");
    assert!(anyone.get("payment_token").is_none(), "{anyone}");
    let other = status(Some(other_secret)).await;
    assert!(other.get("payment_token").is_none(), "{other}");
    let wrong = status(Some("x".repeat(43))).await;
    assert!(wrong.get("payment_token").is_none(), "{wrong}");
    let owner = status(Some(secret)).await;
    assert_eq!(owner["payment_token"], token.as_str());
}

/// A Python with the x402 SDK (and eth-account): `QUARTET_X402_PYTHON`.
fn x402_python() -> Option<String> {
    let candidate = std::env::var("QUARTET_X402_PYTHON").ok()?;
    let ok = std::process::Command::new(&candidate)
        .args(["-c", "import x402, eth_account, web3"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(candidate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_the_x402_python_sdk_signed_pays_and_its_tampered_copies_do_not() {
    let Some(python) = x402_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: .ci/run installs the x402 SDK as QUARTET_X402_PYTHON"
        );
        eprintln!("no Python with the x402 SDK (QUARTET_X402_PYTHON; .ci/run installs one): nothing to run");
        return;
    };
    let (mock, calls) = facilitator(settled_ok()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = paid_agent(dir.path(), &mock).await;
    let r = http()
        .post(&s.base_url)
        .json(&send(&tid(8), "pay with the SDK"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 402);
    let required = r.headers()["payment-required"].to_str().unwrap().to_owned();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/x402-sdk/pay.py");
    let modes = ["other-to", "lower-value", "expired", "other-key", "ok"];
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&required)
        .args(modes)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let headers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers.len(), modes.len());
    let reasons = [
        "the authorization pays another address",
        "the authorization's value is below the price",
        "the authorization has expired",
        "the signature is not the payer's",
    ];
    for ((mode, header), reason) in modes.iter().zip(&headers).zip(reasons) {
        let (status, body) = pay(&s.base_url, &send(&tid(8), "tampered"), header).await;
        assert_eq!(status, 402, "{mode}: {body}");
        assert_eq!(
            body["error"],
            format!("Invalid payment authorization: {reason}"),
            "{mode}"
        );
    }
    assert!(
        calls.lock().unwrap().is_empty(),
        "tampered: facilitator never asked"
    );
    let (status, body) = pay(&s.base_url, &send(&tid(8), "paid"), &headers[4]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["id"], tid(8));
    assert_eq!((count(&calls, "/verify"), count(&calls, "/settle")), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_continuation_whose_settlement_fails_leaves_the_task_as_it_was() {
    // The facilitator settles the payment with nonce "first" only.
    let calls: Calls = Arc::default();
    let log = calls.clone();
    let first = nonce_of("first");
    let mock = Mock::start(move |r: &MockRequest| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let nonce = body
            .pointer("/paymentPayload/payload/authorization/nonce")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        log.lock().unwrap().push((r.path.clone(), body));
        match r.path.as_str() {
            "/verify" => MockReply::json(200, r#"{"isValid": true}"#),
            "/settle" if nonce == first => settled_ok(),
            _ => MockReply::json(200, r#"{"success": false, "errorReason": "expired"}"#),
        }
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let command = format!(
        "echo run >> '{}'; echo '{{\"type\":\"input-required\",\"prompt\":\"and then?\"}}'",
        runs.display()
    );
    let s = paid_command_agent(dir.path(), &mock, &command).await;
    let req = requirements();
    let task = tid(9);
    let (status, body) = pay(
        &s.base_url,
        &send(&task, "start"),
        &Authz::new(&req, "first").header(&req),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut before = Value::Null;
    for _ in 0..100 {
        before = rpc(&s.base_url, "tasks/get", json!({"taskId": task})).await["result"].clone();
        if before["status"]["state"] == "input-required" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(before["status"]["state"], "input-required", "{before}");
    let (status, body) = pay(
        &s.base_url,
        &send(&task, "continue"),
        &Authz::new(&req, "second").header(&req),
    )
    .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"], "Payment settlement failed: expired");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = rpc(&s.base_url, "tasks/get", json!({"taskId": task})).await["result"].clone();
    assert_eq!(after["status"], before["status"], "the status it had");
    assert_eq!(
        after["history"], before["history"],
        "without the unpaid message"
    );
    let ran = std::fs::read_to_string(&runs).unwrap_or_default();
    assert_eq!(
        ran.lines().count(),
        1,
        "the agent ran for the paid message only"
    );
}
