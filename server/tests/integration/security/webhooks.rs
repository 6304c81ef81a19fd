//! Bindu webhooks: signed deliveries and refused special-purpose addresses.
//!
//! Two attacks on push notifications. An API caller who sets a webhook URL
//! chooses where the agent connects: an IPv6 form that carries an internal IPv4
//! address (NAT64, 6to4, IPv4-compatible) must be refused like the IPv4 address
//! itself. And a receiver must be able to tell a delivery from a forgery: every
//! delivery is signed by the agent's DID key, which the receiver fetches from
//! `/did/resolve`, as the README describes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use quartet_conformance::mock::{Mock, MockReply, MockRequest};
use serde_json::{json, Value};

use crate::support::bindu::{send, serve as agent};
use crate::support::http;

async fn rpc(base: &str, body: &Value) -> (u16, Value) {
    crate::support::bindu::rpc(base, None, body).await
}

fn message(text: &str) -> Value {
    send(text, json!({}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_forms_of_internal_ipv4_addresses_are_refused_as_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    // No worker: the task never runs, so it has no later event that a webhook
    // accepted by mistake would be sent (nothing may leave the machine).
    let s = agent(dir.path(), &["--bindu-auth", "off", "--bindu-no-worker"]).await;
    let (_, body) = rpc(&s.base_url, &message("x")).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    // A port nothing listens on.
    let port = quartet_conformance::server::closed_port();
    for host in [
        "[64:ff9b::7f00:1]",                      // NAT64 of 127.0.0.1
        "[64:ff9b:1::a00:1]",                     // local-use NAT64 of 10.0.0.1
        "[2002:7f00:1::]",                        // 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",                    // 6to4 of 169.254.169.254
        "[::127.0.0.1]",                          // IPv4-compatible 127.0.0.1
        "[::ffff:7f00:1]",                        // IPv4-mapped 127.0.0.1
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]", // Teredo
        "192.0.0.170",                            // NAT64 discovery (192.0.0.0/24)
        "198.18.0.1",                             // benchmarking
        "[fec0::1]",                              // site-local
    ] {
        let url = format!("http://{host}:{port}/hook");
        let (status, body) = rpc(
            &s.base_url,
            &json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/pushNotificationConfig/set",
                "params": {"taskId": id, "pushNotificationConfig": {"url": url}}}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (400, json!(-32602)),
            "{url}: {body}"
        );
        let data = body["error"]["data"].as_str().unwrap_or("");
        assert!(
            data.starts_with("webhook URL refused") && data.contains("special-purpose"),
            "{url}: {body}"
        );
    }
}

/// One delivery as the receiver saw it.
#[derive(Debug, Clone)]
struct Delivery {
    timestamp: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
}

// README begin
/// The agent's Ed25519 key: its DID from the card, the key from `/did/resolve`.
async fn agent_key(http: &reqwest::Client, agent_url: &str) -> anyhow::Result<VerifyingKey> {
    let card: Value = http
        .get(format!("{agent_url}/.well-known/agent.json"))
        .send()
        .await?
        .json()
        .await?;
    let did = card["capabilities"]["extensions"][0]["uri"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the card names no DID"))?;
    let document: Value = http
        .get(format!("{agent_url}/did/resolve"))
        .query(&[("did", did)])
        .send()
        .await?
        .json()
        .await?;
    let key = document["authentication"][0]["publicKeyBase58"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the DID document has no key"))?;
    let key: [u8; 32] = bs58::decode(key)
        .into_vec()?
        .try_into()
        .map_err(|_| anyhow::anyhow!("the key is not 32 bytes"))?;
    Ok(VerifyingKey::from_bytes(&key)?)
}

/// Whether `body` (the raw request bytes) was signed by the agent recently:
/// `timestamp` and `signature` are the `X-Bindu-Timestamp` and `X-Bindu-Signature` headers.
fn is_genuine(key: &VerifyingKey, timestamp: &str, signature: &str, body: &[u8]) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match timestamp.parse::<i64>() {
        Ok(ts) if (now - ts).abs() <= 300 => {}
        _ => return false, // missing, malformed or stale
    }
    let Some(signature) = bs58::decode(signature)
        .into_vec()
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s).ok())
    else {
        return false;
    };
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    key.verify(&signed, &Signature::from_bytes(&signature))
        .is_ok()
}
// README end

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_is_signed_by_the_agents_did_key_and_a_forgery_is_not() {
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let log = received.clone();
    let hook = Mock::start(move |r: &MockRequest| {
        log.lock().unwrap().push(Delivery {
            timestamp: r.header("x-bindu-timestamp").map(str::to_owned),
            signature: r.header("x-bindu-signature").map(str::to_owned),
            body: r.body.clone(),
        });
        MockReply::json(200, "{}")
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let s = agent(
        dir.path(),
        &["--bindu-auth", "off", "--bindu-allow-private-webhooks"],
    )
    .await;
    let mut request = message("sign this");
    request["params"]["configuration"] =
        json!({"pushNotificationConfig": {"url": hook.url("/hook"), "token": "tok-1"}});
    let (status, body) = rpc(&s.base_url, &request).await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < 4 {
        assert!(Instant::now() < deadline, "the four events never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let key = agent_key(&http(), &s.base_url).await.unwrap();
    let deliveries = received.lock().unwrap().clone();
    for d in &deliveries {
        let (Some(ts), Some(sig)) = (&d.timestamp, &d.signature) else {
            panic!("a delivery without signature headers: {d:?}");
        };
        assert!(is_genuine(&key, ts, sig, &d.body), "{d:?}");
        let event: Value = serde_json::from_slice(&d.body).unwrap();
        assert!(event["event_id"].is_string(), "{event}");
    }
    // A forger without the key: the same body changed by one field, the same
    // signature moved to another timestamp, another body under the signature.
    let d = &deliveries[0];
    let (ts, sig) = (d.timestamp.clone().unwrap(), d.signature.clone().unwrap());
    let tampered = String::from_utf8(d.body.clone())
        .unwrap()
        .replace("submitted", "completed");
    assert_ne!(tampered.as_bytes(), d.body.as_slice());
    assert!(!is_genuine(&key, &ts, &sig, tampered.as_bytes()));
    let later = (ts.parse::<i64>().unwrap() + 1).to_string();
    assert!(!is_genuine(&key, &later, &sig, &d.body));
    assert!(!is_genuine(&key, &ts, &sig, &deliveries[1].body));
    assert!(!is_genuine(&key, &ts, "not base58 0OIl", &d.body));
    // A delivery replayed long after is refused for its timestamp, although
    // its signature is genuine.
    assert!(!is_genuine(&key, "1700000000", &sig, &d.body));

    // The README's Python receiver (PyNaCl) says the same of the same deliveries.
    let Some(python) = pynacl_python() else {
        eprintln!("no Python with pynacl and base58 (QUARTET_A2A_PYTHON): Python receiver not run");
        return;
    };
    let mut cases: Vec<Value> = deliveries
        .iter()
        .map(|d| delivery_json(d.timestamp.as_deref(), d.signature.as_deref(), &d.body))
        .collect();
    cases.push(delivery_json(Some(&ts), Some(&sig), tampered.as_bytes()));
    cases.push(delivery_json(Some(&later), Some(&sig), &d.body));
    cases.push(delivery_json(None, Some(&sig), &d.body));
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/webhook-receiver/verify.py");
    let mut child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&s.base_url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(Value::Array(cases).to_string().as_bytes())
            .await
            .unwrap();
    }
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected = vec![json!(true); deliveries.len()];
    expected.extend([json!(false), json!(false), json!(false)]);
    assert_eq!(verdicts, Value::Array(expected));
}

fn delivery_json(timestamp: Option<&str>, signature: Option<&str>, body: &[u8]) -> Value {
    use base64::Engine as _;
    let mut headers = serde_json::Map::new();
    if let Some(ts) = timestamp {
        headers.insert("X-Bindu-Timestamp".into(), ts.into());
    }
    if let Some(sig) = signature {
        headers.insert("X-Bindu-Signature".into(), sig.into());
    }
    json!({"headers": headers, "body": base64::engine::general_purpose::STANDARD.encode(body)})
}

/// A Python with PyNaCl and base58: `QUARTET_A2A_PYTHON` (the venv `.ci/run`
/// makes), else `python3`, if it imports them.
fn pynacl_python() -> Option<String> {
    let candidate = std::env::var("QUARTET_A2A_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&candidate)
        .args(["-c", "import nacl.signing, base58"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(candidate)
}

/// The text between the `README begin` and `README end` marker lines of `text`.
fn marked(text: &str, comment: &str) -> String {
    let begin = format!("{comment} README begin\n");
    let end = format!("{comment} README end");
    let start = text.find(&begin).expect("begin marker") + begin.len();
    let stop = start + text[start..].find(&end).expect("end marker");
    text[start..stop].trim_end().to_owned()
}

#[test]
fn the_readme_shows_the_receivers_these_tests_run() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rust = marked(include_str!("webhooks.rs"), "//");
    let python = marked(
        &std::fs::read_to_string(root.join("conformance/webhook-receiver/verify.py")).unwrap(),
        "#",
    );
    for snippet in [rust, python] {
        assert!(
            readme.contains(&snippet),
            "README.md does not show this receiver verbatim:\n{snippet}"
        );
    }
}
