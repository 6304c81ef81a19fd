//! Bindu's A2A mode (`--bindu-protocol a2a`) against the A2A 0.3.0 JSON Schema:
//! every answer of every method, errors included, and every stream event, is
//! validated with a JSON Schema validator against the schema's definition for
//! that answer, and JSON-RPC errors come with HTTP 200.
//!
//! The schema is the A2A project's `specification/json/a2a.json` at tag v0.3.0.
//! It is reference material, not part of this repository: the test reads it from
//! `QUARTET_A2A_SCHEMA`, or from `shared/reference/upstream/a2a-v0.3.0-schema.json`
//! in a directory above the repository, and says so and passes when neither exists.

use std::path::PathBuf;

use quartet_conformance::server::ServerProcess;
use serde_json::{json, Value};

fn schema_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("QUARTET_A2A_SCHEMA") {
        return Some(PathBuf::from(p));
    }
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .map(|d| d.join("shared/reference/upstream/a2a-v0.3.0-schema.json"))
        .find(|p| p.exists())
}

/// Validates values against named definitions of the A2A schema.
struct A2aSchema {
    root: Value,
}

impl A2aSchema {
    fn check(&self, definition: &str, value: &Value) {
        let mut schema = self.root.clone();
        schema["$ref"] = json!(format!("#/definitions/{definition}"));
        let validator = jsonschema::validator_for(&schema).expect("the A2A schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{definition} does not accept {value}:\n{}",
            errors.join("\n")
        );
    }
}

async fn post(base: &str, body: &Value) -> (u16, String, String) {
    let r = crate::support::http()
        .post(base)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, r.text().await.unwrap())
}

async fn call(base: &str, body: Value) -> Value {
    let (status, ct, text) = post(base, &body).await;
    assert_eq!(status, 200, "A2A answers JSON-RPC with HTTP 200: {text}");
    assert!(ct.starts_with("application/json"), "{ct}");
    serde_json::from_str(&text).unwrap()
}

/// A Bindu server speaking `mode` without authentication, private webhooks allowed.
async fn agent(dir: &std::path::Path, mode: &str) -> ServerProcess {
    let args: Vec<String> = [
        "--bindu-protocol",
        mode,
        "--bindu-auth",
        "off",
        "--bindu-allow-private-webhooks",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ServerProcess::spawn(&crate::support::bin(), dir, "bindu", &args)
        .await
        .unwrap()
}

fn message(text: &str, extra: Value) -> Value {
    let mut m = json!({"kind": "message", "messageId": uuid::Uuid::new_v4().to_string(), "role": "user",
        "parts": [{"kind": "text", "text": text}]});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a2a_mode_answers_validate_against_the_a2a_0_3_schema() {
    let Some(path) = schema_path() else {
        eprintln!("the A2A 0.3.0 schema is not available (QUARTET_A2A_SCHEMA): nothing to check");
        return;
    };
    let a2a = A2aSchema {
        root: serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
    };
    let dir = tempfile::tempdir().unwrap();
    let server = agent(dir.path(), "a2a").await;
    let base = server.base_url.clone();

    let card: Value = reqwest::get(format!("{base}/.well-known/agent-card.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    a2a.check("AgentCard", &card);

    let send = call(
        &base,
        json!({"jsonrpc": "2.0", "id": "s1", "method": "message/send",
        "params": {"message": message("hello", json!({}))}}),
    )
    .await;
    a2a.check("SendMessageResponse", &send);
    a2a.check("SendMessageSuccessResponse", &send);
    let id = send["result"]["id"].as_str().unwrap().to_owned();
    let blocking = call(&base, json!({"jsonrpc": "2.0", "id": 2, "method": "message/send",
        "params": {"message": message("hello", json!({})), "configuration": {"blocking": true, "historyLength": 1}}})).await;
    a2a.check("SendMessageSuccessResponse", &blocking);
    assert_eq!(blocking["result"]["status"]["state"], "completed");

    let get = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tasks/get", "params": {"id": id}}),
    )
    .await;
    a2a.check("GetTaskSuccessResponse", &get);
    let missing = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tasks/get",
        "params": {"id": "00000000-0000-4000-8000-000000000000"}}),
    )
    .await;
    a2a.check("GetTaskResponse", &missing);
    a2a.check("JSONRPCErrorResponse", &missing);
    assert_eq!(missing["error"]["code"], -32001);

    // A task waiting for input: push configs, then cancel.
    let waiting = call(&base, json!({"jsonrpc": "2.0", "id": 5, "method": "message/send", "params": {"message":
        {"kind": "message", "messageId": "w1", "role": "user", "parts": [{"kind": "data", "data": {"q": 1}}]},
        "configuration": {"blocking": true}}})).await;
    a2a.check("SendMessageSuccessResponse", &waiting);
    assert_eq!(waiting["result"]["status"]["state"], "input-required");
    let wid = waiting["result"]["id"].as_str().unwrap().to_owned();
    let set = call(&base, json!({"jsonrpc": "2.0", "id": 6, "method": "tasks/pushNotificationConfig/set",
        "params": {"taskId": wid, "pushNotificationConfig": {"id": "cfg-1", "url": "http://127.0.0.1:9/hook", "token": "t"}}})).await;
    a2a.check("SetTaskPushNotificationConfigSuccessResponse", &set);
    let got = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 7, "method": "tasks/pushNotificationConfig/get",
        "params": {"id": wid, "pushNotificationConfigId": "cfg-1"}}),
    )
    .await;
    a2a.check("GetTaskPushNotificationConfigSuccessResponse", &got);
    let list = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 8, "method": "tasks/pushNotificationConfig/list",
        "params": {"id": wid}}),
    )
    .await;
    a2a.check("ListTaskPushNotificationConfigSuccessResponse", &list);
    let deleted = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 9, "method": "tasks/pushNotificationConfig/delete",
        "params": {"id": wid, "pushNotificationConfigId": "cfg-1"}}),
    )
    .await;
    a2a.check("DeleteTaskPushNotificationConfigSuccessResponse", &deleted);
    let canceled = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 10, "method": "tasks/cancel", "params": {"id": wid}}),
    )
    .await;
    a2a.check("CancelTaskSuccessResponse", &canceled);
    let again = call(
        &base,
        json!({"jsonrpc": "2.0", "id": 11, "method": "tasks/cancel", "params": {"id": wid}}),
    )
    .await;
    a2a.check("CancelTaskResponse", &again);
    assert_eq!(again["error"]["code"], -32002);

    // Streams: every event is a streaming response; the task comes first.
    for body in [
        json!({"jsonrpc": "2.0", "id": "st", "method": "message/stream", "params": {"message": message("stream", json!({}))}}),
        json!({"jsonrpc": "2.0", "id": "rs", "method": "tasks/resubscribe", "params": {"id": id}}),
    ] {
        let (status, ct, text) = post(&base, &body).await;
        assert_eq!((status, ct.as_str()), (200, "text/event-stream"), "{text}");
        let events = quartet_conformance::runner::sse_events(&text);
        let events = events.as_array().unwrap();
        assert!(!events.is_empty());
        for e in events {
            a2a.check("SendStreamingMessageResponse", e);
            assert_eq!(e["id"], body["id"]);
        }
        assert_eq!(events.last().unwrap()["result"]["final"], true);
    }

    // Errors, all with HTTP 200.
    let (status, _, text) = post(&base, &json!("not a request")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    a2a.check("JSONRPCErrorResponse", &v);
    for (body, code) in [
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "no/such"}),
            -32601,
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {}}),
            -32602,
        ),
        (
            json!({"jsonrpc": "1.0", "id": 1, "method": "tasks/get"}),
            -32600,
        ),
        (
            json!({"jsonrpc": "2.0", "id": 1, "method": "agent/getAuthenticatedExtendedCard"}),
            -32007,
        ),
    ] {
        let v = call(&base, body).await;
        a2a.check("JSONRPCErrorResponse", &v);
        assert_eq!(v["error"]["code"], code, "{v}");
    }
    let r = reqwest::Client::new()
        .post(&base)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    a2a.check("JSONRPCErrorResponse", &v);
    assert_eq!(v["error"]["code"], -32700);
    // A request without an id is answered.
    let v = call(
        &base,
        json!({"jsonrpc": "2.0", "method": "tasks/get", "params": {"id": id}}),
    )
    .await;
    a2a.check("GetTaskSuccessResponse", &v);
    assert_eq!(v["id"], Value::Null);
}

/// A Python that has a2a-sdk 0.3.x: `QUARTET_A2A_PYTHON`, else `python3` if it imports `a2a`.
fn a2a_python() -> Option<String> {
    let candidate = std::env::var("QUARTET_A2A_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&candidate)
        .args(["-c", "import a2a.client.legacy, httpx"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(candidate)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_a2a_sdk_client_works_in_both_modes() {
    let Some(python) = a2a_python() else {
        eprintln!(
            "no Python with a2a-sdk (QUARTET_A2A_PYTHON; .ci/run installs one): nothing to run"
        );
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/a2a-sdk/check.py");
    for mode in ["a2a", "bindu"] {
        let dir = tempfile::tempdir().unwrap();
        let server = agent(dir.path(), mode).await;
        let out = tokio::process::Command::new(&python)
            .arg(&script)
            .args([&server.base_url, mode])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "a2a-sdk in {mode} mode:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("a2a-sdk check passed"), "{stdout}");
    }
}
