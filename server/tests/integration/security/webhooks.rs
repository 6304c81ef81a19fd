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
use quartet_conformance::server::ServerProcess;
use serde_json::{json, Value};

use crate::support::{bin, http};

async fn agent(dir: &std::path::Path, args: &[&str]) -> ServerProcess {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    ServerProcess::spawn(&bin(), dir, "bindu", &args)
        .await
        .unwrap()
}

async fn rpc(base: &str, body: &Value) -> (u16, Value) {
    let r = http().post(base).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn message(text: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message": {
        "messageId": uuid::Uuid::new_v4().to_string(), "role": "user",
        "parts": [{"kind": "text", "text": text}]}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_forms_of_internal_ipv4_addresses_are_refused_as_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let s = agent(dir.path(), &["--bindu-auth", "off"]).await;
    let (_, body) = rpc(&s.base_url, &message("x")).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    // A port nothing listens on: nothing is ever sent there in any case.
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

/// What a receiver does with a delivery: refuses a stale timestamp, then checks
/// the signature of `"{timestamp}.{body}"` with the agent's key.
fn verify(key: &VerifyingKey, timestamp: &str, signature: &str, body: &[u8]) -> Result<(), String> {
    let ts: i64 = timestamp.parse().map_err(|_| "bad timestamp")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if (now - ts).abs() > 300 {
        return Err("stale timestamp".into());
    }
    let sig: [u8; 64] = bs58::decode(signature)
        .into_vec()
        .map_err(|_| "signature is not base58")?
        .try_into()
        .map_err(|_| "signature is not 64 bytes")?;
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    key.verify(&signed, &Signature::from_bytes(&sig))
        .map_err(|_| "signature does not verify".into())
}

/// The agent's public key, found the way a receiver finds it: the DID from the
/// agent card, its document from `/did/resolve`.
async fn agent_key(base: &str) -> VerifyingKey {
    let card: Value = http()
        .get(format!("{base}/.well-known/agent.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let did = card["capabilities"]["extensions"][0]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(did.starts_with("did:bindu:"), "{card}");
    let document: Value = http()
        .get(format!("{base}/did/resolve"))
        .query(&[("did", &did)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let method = &document["authentication"][0];
    assert_eq!(method["id"], format!("{did}#key-1"));
    let key: [u8; 32] = bs58::decode(method["publicKeyBase58"].as_str().unwrap())
        .into_vec()
        .unwrap()
        .try_into()
        .unwrap();
    VerifyingKey::from_bytes(&key).unwrap()
}

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
    let key = agent_key(&s.base_url).await;
    let deliveries = received.lock().unwrap().clone();
    for d in &deliveries {
        let (Some(ts), Some(sig)) = (&d.timestamp, &d.signature) else {
            panic!("a delivery without signature headers: {d:?}");
        };
        verify(&key, ts, sig, &d.body).unwrap_or_else(|e| panic!("{e}: {d:?}"));
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
    assert!(verify(&key, &ts, &sig, tampered.as_bytes()).is_err());
    let later = (ts.parse::<i64>().unwrap() + 1).to_string();
    assert!(verify(&key, &later, &sig, &d.body).is_err());
    assert!(verify(&key, &ts, &sig, &deliveries[1].body).is_err());
    // A replayed delivery from long ago is refused for its timestamp.
    assert_eq!(
        verify(&key, "1700000000", &sig, &d.body),
        Err("stale timestamp".into())
    );
}
