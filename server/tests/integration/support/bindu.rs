//! Bindu helpers the test modules share: the server, JSON-RPC calls, a
//! message, and a client with its token.

use std::path::Path;

use quartet_conformance::server::{admin, ServerProcess};
use serde_json::{json, Value};

use super::{bin, http};

/// A Bindu server on `dir` with `args`.
pub async fn serve(dir: &Path, args: &[&str]) -> ServerProcess {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    ServerProcess::spawn(&bin(), dir, "bindu", &args)
        .await
        .unwrap()
}

/// `POST /` with `body` (and a bearer token); returns status and JSON.
pub async fn rpc(base: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut r = http().post(base).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A JSON-RPC request of `method` with `params`.
pub fn request(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

/// A `message/send` request with one text part `text` (and `extra` message fields).
pub fn send(text: &str, extra: Value) -> Value {
    let mut message =
        json!({"messageId": uuid(), "role": "user", "parts": [{"kind": "text", "text": text}]});
    if let (Some(m), Some(e)) = (message.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    request("message/send", json!({"message": message}))
}

/// A random UUID, as text.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The state of task `t`.
pub fn state(t: &Value) -> &str {
    t["status"]["state"].as_str().unwrap_or("")
}

/// A client of `dir` with `scopes` (and `extra` flags), created by the admin
/// command: its JSON (`client_id`, `client_secret`, …).
pub async fn create_client(dir: &Path, scopes: &str, extra: &[&str]) -> Value {
    let mut args = vec!["bindu", "client", "create", "--scopes", scopes, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&admin(&bin(), dir, &args).await.unwrap()).unwrap()
}

/// A client of `dir` with `scopes` (and `extra` flags) and a token minted for it: id and token.
pub async fn client_token(dir: &Path, scopes: &str, extra: &[&str]) -> (String, String) {
    let out = create_client(dir, scopes, extra).await;
    let id = out["client_id"].as_str().unwrap().to_owned();
    let token = admin(
        &bin(),
        dir,
        &["bitmind", "token", "mint", "--client-id", &id],
    )
    .await
    .unwrap()
    .trim()
    .to_owned();
    (id, token)
}
