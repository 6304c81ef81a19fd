//! Bindu: one scenario per documented example of `openapi/bindu.yaml`.
//!
//! Fixtures: the agent's identity is the test-vector key (seed `00 01 … 1f`)
//! with the agent id and creation time the examples show, so DIDs and artifact
//! signatures are the documented ones. Tasks belong to their caller and ids are
//! unique per caller, so each group of examples uses a client of its own
//! (`quartet admin bindu client create`, tokens minted with the shared token
//! service) and sets its tasks up with blocking `message/send`s first.
//!
//! Variants: `default` (JWT auth, webhooks to loopback only), `a2a`
//! (`--bindu-protocol a2a`, same database), `limited` (no push, no streaming,
//! no worker: -32003, -32004 and the degraded `/health`), `bad-agent` (its own
//! database, auth off, an agent command that writes garbage: -32006), `paid`
//! (x402 price, a facilitator that does not answer: 402 and its 503) and
//! `storage-down`.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use super::bitmind::mint;
use super::LocalSetup;
use crate::scenario::{fx, lit, Scenario};
use crate::server::{admin, database_for};

/// The Ed25519 seed of the examples' identity (services.md test vector).
pub const SEED_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// The agent id of the examples.
pub const AGENT_ID: &str = "7c1e9a52-3f4b-4d8e-9a61-2b5f0c8d4e17";
/// The creation time of the examples' identity (2026-11-02T09:00:00Z).
pub const CREATED: &str = "1793610000";
/// The DID client of the examples, with the same test-vector key.
pub const DID_CLIENT: &str =
    "did:bindu:alice_at_example_com:test_agent:00000000-0000-0000-0000-0000000000aa";
/// The test-vector public key.
pub const PUBLIC_KEY: &str = "FAe4sisG95oZ42w7buUn5qEE4TAnfTTFPiguZUHmhiF";

/// The paid variant's recipient.
const PAY_TO: &str = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";

/// An x402 v2 payment of `amount` for the paid variant's requirements, whose
/// authorization of 0.01 USDC is signed by the private key 0x11…11 (made with
/// eth-account), so it passes the agent's own check; the variant's facilitator is
/// down, so it is never verified.
fn payment_header(amount: &str) -> String {
    use base64::Engine as _;
    let payload = json!({"x402Version": 2, "accepted": {"scheme": "exact", "network": "eip155:84532",
        "amount": amount, "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "payTo": PAY_TO,
        "maxTimeoutSeconds": 300, "extra": {"name": "USDC", "version": "2"}},
        "payload": {"signature": "0xc29bbc19593fcfeb18ee0d3f847f74f5a24ae0c5cec89c8f1156b038b9d6d3154f33d323dbf22a6704fb030b4000ac05eaab17c7bcd5a581cb8841be39a994781c",
        "authorization": {"from": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
        "to": PAY_TO, "value": "10000", "validAfter": "0", "validBefore": "9999999999",
        "nonce": "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"}}});
    base64::engine::general_purpose::STANDARD.encode(payload.to_string())
}

/// The completed task most examples show.
const TASK: &str = "3d2c1b0a-9f8e-4d7c-8b6a-5e4f3a2b1c0d";
const CONTEXT: &str = "0b6f3c1d-8e2a-4f7b-9c5d-6a1e2f3b4c5d";
/// The task waiting for input.
const WAITING: &str = "8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b";
const WAITING_CONTEXT: &str = "4c3b2a1f-0e9d-4c8b-a7f6-e5d4c3b2a1f0";
/// The task with a webhook in A2A mode.
const A2A_TASK: &str = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
/// A task whose stored record is corrupt.
const CORRUPT: &str = "c0ffee00-0000-4000-8000-000000000000";
const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// Clients (one per group of examples) and their scopes.
const CLIENTS: [(&str, &str); 10] = [
    ("main", "agent:read,agent:write"),
    ("sender", "agent:read,agent:write"),
    ("streamer", "agent:read,agent:write"),
    ("canceler", "agent:read,agent:write"),
    ("busy", "agent:read,agent:write"),
    ("done", "agent:read,agent:write"),
    ("other", "agent:execute"),
    ("reader", "agent:read"),
    ("a2a", "agent:read,agent:write"),
    ("corrupt", "agent:read"),
];

async fn bindu(bin: &Path, data_dir: &Path, args: &[&str]) -> Result<String> {
    let mut full = vec!["bindu"];
    full.extend_from_slice(args);
    Ok(admin(bin, data_dir, &full).await?.trim().to_owned())
}

async fn client(bin: &Path, data_dir: &Path, scopes: &str, extra: &[&str]) -> Result<String> {
    let mut args = vec!["client", "create", "--scopes", scopes, "--json"];
    args.extend_from_slice(extra);
    let out: Value = serde_json::from_str(&bindu(bin, data_dir, &args).await?)?;
    out["client_id"]
        .as_str()
        .map(str::to_owned)
        .context("client create prints the client id")
}

/// The payment session of the examples.
const SESSION: &str = "2f9e8d7c-6b5a-4e3d-8c1b-0a9f8e7d6c5b";
/// The paid payment session of the examples, its secret and the SHA-256 of it.
const PAID_SESSION: &str = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d";
const SESSION_SECRET: &str = "3q2-7wZc0L9mXv1bTn4kQy8rHs6aJd5eFg2iUo0pWlE";
const SESSION_SECRET_HASH: &str =
    "062f2b5778b274e15923988115d7aa964345d77d720f1829bd07f4a5dc1a9a4a";

/// A connection to the database of `data_dir` (migrated by the admin commands run before).
async fn database(data_dir: &Path) -> Result<sqlx::AnyConnection> {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let url = match database_for(data_dir).await? {
        Some(url) => url,
        None => format!("sqlite://{}", data_dir.join("quartet.db").display()),
    };
    Ok(sqlx::AnyConnection::connect(&url).await?)
}

/// Stores the pending and the paid payment session of the examples (sessions have
/// no admin command; a browser would open one with `POST /api/start-payment-session`).
async fn pending_session(data_dir: &Path) -> Result<()> {
    use sqlx::Connection as _;
    let mut conn = database(data_dir).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    sqlx::query(
        "INSERT INTO bindu_payment_sessions (id, status, created_at, expires_at) VALUES ($1, 'pending', $2, $3)",
    )
    .bind(SESSION)
    .bind(now)
    .bind(now + 86_400)
    .execute(&mut conn)
    .await?;
    sqlx::query(
        "INSERT INTO bindu_payment_sessions (id, status, payment_token, secret_hash, created_at, expires_at)
         VALUES ($1, 'completed', 'eyJ4NDAyVmVyc2lvbiI6Mn0=', $2, $3, $4)",
    )
    .bind(PAID_SESSION)
    .bind(SESSION_SECRET_HASH)
    .bind(now)
    .bind(now + 86_400)
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

/// Writes a task row whose JSON is not a task, for the -32603 example (as a disk or a
/// foreign writer might leave it).
async fn corrupt_task(data_dir: &Path, owner: &str) -> Result<()> {
    use sqlx::Connection as _;
    let mut conn = database(data_dir).await?;
    sqlx::query(
        "INSERT INTO bindu_tasks (owner, id, context_id, state, task, created_at, updated_at)
         VALUES ($1, $2, $3, 'completed', '{\"truncated', 0, 0)",
    )
    .bind(owner)
    .bind(CORRUPT)
    .bind(UNKNOWN)
    .execute(&mut conn)
    .await?;
    conn.close().await?;
    Ok(())
}

/// Identity, clients, tokens and variants.
pub async fn local_setup(bin: &Path, data_dir: &Path) -> Result<LocalSetup> {
    bindu(
        bin,
        data_dir,
        &[
            "identity",
            "import",
            "--seed",
            SEED_HEX,
            "--agent-id",
            AGENT_ID,
            "--created",
            CREATED,
        ],
    )
    .await?;
    let mut setup = LocalSetup::default();
    for (name, scopes) in CLIENTS {
        let id = client(bin, data_dir, scopes, &[]).await?;
        let token = mint(bin, data_dir, &id, &[]).await?;
        setup
            .fixtures
            .insert(name.into(), format!("Bearer {token}"));
        if name == "main" {
            let expired = mint(bin, data_dir, &id, &["--lifetime", "-120"]).await?;
            setup
                .fixtures
                .insert("expired".into(), format!("Bearer {expired}"));
        }
        if name == "corrupt" {
            corrupt_task(data_dir, &id).await?;
        }
    }
    let did = client(
        bin,
        data_dir,
        "agent:read,agent:write",
        &["--did", DID_CLIENT, "--public-key", PUBLIC_KEY],
    )
    .await?;
    let token = mint(bin, data_dir, &did, &[]).await?;
    setup
        .fixtures
        .insert("did".into(), format!("Bearer {token}"));
    pending_session(data_dir).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    setup.fixtures.insert("now".into(), now.to_string());
    let common = |extra: &[&str]| -> Vec<String> {
        // Webhooks of the examples name hosts that never resolve (`.invalid`), and
        // nothing but loopback would be called anyway.
        let mut args = vec![
            "--bindu-webhooks-loopback-only".to_owned(),
            "--bindu-workers".to_owned(),
            "2".to_owned(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    setup.variants.push(("default", common(&[])));
    setup
        .variants
        .push(("a2a", common(&["--bindu-protocol", "a2a"])));
    setup.variants.push((
        "limited",
        common(&[
            "--bindu-no-push",
            "--bindu-no-streaming",
            "--bindu-no-worker",
        ]),
    ));
    setup.variants.push((
        "bad-agent",
        common(&[
            "--bindu-auth",
            "off",
            "--bindu-agent",
            "command",
            "--bindu-agent-command",
            "echo this is not json",
        ]),
    ));
    setup.isolated.push("bad-agent");
    let closed = crate::server::closed_port().to_string();
    let facilitator = format!("http://127.0.0.1:{closed}");
    setup.variants.push((
        "paid",
        common(&[
            "--bindu-price",
            "0.01",
            "--bindu-pay-to",
            PAY_TO,
            "--bindu-x402-facilitator-url",
            &facilitator,
        ]),
    ));
    setup
        .fixtures
        .insert("payment".into(), payment_header("10000"));
    // Less than the price: refused before the facilitator is asked.
    setup
        .fixtures
        .insert("cheap_payment".into(), payment_header("1"));
    setup.variants.push(super::storage_down_variant());
    Ok(setup)
}

/// A JSON-RPC request.
fn rpc(id: Value, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// A blocking `message/send` of `text` (or of a data part when `None`) as a new task
/// with the given ids.
fn send(task: &str, context: &str, message_id: &str, text: Option<&str>) -> Value {
    let part = match text {
        Some(t) => json!({"kind": "text", "text": t}),
        None => json!({"kind": "data", "data": {"city": "Lisbon"}}),
    };
    rpc(
        json!("setup"),
        "message/send",
        json!({"message": {"messageId": message_id, "taskId": task, "contextId": context,
               "kind": "message", "role": "user", "parts": [part]},
               "configuration": {"blocking": true}}),
    )
}

/// The completed task of the examples, for `client`.
fn completed_task(client: &'static str) -> Scenario {
    rpc_step(
        client,
        send(
            TASK,
            CONTEXT,
            "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            Some("hello from quartet"),
        ),
    )
}

/// The task waiting for input, for `client`.
fn waiting_task(client: &'static str) -> Scenario {
    rpc_step(
        client,
        send(
            WAITING,
            WAITING_CONTEXT,
            "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
            None,
        ),
    )
}

/// A setup request on the default variant.
fn rpc_step(client: &'static str, body: Value) -> Scenario {
    Scenario::new("json_rpc", "200", "setup")
        .json(body)
        .header("authorization", fx(client))
}

fn call(status: &'static str, example: &'static str, client: &'static str) -> Scenario {
    Scenario::new("json_rpc", status, example).header("authorization", fx(client))
}

/// Pointers of a task's generated values, under `at`.
fn task_volatile(at: &'static str) -> Vec<String> {
    [
        "/status/timestamp",
        "/history/1/message_id",
        "/artifacts/0/artifact_id",
    ]
    .iter()
    .map(|p| format!("{at}{p}"))
    .collect()
}

fn leak(v: Vec<String>) -> Vec<&'static str> {
    v.into_iter()
        .map(|s| &*Box::leak(s.into_boxed_str()))
        .collect()
}

/// Every Bindu scenario.
pub fn scenarios() -> Vec<Scenario> {
    let down = |s: Scenario| {
        s.variant("storage-down")
            .local_only(super::NEEDS_STORAGE_DOWN)
    };
    let new_task = [
        "/result/id",
        "/result/context_id",
        "/result/status/timestamp",
        "/result/history/0/context_id",
        "/result/history/0/task_id",
    ];
    let a2a_new_task = [
        "/result/id",
        "/result/contextId",
        "/result/status/timestamp",
        "/result/history/*/contextId",
        "/result/history/*/taskId",
        "/result/history/1/messageId",
        "/result/artifacts/0/artifactId",
    ];
    let stream = [
        "/*/task_id",
        "/*/context_id",
        "/*/status/timestamp",
        "/2/artifact/artifact_id",
    ];
    let a2a_stream = [
        "/0/result/id",
        "/0/result/contextId",
        "/0/result/status/timestamp",
        "/0/result/history/0/contextId",
        "/0/result/history/0/taskId",
        "/*/result/taskId",
        "/*/result/contextId",
        "/*/result/status/timestamp",
        "/3/result/artifact/artifactId",
    ];
    let waiting_pushed = json!({"message": {"messageId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "taskId": A2A_TASK, "contextId": WAITING_CONTEXT, "kind": "message", "role": "user",
        "parts": [{"kind": "text", "text": "hello"}]},
        "configuration": {"blocking": true, "pushNotificationConfig": {
            "id": "7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a", "url": "https://hooks.agent.invalid/webhooks/a2a",
            "token": "webhook-secret-2"}}});
    let mut all = vec![
        // 200, Bindu mode
        call("200", "message_send", "sender")
            .body_example("message_send")
            .volatile(&new_task),
        call("200", "tasks_get", "main")
            .body_example("tasks_get")
            .after(completed_task("main"))
            .volatile(&leak(task_volatile("/result"))),
        call("200", "tasks_list", "main")
            .body_example("tasks_list")
            .volatile(&leak(task_volatile("/result/0"))),
        call("200", "tasks_cancel", "canceler")
            .body_example("tasks_cancel")
            .after(waiting_task("canceler"))
            .volatile(&["/result/status/timestamp", "/result/history/1/message_id"]),
        call("200", "tasks_feedback", "main").body_example("tasks_feedback"),
        call("200", "push_notification_config_set", "main")
            .body_example("push_notification_config_set"),
        call("200", "push_notification_config_get", "main")
            .body_example("push_notification_config_get"),
        call("200", "push_notification_config_list", "main")
            .body_example("push_notification_config_list"),
        call("200", "push_notification_config_delete", "main")
            .body_example("push_notification_config_delete"),
        call("200", "contexts_list", "main").body_example("contexts_list"),
        call("200", "contexts_clear", "main").body_example("contexts_clear"),
        // 200, A2A mode
        call("200", "a2a_message_send", "a2a")
            .variant("a2a")
            .body_example("a2a_message_send")
            .volatile(&a2a_new_task),
        call("200", "a2a_task_not_found", "a2a")
            .variant("a2a")
            .json(rpc(json!("a2a-get-1"), "tasks/get", json!({"id": UNKNOWN}))),
        call("200", "a2a_request_without_id", "a2a")
            .variant("a2a")
            .json(json!({"jsonrpc": "2.0", "method": "tasks/get", "params": {"id": UNKNOWN}})),
        call("200", "a2a_push_notification_config_list", "a2a")
            .variant("a2a")
            .after(rpc_step("a2a", rpc(json!("setup"), "message/send", waiting_pushed)))
            .json(rpc(
                json!("a2a-push-list-1"),
                "tasks/pushNotificationConfig/list",
                json!({"id": A2A_TASK}),
            )),
        call("200", "a2a_push_notification_config_delete", "a2a")
            .variant("a2a")
            .json(rpc(
                json!("a2a-push-delete-1"),
                "tasks/pushNotificationConfig/delete",
                json!({"id": A2A_TASK, "pushNotificationConfigId": "7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a"}),
            )),
        // 200, streams
        call("200", "message_stream", "streamer")
            .body_example("message_stream")
            .volatile(&stream),
        call("200", "tasks_resubscribe", "done")
            .body_example("tasks_resubscribe")
            .after(completed_task("done"))
            .volatile(&["/0/status/timestamp"]),
        call("200", "a2a_message_stream", "a2a")
            .variant("a2a")
            .body_example("a2a_message_stream")
            .volatile(&a2a_stream),
        // 400
        call("400", "parse_error", "other").raw(&br#"{"jsonrpc": "2.0", "method": "tasks/list""#[..]),
        call("400", "invalid_request", "other").json(json!({"jsonrpc": "1.0", "id": "bad-version-1", "method": "tasks/list"})),
        call("400", "invalid_params", "other").json(rpc(json!("get-no-id-1"), "tasks/get", json!({}))),
        call("400", "webhook_url_refused", "done").json(rpc(
            json!("push-refused-1"),
            "tasks/pushNotificationConfig/set",
            json!({"taskId": TASK, "pushNotificationConfig": {"url": "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"}}),
        )),
        call("400", "task_not_cancelable", "done")
            .json(rpc(json!("cancel-done-1"), "tasks/cancel", json!({"taskId": TASK}))),
        call("400", "content_type_not_supported", "other").json(rpc(
            json!("send-png-1"),
            "message/send",
            json!({"message": {"messageId": "m-png", "role": "user", "parts": [{"kind": "text", "text": "a picture, please"}]},
                   "configuration": {"acceptedOutputModes": ["image/png"]}}),
        )),
        call("400", "task_immutable", "done").json(rpc(
            json!("send-again-1"),
            "message/send",
            json!({"message": {"messageId": "m-again", "taskId": TASK, "role": "user", "parts": [{"kind": "text", "text": "again"}]}}),
        )),
        call("400", "context_not_cancelable", "busy")
            .after(waiting_task("busy"))
            .json(rpc(json!("clear-busy-1"), "contexts/clear", json!({"contextId": WAITING_CONTEXT}))),
        call("400", "push_notifications_not_supported", "other")
            .variant("limited")
            .json(rpc(
                json!("push-set-off-1"),
                "tasks/pushNotificationConfig/set",
                json!({"taskId": TASK, "pushNotificationConfig": {"url": "https://hooks.agent.invalid/webhooks/bindu"}}),
            )),
        call("400", "unsupported_operation", "other")
            .variant("limited")
            .json(rpc(
                json!("stream-off-1"),
                "message/stream",
                json!({"message": {"messageId": "m-off", "role": "user", "parts": [{"kind": "text", "text": "stream"}]}}),
            )),
        Scenario::new("json_rpc", "400", "extended_card_not_configured")
            .variant("bad-agent")
            .json(rpc(json!("card-1"), "agent/getAuthenticatedExtendedCard", json!({}))),
        // 401
        Scenario::new("json_rpc", "401", "authentication_required").body_example("tasks_list"),
        Scenario::new("json_rpc", "401", "invalid_token")
            .body_example("tasks_list")
            .header("authorization", lit("Bearer not-a-jwt")),
        call("401", "token_expired", "expired").body_example("tasks_list"),
        // 403
        call("403", "invalid_did_signature", "did")
            .body_example("tasks_list")
            .header("x-did", lit(DID_CLIENT))
            .header("x-did-timestamp", fx("now"))
            .header("x-did-signature", lit("5fjrbazALM7xmSu1Pj6K7hKnRdbRcywtRmW2rMyQPRgRySpG1KqDQB7THbhDFggx8i3MDK4ZhHSsTr6rxDVZMaZ2")),
        call("403", "insufficient_permissions", "reader").json(rpc(
            json!("send-readonly-1"),
            "message/send",
            json!({"message": {"messageId": "m-ro", "role": "user", "parts": [{"kind": "text", "text": "hi"}]}}),
        )),
        // 404
        call("404", "method_not_found", "other").json(rpc(json!("delete-1"), "tasks/delete", json!({}))),
        call("404", "task_not_found", "other").json(rpc(json!("get-missing-1"), "tasks/get", json!({"taskId": UNKNOWN}))),
        call("404", "push_notification_config_not_found", "done").json(rpc(
            json!("push-get-none-1"),
            "tasks/pushNotificationConfig/get",
            json!({"taskId": TASK}),
        )),
        call("404", "context_not_found", "other").json(rpc(json!("clear-missing-1"), "contexts/clear", json!({"contextId": UNKNOWN}))),
        // 413
        call("413", "example", "other").raw(vec![b' '; 1_100_000]),
        // 500
        call("500", "internal_error", "corrupt").json(rpc(json!("get-corrupt-1"), "tasks/get", json!({"taskId": CORRUPT}))),
        Scenario::new("json_rpc", "500", "invalid_agent_response")
            .variant("bad-agent")
            .json(rpc(
                json!("send-bad-agent-1"),
                "message/send",
                json!({"message": {"messageId": "m-bad", "role": "user", "parts": [{"kind": "text", "text": "hi"}]},
                       "configuration": {"blocking": true}}),
            ))
            .volatile(&["/error/data/task_id"]),
        // 402
        call("402", "example", "other")
            .variant("paid")
            .body_example("message_send")
            .volatile(&["/resource/url"]),
        // 503
        down(call("503", "storage_unavailable", "other").body_example("tasks_list")),
        call("503", "facilitator_unavailable", "other")
            .variant("paid")
            .header("payment-signature", fx("payment"))
            .json(rpc(
                json!("paid-1"),
                "message/send",
                json!({"message": {"messageId": "m-paid", "role": "user", "parts": [{"kind": "text", "text": "paid"}]}}),
            )),
    ];
    all.extend(rest());
    all
}

/// The REST routes.
fn rest() -> Vec<Scenario> {
    let card = &["/url", "/skills/0/documentationPath"];
    // The storage backend depends on the database the run uses (SQLite or PostgreSQL).
    let health = &["/uptime_seconds", "/version", "/runtime/storage_backend"];
    vec![
        Scenario::new("get_agent_card", "200", "example").volatile(card),
        Scenario::new("get_a2a_agent_card", "200", "example").volatile(card),
        Scenario::new("resolve_did", "200", "example"),
        Scenario::new("resolve_did", "400", "missing_did").omit("did"),
        Scenario::new("resolve_did", "404", "unknown_did").param(
            "did",
            lit("did:bindu:someone_at_example_com:other_agent:11111111-2222-4333-8444-555555555555"),
        ),
        Scenario::new("resolve_did_post", "200", "example"),
        Scenario::new("resolve_did_post", "400", "missing_did").json(json!({})),
        Scenario::new("resolve_did_post", "404", "unknown_did").json(json!({
            "did": "did:bindu:someone_at_example_com:other_agent:11111111-2222-4333-8444-555555555555"
        })),
        Scenario::new("resolve_did_post", "413", "example").raw(vec![b' '; 1_100_000]),
        Scenario::new("list_skills", "200", "example"),
        Scenario::new("get_skill", "200", "example"),
        Scenario::new("get_skill", "404", "example").param("skillId", lit("translate-v1")),
        Scenario::new("get_skill_documentation", "200", "example"),
        Scenario::new("get_skill_documentation", "404", "example")
            .param("skillId", lit("translate-v1")),
        Scenario::new("negotiate", "200", "matching_task").body_example("matching_task"),
        Scenario::new("negotiate", "200", "unrelated_task").body_example("unrelated_task"),
        Scenario::new("negotiate", "400", "missing_task_summary").json(json!({})),
        Scenario::new("negotiate", "400", "task_summary_too_long")
            .json(json!({"task_summary": "x".repeat(10_001)})),
        Scenario::new("negotiate", "400", "weight_out_of_range")
            .json(json!({"task_summary": "echo", "weights": {"skill_match": 1.5}})),
        Scenario::new("negotiate", "413", "example").raw(vec![b' '; 1_100_000]),
        Scenario::new("start_payment_session", "200", "example")
            .volatile(&["/session_id", "/browser_url", "/session_secret", "/expires_at"]),
        Scenario::new("get_payment_status", "200", "pending"),
        Scenario::new("get_payment_status", "200", "completed")
            .param("sessionId", lit(PAID_SESSION))
            .param("X-Payment-Session-Secret", lit(SESSION_SECRET)),
        Scenario::new("get_payment_status", "200", "completed_without_secret")
            .param("sessionId", lit(PAID_SESSION)),
        Scenario::new("get_payment_status", "404", "unknown_session")
            .param("sessionId", lit("00000000-0000-4000-8000-000000000000")),
        Scenario::new("get_payment_status", "400", "invalid_wait").param("wait", lit("maybe")),
        Scenario::new("payment_capture", "200", "example").volatile(&[""]),
        Scenario::new("payment_capture", "400", "missing_session_id").omit("session_id"),
        Scenario::new("payment_capture", "404", "unknown_session")
            .param("session_id", lit("00000000-0000-4000-8000-000000000000")),
        Scenario::new("payment_capture", "402", "example")
            .variant("paid")
            .header("x-payment", fx("cheap_payment"))
            .volatile(&["/resource/url"]),
        Scenario::new("payment_capture", "503", "facilitator_unavailable")
            .variant("paid")
            .header("payment-signature", fx("payment")),
        Scenario::new("get_health", "200", "example").volatile(health),
        Scenario::new("get_health", "503", "example")
            .variant("limited")
            .volatile(health),
        Scenario::new("get_metrics", "200", "example").volatile(&[""]),
    ]
}
