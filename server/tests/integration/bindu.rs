//! Bindu behaviour through the live server: the task lifecycle, restarts,
//! streams, webhooks, DID signatures, both token verifiers, the built-in
//! agents, and bad input.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quartet_conformance::mock::{Mock, MockReply, MockRequest};
use quartet_conformance::server::{admin, ServerProcess};
use serde_json::{json, Value};

use crate::support::bindu::{client_token, create_client, rpc, send, serve, state};
use crate::support::{bin, http};

async fn get_task(base: &str, token: Option<&str>, id: &str) -> Value {
    let (status, body) = rpc(
        base,
        token,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"taskId": id}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["result"].clone()
}

/// Polls the task until `done` says so (at most `secs`).
async fn wait_task(
    base: &str,
    token: Option<&str>,
    id: &str,
    secs: u64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let t = get_task(base, token, id).await;
        if done(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "task never got there: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_through_its_lifecycle_and_terminal_tasks_are_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    let base = &s.base_url;
    // A data-only message pauses for input; an answer with text completes it.
    let first = json!({"jsonrpc": "2.0", "id": "a", "method": "message/send", "params": {"message":
        {"messageId": "m1", "role": "user", "parts": [{"kind": "data", "data": {"x": 1}}]},
        "configuration": {"blocking": true}}});
    let (status, body) = rpc(base, None, &first).await;
    assert_eq!(status, 200, "{body}");
    let task = &body["result"];
    assert_eq!(state(task), "input-required", "{task}");
    let id = task["id"].as_str().unwrap();
    let context = task["context_id"].as_str().unwrap();
    let (_, body) = rpc(base, None, &send("now with text", json!({"taskId": id}))).await;
    assert_eq!(
        body["result"]["context_id"], context,
        "the task's context is kept"
    );
    let done = wait_task(base, None, id, 10, |t| state(t) == "completed").await;
    assert_eq!(done["artifacts"][0]["parts"][0]["text"], "now with text");
    assert_eq!(done["history"].as_array().unwrap().len(), 4, "{done}");
    // historyLength 0 is an empty history.
    let (_, trimmed) = rpc(
        base,
        None,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tasks/get",
        "params": {"taskId": id, "historyLength": 0}}),
    )
    .await;
    assert_eq!(trimmed["result"]["history"], json!([]));
    // Terminal: immutable and not cancelable.
    let (status, body) = rpc(base, None, &send("again", json!({"taskId": id}))).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32008))
    );
    let (status, body) = rpc(
        base,
        None,
        &json!({"jsonrpc": "2.0", "id": 4, "method": "tasks/cancel", "params": {"id": id}}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32002))
    );
    // A new task that references it sees its artifacts; the context groups both.
    let (_, body) = rpc(
        base,
        None,
        &send(
            "follow-up",
            json!({"contextId": context, "referenceTaskIds": [id]}),
        ),
    )
    .await;
    let second = body["result"]["id"].as_str().unwrap().to_owned();
    wait_task(base, None, &second, 10, |t| state(t) == "completed").await;
    let (_, contexts) = rpc(
        base,
        None,
        &json!({"jsonrpc": "2.0", "id": 5, "method": "contexts/list"}),
    )
    .await;
    assert_eq!(contexts["result"][0]["task_count"], 2, "{contexts}");
    let (status, _) = rpc(base, None, &json!({"jsonrpc": "2.0", "id": 6, "method": "contexts/clear", "params": {"context_id": context}})).await;
    assert_eq!(status, 200);
    let (status, body) = rpc(
        base,
        None,
        &json!({"jsonrpc": "2.0", "id": 7, "method": "tasks/get", "params": {"taskId": second}}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!(-32001))
    );
}

/// A command agent that works for `secs` seconds, then answers "done".
fn slow_agent(secs: u32) -> String {
    format!("sleep {secs}; echo '{{\"type\": \"completed\", \"text\": \"done\"}}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_interrupted_by_a_crash_is_run_again_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let agent = slow_agent(2);
    let args = [
        "--bindu-auth",
        "off",
        "--bindu-agent",
        "command",
        "--bindu-agent-command",
        &agent,
    ];
    let s = serve(dir.path(), &args).await;
    let (_, body) = rpc(&s.base_url, None, &send("work", json!({}))).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    wait_task(&s.base_url, None, &id, 10, |t| state(t) == "working").await;
    s.kill().await.unwrap();
    let s = serve(dir.path(), &args).await;
    let done = wait_task(&s.base_url, None, &id, 30, |t| state(t) == "completed").await;
    assert_eq!(done["artifacts"][0]["parts"][0]["text"], "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_agent_asks_streams_and_is_stopped_by_cancel() {
    let dir = tempfile::tempdir().unwrap();
    // Asks once; with an answer in the history, streams two chunks and completes.
    let script = r#"read input; case "$input" in *'"yes"'*) echo '{"type":"progress","text":"thinking"}'; echo '{"type":"chunk","text":"he"}'; echo '{"type":"chunk","text":"llo"}'; echo '{"type":"completed"}';; *sleep*) sleep 30;; *) echo '{"type":"input-required","prompt":"Sure?"}';; esac"#;
    let s = serve(
        dir.path(),
        &[
            "--bindu-auth",
            "off",
            "--bindu-agent",
            "command",
            "--bindu-agent-command",
            script,
        ],
    )
    .await;
    let base = &s.base_url;
    let (_, body) = rpc(base, None, &send("go", json!({}))).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    let t = wait_task(base, None, &id, 10, |t| state(t) == "input-required").await;
    assert_eq!(t["status"]["message"]["parts"][0]["text"], "Sure?");
    // The answer, streamed.
    let r = http()
        .post(base)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "message/stream", "params": {"message":
            {"messageId": "m2", "taskId": id, "role": "user", "parts": [{"kind": "text", "text": "yes"}]}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    let events = quartet_conformance::runner::sse_events(&text);
    let kinds: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["kind"].as_str().unwrap(),
                e["status"]["state"]
                    .as_str()
                    .or(e["artifact"]["parts"][0]["text"].as_str())
                    .unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "status-update:submitted",
            "status-update:working",
            "status-update:working",
            "artifact-update:he",
            "artifact-update:llo",
            "artifact-update:hello",
            "status-update:completed"
        ],
        "{text}"
    );
    assert_eq!(events[4]["append"], true);
    // A long run is stopped by tasks/cancel.
    let (_, body) = rpc(base, None, &send("sleep please", json!({}))).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    wait_task(base, None, &id, 10, |t| state(t) == "working").await;
    let (status, body) = rpc(
        base,
        None,
        &json!({"jsonrpc": "2.0", "id": 9, "method": "tasks/cancel", "params": {"taskId": id}}),
    )
    .await;
    assert_eq!((status, state(&body["result"])), (200, "canceled"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        state(&get_task(base, None, &id).await),
        "canceled",
        "the worker's late answer does not undo the cancel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_agent_streams_a_loopback_backend_and_fails_with_its_errors() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let backend = Mock::start(move |r: &MockRequest| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        log.lock().unwrap().push(body.clone());
        let last = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or("")
            .to_owned();
        if last == "fail" {
            return MockReply::json(500, r#"{"error": "overloaded"}"#);
        }
        let chunk = |t: &str| {
            format!(
                "data: {}\n\n",
                json!({"choices": [{"delta": {"content": t}}]})
            )
        };
        MockReply::json(
            200,
            format!("{}{}data: [DONE]\n\n", chunk("Bon"), chunk("jour")),
        )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = backend.url("");
    let s = serve(
        dir.path(),
        &[
            "--bindu-auth",
            "off",
            "--bindu-agent",
            "openai",
            "--bindu-agent-url",
            &url,
            "--bindu-agent-model",
            "tiny",
        ],
    )
    .await;
    let (_, body) = rpc(&s.base_url, None, &send("hello", json!({}))).await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    let context = body["result"]["context_id"].as_str().unwrap().to_owned();
    let t = wait_task(&s.base_url, None, &id, 10, |t| state(t) == "completed").await;
    assert_eq!(t["artifacts"][0]["parts"][0]["text"], "Bonjour");
    // The history of the context becomes the chat messages.
    let (_, body) = rpc(
        &s.base_url,
        None,
        &send("fail", json!({"contextId": context})),
    )
    .await;
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    let t = wait_task(&s.base_url, None, &id, 10, |t| state(t) == "failed").await;
    let reason = t["status"]["message"]["parts"][0]["text"].as_str().unwrap();
    assert!(reason.contains("backend answered HTTP 500"), "{reason}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests[0]["model"], "tiny");
    assert_eq!(requests[0]["stream"], true);
    assert_eq!(
        requests[1]["messages"],
        json!([{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Bonjour"}, {"role": "user", "content": "fail"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_get_every_event_in_order_with_retries_across_a_restart() {
    let received: Arc<Mutex<Vec<(Value, String)>>> = Arc::default();
    let attempts = Arc::new(Mutex::new(0u32));
    let (log, tries) = (received.clone(), attempts.clone());
    let hook = Mock::start(move |r: &MockRequest| {
        let mut n = tries.lock().unwrap();
        *n += 1;
        // The first three deliveries fail: the outbox retries them, in order.
        if *n <= 3 {
            return MockReply::json(503, "{}");
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        log.lock().unwrap().push((body, r.path.clone()));
        MockReply::json(200, "{}")
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = ["--bindu-auth", "off", "--bindu-allow-private-webhooks"];
    let s = serve(dir.path(), &args).await;
    let mut request = send("ping", json!({}));
    request["params"]["configuration"] =
        json!({"pushNotificationConfig": {"url": hook.url("/hook"), "token": "tok-1"}});
    let (status, body) = rpc(&s.base_url, None, &request).await;
    assert_eq!(status, 200, "{body}");
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    wait_task(&s.base_url, None, &id, 10, |t| state(t) == "completed").await;
    // Stop while deliveries are still being retried, and start again.
    s.kill().await.unwrap();
    let s = serve(dir.path(), &args).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    while received.lock().unwrap().len() < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = received.lock().unwrap().clone();
    let states: Vec<String> = got
        .iter()
        .map(|(e, _)| {
            e["status"]["state"]
                .as_str()
                .unwrap_or(e["kind"].as_str().unwrap())
                .to_owned()
        })
        .collect();
    assert_eq!(
        states,
        ["submitted", "working", "artifact-update", "completed"],
        "{got:?}"
    );
    let seqs: Vec<i64> = got
        .iter()
        .map(|(e, _)| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(got.iter().all(|(e, _)| e["task_id"] == id.as_str()));
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_to_private_addresses_are_refused_without_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    let (_, body) = rpc(&s.base_url, None, &send("x", json!({}))).await;
    let id = body["result"]["id"].as_str().unwrap();
    for url in [
        "http://127.0.0.1:9/h",
        "http://10.0.0.8/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest",
        "http://localhost:9/h",
        "ftp://example.com/",
    ] {
        let (status, body) = rpc(
            &s.base_url,
            None,
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/pushNotificationConfig/set",
            "params": {"taskId": id, "pushNotificationConfig": {"url": url}}}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (400, json!(-32602)),
            "{url}: {body}"
        );
        assert!(
            body["error"]["data"]
                .as_str()
                .unwrap()
                .starts_with("webhook URL refused"),
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_name_that_resolves_to_loopback_is_refused_at_delivery() {
    let delivered = Arc::new(Mutex::new(0usize));
    let count = delivered.clone();
    let hook = Mock::start(move |_: &MockRequest| {
        *count.lock().unwrap() += 1;
        MockReply::json(200, "{}")
    })
    .await
    .unwrap();
    // A name, not an address: it passes no address check until it is resolved.
    let url = hook.url("/hook").replace("127.0.0.1", "localhost");
    let dir = tempfile::tempdir().unwrap();
    // Stored by a server that allows private webhooks (and runs no task) …
    let s = serve(
        dir.path(),
        &[
            "--bindu-auth",
            "off",
            "--bindu-allow-private-webhooks",
            "--bindu-no-worker",
        ],
    )
    .await;
    let (status, body) = rpc(&s.base_url, None, &send("ping", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let id = body["result"]["id"].as_str().unwrap().to_owned();
    // Set after the task was stored, so no event of this server is delivered (a
    // delivery it had claimed when it was killed would hold the line for its lease).
    let set = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/pushNotificationConfig/set",
        "params": {"taskId": id, "pushNotificationConfig": {"url": url}}});
    let (status, body) = rpc(&s.base_url, None, &set).await;
    assert_eq!(status, 200, "{body}");
    s.kill().await.unwrap();
    // … and delivered by one under the default policy: every event of the task is
    // refused when the name resolves to loopback, although setting it was allowed.
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    let before = *delivered.lock().unwrap();
    wait_task(&s.base_url, None, &id, 10, |t| state(t) == "completed").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stored = quartet_conformance::server::stored_bytes(dir.path())
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&stored);
        if text.contains("refused: localhost is or resolves to") {
            break;
        }
        assert!(Instant::now() < deadline, "no refusal was recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        *delivered.lock().unwrap(),
        before,
        "nothing reached the hook"
    );
    // Setting such a URL on this server is refused at once.
    let (status, body) = rpc(&s.base_url, None, &set).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32602)),
        "{body}"
    );
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn did_clients_must_sign_and_a_signature_is_good_once() {
    let dir = tempfile::tempdir().unwrap();
    let did = "did:bindu:alice_at_example_com:test_agent:00000000-0000-0000-0000-0000000000aa";
    let (_, token) = client_token(
        dir.path(),
        "agent:read",
        &[
            "--did",
            did,
            "--public-key",
            "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF",
        ],
    )
    .await;
    let s = serve(dir.path(), &[]).await;
    let body = r#"{"jsonrpc": "2.0", "method": "tasks/list", "id": "00000000-0000-0000-0000-000000000001", "params": {}}"#;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    let signature = sign(&seed, &payload(body, did, ts));
    let post = |sig: &str, ts: i64| {
        http()
            .post(&s.base_url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("x-did", did)
            .header("x-did-timestamp", ts.to_string())
            .header("x-did-signature", sig.to_owned())
            .body(body)
            .send()
    };
    let r = post(&signature, ts).await.unwrap();
    assert_eq!(r.status(), 200);
    let reason = |v: Value| {
        v["error"]["data"]["reason"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let r = post(&signature, ts).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(reason(r.json().await.unwrap()), "replayed");
    let old = ts - 400;
    let r = post(&sign(&seed, &payload(body, did, old)), old)
        .await
        .unwrap();
    assert_eq!(reason(r.json().await.unwrap()), "timestamp_out_of_window");
    let r = post(&sign(&seed, &payload("{}", did, ts)), ts)
        .await
        .unwrap();
    assert_eq!(reason(r.json().await.unwrap()), "crypto_mismatch");
    let r = http()
        .post(&s.base_url)
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reason(r.json().await.unwrap()), "missing_signature_headers");
}

/// Python's `json.dumps({"body": …, "did": …, "timestamp": …}, sort_keys=True)` for ASCII input.
fn payload(body: &str, did: &str, ts: i64) -> String {
    format!(
        "{{\"body\": {}, \"did\": {}, \"timestamp\": {ts}}}",
        serde_json::to_string(body).unwrap(),
        serde_json::to_string(did).unwrap()
    )
}

fn sign(seed: &[u8; 32], text: &str) -> String {
    use ed25519_dalek::Signer as _;
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    bs58::encode(key.sign(text.as_bytes()).to_bytes()).into_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_by_both_verifiers() {
    let dir = tempfile::tempdir().unwrap();
    let (id, token) = client_token(dir.path(), "agent:read", &[]).await;
    let expired = admin(
        &bin(),
        dir.path(),
        &[
            "bitmind",
            "token",
            "mint",
            "--client-id",
            &id,
            "--lifetime",
            "-120",
        ],
    )
    .await
    .unwrap();
    let foreign = admin(
        &bin(),
        dir.path(),
        &[
            "bitmind",
            "token",
            "mint",
            "--client-id",
            &id,
            "--audience",
            "someone-else",
        ],
    )
    .await
    .unwrap();
    let s = serve(dir.path(), &[]).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/list"});
    let code = |v: &Value| v["error"]["code"].clone();
    assert_eq!(rpc(&s.base_url, Some(&token), &list).await.0, 200);
    let (status, body) = rpc(&s.base_url, Some(expired.trim()), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32011)));
    let (status, body) = rpc(&s.base_url, Some(foreign.trim()), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32010)));
    let (status, body) = rpc(&s.base_url, Some(&token), &send("write?", json!({}))).await;
    assert_eq!((status, code(&body)), (403, json!(-32013)));
    admin(&bin(), dir.path(), &["bindu", "client", "revoke", &id])
        .await
        .unwrap();
    let (status, body) = rpc(&s.base_url, Some(&token), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32010)));

    // Introspection (RFC 7662) against a loopback endpoint.
    let (id, _) = client_token(dir.path(), "agent:read", &[]).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let introspection = Mock::start(move |r: &MockRequest| {
        let form = String::from_utf8_lossy(&r.body).into_owned();
        let answer = match form.as_str() {
            "token=good" => json!({"active": true, "client_id": id, "scope": "agent:read", "exp": now + 600, "aud": "bindu-agent"}),
            "token=old" => json!({"active": true, "client_id": id, "scope": "agent:read", "exp": now - 600}),
            _ => json!({"active": false}),
        };
        MockReply::json(200, answer.to_string())
    })
    .await
    .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let url = introspection.url("/introspect");
    drop(s);
    let s = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "bindu",
        &[
            "--bindu-auth".into(),
            "introspection".into(),
            "--bindu-introspection-url".into(),
            url,
        ],
    )
    .await
    .unwrap();
    let _ = dir2;
    assert_eq!(rpc(&s.base_url, Some("good"), &list).await.0, 200);
    let (status, body) = rpc(&s.base_url, Some("old"), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32011)));
    let (status, body) = rpc(&s.base_url, Some("nope"), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32010)));
    let (status, body) = rpc(&s.base_url, Some("good"), &send("write?", json!({}))).await;
    assert_eq!((status, code(&body)), (403, json!(-32013)));
    drop(introspection);
    // "good" is answered from the cache for a while; a token not seen yet asks.
    let (status, body) = rpc(&s.base_url, Some("new"), &list).await;
    assert_eq!((status, code(&body)), (503, json!(-32603)), "{body}");
    drop(s);

    // The same through the token service's own introspection endpoint (BitMind's port).
    let resource = create_client(dir.path(), "agent:read", &[]).await;
    let (reader, reader_token) = client_token(dir.path(), "agent:read", &[]).await;
    let bitmind = ServerProcess::spawn(&bin(), dir.path(), "bitmind", &[])
        .await
        .unwrap();
    let s = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "bindu",
        &[
            "--bindu-auth".into(),
            "introspection".into(),
            "--bindu-introspection-url".into(),
            format!("{}/v1/oauth/introspect", bitmind.base_url),
            "--bindu-introspection-client-id".into(),
            resource["client_id"].as_str().unwrap().into(),
            "--bindu-introspection-client-secret".into(),
            resource["client_secret"].as_str().unwrap().into(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(rpc(&s.base_url, Some(&reader_token), &list).await.0, 200);
    let (status, body) = rpc(&s.base_url, Some(&reader_token), &send("write?", json!({}))).await;
    assert_eq!((status, code(&body)), (403, json!(-32013)));
    let expired = admin(
        &bin(),
        dir.path(),
        &[
            "bitmind",
            "token",
            "mint",
            "--client-id",
            &reader,
            "--lifetime",
            "-120",
        ],
    )
    .await
    .unwrap();
    let (status, body) = rpc(&s.base_url, Some(expired.trim()), &list).await;
    assert_eq!(
        (status, code(&body)),
        (401, json!(-32010)),
        "an expired token is inactive: {body}"
    );
    let (status, body) = rpc(&s.base_url, Some("not-a-token"), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32010)));
    admin(&bin(), dir.path(), &["bindu", "client", "revoke", &reader])
        .await
        .unwrap();
    let (status, body) = rpc(&s.base_url, Some(&reader_token), &list).await;
    assert_eq!((status, code(&body)), (401, json!(-32010)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_always_gets_a_json_rpc_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(Vec<u8>, u16, i64)> = vec![
        (b"{".to_vec(), 400, -32700),
        (b"\xff\xfe".to_vec(), 400, -32700),
        (deep.into_bytes(), 400, -32700),
        (b"[]".to_vec(), 400, -32600),
        (b"42".to_vec(), 400, -32600),
        (br#"{"jsonrpc":"2.0","id":{"a":1},"method":"tasks/list"}"#.to_vec(), 400, -32600),
        (br#"{"jsonrpc":"2.0","id":1.5,"method":"tasks/list"}"#.to_vec(), 400, -32600),
        (br#"{"jsonrpc":"2.0","method":"tasks/list"}"#.to_vec(), 400, -32600),
        (br#"{"jsonrpc":"2.0","id":1,"method":7}"#.to_vec(), 400, -32600),
        (br#"{"jsonrpc":"2.0","id":1,"method":"no/such"}"#.to_vec(), 404, -32601),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":[1]}"#.to_vec(), 400, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":5}}"#.to_vec(), 400, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"messageId":"m","role":"robot","parts":[]}}}"#.to_vec(), 400, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"messageId":"m","role":"user","parts":[]}}}"#.to_vec(), 400, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"messageId":"m","role":"user","taskId":"not-a-uuid","parts":[{"kind":"text","text":"x"}]}}}"#.to_vec(), 400, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tasks/list","params":{"length":-1}}"#.to_vec(), 400, -32602),
        (vec![b' '; 2_000_000], 413, -32600),
    ];
    for (body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let r = http()
            .post(&s.base_url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{shown}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["jsonrpc"], "2.0", "{shown}");
        assert_eq!(v["error"]["code"], code, "{shown}: {v}");
    }
}

/// An x402 payment payload for `requirements`, signed by the test payer, with
/// the nonce named `nonce`, base64.
fn payment(requirements: &Value, nonce: &str, version: i64) -> String {
    use base64::Engine as _;
    let inner = crate::security::payments::Authz::new(requirements, nonce).sign();
    let payload = json!({"x402Version": version, "accepted": requirements, "payload": inner});
    base64::engine::general_purpose::STANDARD.encode(payload.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_agent_answers_402_then_verifies_and_settles_through_the_facilitator() {
    let calls: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let log = calls.clone();
    let bad = crate::security::payments::nonce_of("0xbad");
    let facilitator = Mock::start(move |r: &MockRequest| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        log.lock().unwrap().push((r.path.clone(), body.clone()));
        let nonce = body.pointer("/paymentPayload/payload/authorization/nonce").and_then(Value::as_str).unwrap_or("");
        match (r.path.as_str(), nonce == bad) {
            ("/verify", true) => MockReply::json(200, r#"{"isValid": false, "invalidReason": "insufficient_funds"}"#),
            ("/verify", _) => MockReply::json(200, r#"{"isValid": true, "payer": "0x857b06519E91e3A54538791bDbb0E22373e36b66"}"#),
            ("/settle", _) => MockReply::json(200, r#"{"success": true, "transaction": "0xabc123", "network": "eip155:84532", "payer": "0x857b06519E91e3A54538791bDbb0E22373e36b66"}"#),
            _ => MockReply::json(404, "{}"),
        }
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = facilitator.url("");
    let pay_to = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
    let s = serve(
        dir.path(),
        &[
            "--bindu-auth",
            "off",
            "--bindu-price",
            "0.01",
            "--bindu-pay-to",
            pay_to,
            "--bindu-x402-facilitator-url",
            &url,
        ],
    )
    .await;
    let post = |body: &Value, header: Option<(&str, String)>| {
        let mut r = http().post(&s.base_url).json(body);
        if let Some((k, v)) = header {
            r = r.header(k, v);
        }
        r.send()
    };
    // Unpaid: 402 with the requirements, in the body and in PAYMENT-REQUIRED.
    let r = post(&send("pay me", json!({})), None).await.unwrap();
    assert_eq!(r.status(), 402);
    assert!(r.headers().contains_key("payment-required"));
    let required: Value = r.json().await.unwrap();
    assert_eq!(required["x402Version"], 2);
    assert_eq!(required["error"], "PAYMENT-SIGNATURE header is required");
    let requirements = required["accepts"][0].clone();
    assert_eq!(requirements["scheme"], "exact");
    assert_eq!(requirements["amount"], "10000");
    assert_eq!(requirements["payTo"], pay_to);
    assert!(
        calls.lock().unwrap().is_empty(),
        "nothing was sent to the facilitator"
    );

    // Paid: verified, settled, then run; the settlement comes back in PAYMENT-RESPONSE.
    let r = post(
        &send("paid", json!({})),
        Some(("payment-signature", payment(&requirements, "0x01", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let settlement = r.headers()["payment-response"].to_str().unwrap().to_owned();
    use base64::Engine as _;
    let settlement: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(settlement)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(settlement["transaction"], "0xabc123");
    let body: Value = r.json().await.unwrap();
    let task = body["result"]["id"].as_str().unwrap().to_owned();
    let paths: Vec<String> = calls
        .lock()
        .unwrap()
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(paths, ["/verify", "/settle"]);
    assert_eq!(
        calls.lock().unwrap()[0].1["paymentRequirements"],
        requirements
    );

    // The same payload again: a replay. The legacy X-PAYMENT header works too.
    let r = post(
        &send("again", json!({})),
        Some(("x-payment", payment(&requirements, "0x01", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 402);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "Payment nonce already used (replay)"
    );
    let r = post(
        &send("legacy", json!({})),
        Some(("x-payment", payment(&requirements, "0x02", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-payment-response"));
    // Refused payments: version 1, other requirements, the facilitator says no.
    let r = post(
        &send("v1", json!({})),
        Some(("payment-signature", payment(&requirements, "0x03", 1))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 402);
    let mut cheaper = requirements.clone();
    cheaper["amount"] = json!("1");
    let r = post(
        &send("cheap", json!({})),
        Some(("payment-signature", payment(&cheaper, "0x04", 2))),
    )
    .await
    .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "The payment does not match the payment requirements"
    );
    let r = post(
        &send("broke", json!({})),
        Some(("payment-signature", payment(&requirements, "0xbad", 2))),
    )
    .await
    .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "Payment verification failed: insufficient_funds"
    );
    let settles = |c: &Arc<Mutex<Vec<(String, Value)>>>| {
        c.lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == "/settle")
            .count()
    };
    // A payment session: the wallet pays on the capture page, the client sends the token.
    let start = || async {
        let r = http()
            .post(format!("{}/api/start-payment-session", s.base_url))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        // `browser_url` names the configured address; this server listens on a free port.
        let id = v["session_id"].as_str().unwrap();
        (
            format!("{}/payment-capture?session_id={id}", s.base_url),
            v["session_secret"].as_str().unwrap().to_owned(),
        )
    };
    let (page, secret) = start().await;
    let capture = |header: Option<(&str, String)>| {
        let mut r = http().get(&page);
        if let Some((k, v)) = header {
            r = r.header(k, v);
        }
        r.send()
    };
    let r = capture(None).await.unwrap();
    assert!(r.text().await.unwrap().contains("Payment pending"));
    let r = capture(Some(("x-payment", payment(&cheaper, "0x07", 2))))
        .await
        .unwrap();
    assert_eq!(r.status(), 402);
    assert!(r.headers().contains_key("payment-required"));
    let token = payment(&requirements, "0x07", 2);
    let r = capture(Some(("payment-signature", token.clone())))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Payment completed"));
    let id = page.rsplit('=').next().unwrap();
    let status: Value = http()
        .get(format!("{}/api/payment-status/{id}", s.base_url))
        .header("x-payment-session-secret", secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["payment_token"], token.as_str());
    let settled = settles(&calls);
    let r = post(
        &send("via session", json!({})),
        Some(("x-payment", token.clone())),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "the session's token pays one message");
    assert_eq!(settles(&calls), settled + 1);
    let r = post(&send("twice", json!({})), Some(("x-payment", token)))
        .await
        .unwrap();
    assert_eq!(r.status(), 402, "and only one");
    // A message the agent would refuse is not charged.
    wait_task(&s.base_url, None, &task, 10, |t| state(t) == "completed").await;
    let before = settles(&calls);
    let r = post(
        &send("more", json!({"taskId": task})),
        Some(("payment-signature", payment(&requirements, "0x05", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], -32008);
    assert_eq!(settles(&calls), before, "a refused message is not settled");
    let r = post(
        &send(
            "elsewhere",
            json!({"taskId": task, "contextId": "another-context"}),
        ),
        Some(("payment-signature", payment(&requirements, "0x09", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], -32602);
    assert_eq!(settles(&calls), before, "nor is one for another context");
    // The facilitator down: 503, and the payload can be sent again later.
    let (page, _) = start().await;
    drop(facilitator);
    let r = http()
        .get(&page)
        .header("payment-signature", payment(&requirements, "0x08", 2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "a capture while the facilitator is down");
    let r = post(
        &send("down", json!({})),
        Some(("payment-signature", payment(&requirements, "0x06", 2))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["error"]["code"].clone(), v["error"]["message"].clone()),
        (json!(-32603), json!("Payment facilitator unavailable"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_is_served_at_both_well_known_paths_head_included() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    for path in ["/.well-known/agent.json", "/.well-known/agent-card.json"] {
        let body = http()
            .get(format!("{}{path}", s.base_url))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let card: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(card["protocolVersion"], "0.3.0");
        assert!(
            card.get("securitySchemes").is_none(),
            "no security without authentication"
        );
        let head = http()
            .head(format!("{}{path}", s.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(
            head.headers()["content-length"],
            body.len().to_string().as_str(),
            "{path}"
        );
    }
    let r = http().get(&s.base_url).send().await.unwrap();
    assert_eq!(r.status(), 200, "redirects are followed to the card");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_counted_in_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--bindu-auth", "off"]).await;
    let get = |path: &str| http().get(format!("{}{path}", s.base_url)).send();
    assert_eq!(get("/agent/skills").await.unwrap().status(), 200);
    assert_eq!(
        get("/agent/skills/nothing-here").await.unwrap().status(),
        404
    );
    let card = format!("{}/.well-known/agent.json", s.base_url);
    assert_eq!(http().head(&card).send().await.unwrap().status(), 200);
    assert_eq!(get("/metrics").await.unwrap().status(), 200);
    let text = get("/metrics").await.unwrap().text().await.unwrap();
    for line in [
        // Operations the metrics did not see before every handler was measured.
        r#"http_requests_total{endpoint="/agent/skills",method="GET",status="200"} 1"#,
        r#"http_requests_total{endpoint="/agent/skills/{skillId}",method="GET",status="404"} 1"#,
        r#"http_requests_total{endpoint="/.well-known/agent.json",method="HEAD",status="200"} 1"#,
        // The scrape before this one.
        r#"http_requests_total{endpoint="/metrics",method="GET",status="200"} 1"#,
        r#"http_request_duration_seconds_count{endpoint="/agent/skills",method="GET"} 1"#,
        r#"agent_errors_total{agent_id=""#,
        "http_requests_in_flight 1",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("agent_errors_total{")
            && l.contains(r#"error_type="skill_not_found"} 1"#)),
        "{text}"
    );
}
