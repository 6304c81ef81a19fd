//! Bitstride gateway billing: usage a backend cannot forge or lose.
//!
//! A tenant's deployment backend is the attacker here: a loopback stand-in
//! that reports negative or zero usage, names another model, streams slowly
//! (so that the client, or the server itself, can die mid-stream). The
//! database is read directly to see what was billed and what survived; on
//! PostgreSQL (`QUARTET_TEST_POSTGRES`) the same tests run on a fresh database.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use quartet_conformance::server::{admin, database_for, ServerProcess};
use serde_json::{json, Value};
use sqlx::Connection as _;
use tokio::io::AsyncWriteExt;

use crate::support::bitstride::{read_request, say, C, PASSWORD};
use crate::support::{bin, http};

async fn spawn(dir: &Path) -> ServerProcess {
    crate::support::bitstride::spawn(dir, &["--bitstride-trainer", "none"]).await
}

/// A signed-in caller of one server.
struct Caller {
    base: String,
    token: String,
    org: String,
    c: C,
}

impl Caller {
    /// `POST path` (register or login) with `email` and [`PASSWORD`]; the
    /// signed-in caller of `org` (the session's own when `None`).
    async fn sign_in(base: &str, path: &str, email: &str, org: Option<&str>) -> Self {
        let anon = C::new(base);
        let (_, v) = anon
            .post(path, json!({"email": email, "password": PASSWORD}))
            .await;
        let token = v["access_token"].as_str().unwrap().to_owned();
        Self {
            base: base.to_owned(),
            org: org.map_or_else(
                || v["user"]["org_id"].as_str().unwrap().to_owned(),
                str::to_owned,
            ),
            c: anon.with(&token),
            token,
        }
    }

    async fn register(base: &str, email: &str) -> Self {
        Self::sign_in(base, "/v1/auth/register", email, None).await
    }

    async fn login(base: &str, email: &str, org: &str) -> Self {
        Self::sign_in(base, "/v1/auth/login", email, Some(org)).await
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.c
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.c.req(method.as_str(), path, body).await
    }

    async fn get(&self, path: &str) -> Value {
        let (s, v) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    async fn chat(&self, dep: &str, body: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            &format!("/v1/inference/{dep}/chat"),
            Some(body),
        )
        .await
    }

    /// A ready deployment on `endpoint` with this subdomain.
    async fn deployment(&self, endpoint: &str, subdomain: &str) -> String {
        let (s, d) = self
            .send(
                reqwest::Method::POST,
                "/v1/deployments",
                Some(json!({"name": subdomain, "subdomain": subdomain, "endpoint": endpoint,
                    "backend_type": "vllm", "protocol": "openai",
                    "capabilities": {"streaming": true, "adapter_types": [], "cache_affinity": "none", "supported_protocols": ["openai"]}})),
            )
            .await;
        assert_eq!(s, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        for _ in 0..100 {
            if self.get(&format!("/v1/deployments/{id}")).await["status"] == "ready" {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("deployment {id} never became ready");
    }
}

/// The words of a long answer: `n` of them.
fn words(n: usize) -> String {
    (0..n).map(|i| format!("w{i} ")).collect()
}

/// A tenant's backend that lies: by the last message it answers
/// - `negative`: a stream of five words whose final chunk claims negative usage;
/// - `zero`: a 300-word answer that claims zero usage;
/// - `other-model`: an answer that names a pricier model;
/// - `slow`: a stream of 60 one-word chunks, 200 ms apart;
/// - anything else: `hello`.
///
/// Counts the chat requests it was sent.
async fn lying_backend() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut sock).await else {
                    return;
                };
                if head.starts_with("GET") {
                    let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}").await;
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let completion = |text: &str, model: &str, usage: Value| {
                    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": usage})
                    .to_string()
                };
                let chunk = |text: &str, usage: Value| {
                    let c = json!({"id": "c", "object": "chat.completion.chunk", "model": "m",
                        "choices": [{"index": 0, "delta": {"content": text}}], "usage": usage});
                    format!("data: {c}\n\n")
                };
                if body.contains("\"stream\":true") {
                    let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n").await;
                    if body.contains("negative") {
                        for w in ["alpha ", "beta ", "gamma ", "delta ", "epsilon"] {
                            let _ = sock.write_all(chunk(w, Value::Null).as_bytes()).await;
                        }
                        let claim = json!({"prompt_tokens": -5, "completion_tokens": -100, "total_tokens": -105});
                        let _ = sock.write_all(chunk("", claim).as_bytes()).await;
                    } else {
                        for i in 0..60 {
                            let piece = chunk(&format!("w{i} "), Value::Null);
                            if sock.write_all(piece.as_bytes()).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                    let _ = sock.write_all(b"data: [DONE]\n\n").await;
                } else {
                    let b = if body.contains("zero") {
                        completion(
                            &words(300),
                            "m",
                            json!({"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}),
                        )
                    } else if body.contains("other-model") {
                        completion(
                            "hello",
                            "gpt-4-expensive",
                            json!({"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9}),
                        )
                    } else {
                        completion("hello", "m", Value::Null)
                    };
                    let _ = sock.write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}", b.len()).as_bytes()).await;
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), calls)
}

/// A fresh server with tenant `name@example.com` signed in and its ready
/// deployment `subdomain` on a fresh [`lying_backend`]: the data directory,
/// the server, the tenant, the deployment's id and the backend's chat count.
async fn tenant(
    name: &str,
    subdomain: &str,
) -> (
    tempfile::TempDir,
    ServerProcess,
    Caller,
    String,
    Arc<AtomicUsize>,
) {
    let (url, calls) = lying_backend().await;
    let dir = tempfile::tempdir().unwrap();
    let s = spawn(dir.path()).await;
    let me = Caller::register(&s.base_url, &format!("{name}@example.com")).await;
    let dep = me.deployment(&url, subdomain).await;
    (dir, s, me, dep, calls)
}

/// The database of the server on `dir` (SQLite file, or its PostgreSQL database).
async fn database(dir: &Path) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    let url = match database_for(dir).await.unwrap() {
        Some(url) => url,
        None => format!("sqlite://{}", dir.join("quartet.db").display()),
    };
    sqlx::AnyConnection::connect(&url).await.unwrap()
}

fn is_postgres() -> bool {
    quartet_conformance::server::test_postgres().is_some()
}

/// One usage row as stored.
#[derive(Debug, PartialEq)]
struct Row {
    model: String,
    input: i64,
    output: i64,
    state: String,
    user: Option<String>,
}

async fn usage_rows(dir: &Path, org: &str) -> Vec<Row> {
    let mut db = database(dir).await;
    let rows: Vec<(String, i64, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT model, input_tokens, output_tokens, state, end_user FROM bitstride_usage
         WHERE org_id = $1 ORDER BY created_at, id",
    )
    .bind(org)
    .fetch_all(&mut db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(model, input, output, state, user)| Row {
            model,
            input,
            output,
            state,
            user,
        })
        .collect()
}

/// Waits until the org's only usage row is closed and returns it.
async fn closed_row(dir: &Path, org: &str) -> Row {
    for _ in 0..100 {
        let mut rows = usage_rows(dir, org).await;
        if rows.len() == 1 && rows[0].state == "closed" {
            return rows.remove(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no closed usage row: {:?}", usage_rows(dir, org).await);
}

/// The value of `bitstride_usage_discrepancies_total{kind}` in `/metrics`.
async fn discrepancies(base: &str, kind: &str) -> i64 {
    let text = http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("bitstride_usage_discrepancies_total{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Reads a whole streamed answer.
async fn stream_all(me: &Caller, dep: &str, body: Value) -> String {
    let r = me
        .request(reqwest::Method::POST, &format!("/v1/inference/{dep}/chat"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Prompt tokens the gateway counts for `say(text, _)`: the message's pieces plus 3.
fn prompt_of(pieces: i64) -> i64 {
    pieces + 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn negative_streamed_usage_is_billed_by_the_gateways_count() {
    let (dir, s, me, dep, _) = tenant("neg", "neg").await;
    let before = discrepancies(&s.base_url, "negative").await;
    let text = stream_all(&me, &dep, say("negative", true)).await;
    assert!(text.contains("epsilon") && text.ends_with("data: [DONE]\n\n"));
    let row = closed_row(dir.path(), &me.org).await;
    // Five words relayed; one message of one piece sent.
    assert_eq!((row.input, row.output), (prompt_of(1), 5), "{row:?}");
    assert_eq!(
        discrepancies(&s.base_url, "negative").await,
        before + 2,
        "both figures were refused and counted"
    );
    let usage = me.get("/v1/usage").await;
    assert_eq!(usage["data"][0]["output_tokens"], 5, "{usage}");
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zero_usage_for_a_long_answer_is_billed_by_the_gateways_count() {
    let (dir, s, me, dep, _) = tenant("zero", "zero").await;
    let before = discrepancies(&s.base_url, "implausible").await;
    let (status, v) = me.chat(&dep, say("zero", false)).await;
    assert_eq!(status, 200, "{v}");
    // The answer carries what was billed, not the backend's claim.
    assert_eq!(v["usage"]["completion_tokens"], 300, "{v}");
    let row = closed_row(dir.path(), &me.org).await;
    assert_eq!((row.input, row.output), (prompt_of(1), 300));
    // Nothing is not a plausible count of a prompt or of an answer.
    assert_eq!(discrepancies(&s.base_url, "implausible").await, before + 2);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backend_naming_another_model_bills_the_deployments() {
    let (dir, s, me, dep, _) = tenant("model", "cheap-dep").await;
    let (status, _) = me.chat(&dep, say("other-model", false)).await;
    assert_eq!(status, 200);
    let row = closed_row(dir.path(), &me.org).await;
    assert_eq!(row.model, "cheap-dep");
    let usage = me.get("/v1/usage").await;
    let models: Vec<&str> = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["cheap-dep"], "{usage}");
    let other = me.get("/v1/usage?model=gpt-4-expensive").await;
    assert_eq!(other["total_requests"], 0, "{other}");
    assert!(discrepancies(&s.base_url, "model").await >= 1);
    s.kill().await.unwrap();
}

/// Starts a slow stream and reads its first `n` chunks (SSE events).
async fn read_some(me: &Caller, dep: &str, n: usize) -> (reqwest::Response, usize) {
    let mut r = me
        .request(reqwest::Method::POST, &format!("/v1/inference/{dep}/chat"))
        .json(&say("slow", true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut seen = String::new();
    while seen.matches("data: ").count() < n {
        let c = r.chunk().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&c));
    }
    let events = seen.matches("data: ").count();
    (r, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_disconnecting_mid_stream_is_billed_for_what_was_relayed() {
    let (dir, s, me, dep, _) = tenant("gone", "gone").await;
    let (r, read) = read_some(&me, &dep, 4).await;
    drop(r); // The client goes away after four words.
    let row = closed_row(dir.path(), &me.org).await;
    assert!(
        row.output >= read as i64 && row.output < 60,
        "billed {} tokens; {read} read of 60",
        row.output
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_stream_keeps_the_usage_written_so_far() {
    let (dir, s, me, dep, _) = tenant("crash", "crash").await;
    // 15 words at 200 ms each: the record has been written at least twice.
    let (r, read) = read_some(&me, &dep, 15).await;
    s.kill().await.unwrap(); // SIGKILL, mid-stream.
    drop(r);
    let rows = usage_rows(dir.path(), &me.org).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let written = rows[0].output;
    assert_eq!(rows[0].state, "open");
    assert!(
        // Relayed can run a chunk or two ahead of what the client had read.
        written >= 5 && written <= read as i64 + 2,
        "{written} tokens written of {read} relayed"
    );
    // After a restart the record is reported with what was written …
    let s = spawn(dir.path()).await;
    let me = Caller::login(&s.base_url, "crash@example.com", &me.org).await;
    let usage = me.get("/v1/usage").await;
    assert_eq!(
        (
            usage["total_requests"].as_i64(),
            usage["data"][0]["output_tokens"].as_i64()
        ),
        (Some(1), Some(written)),
        "{usage}"
    );
    s.kill().await.unwrap();
    // … and once nobody has written it for the stale bound, the sweeper settles it.
    let mut db = database(dir.path()).await;
    sqlx::query("UPDATE bitstride_usage SET updated_at = updated_at - 3600 WHERE org_id = $1")
        .bind(&me.org)
        .execute(&mut db)
        .await
        .unwrap();
    let s = spawn(dir.path()).await;
    let mut settled = Vec::new();
    for _ in 0..50 {
        settled = usage_rows(dir.path(), &me.org).await;
        if settled[0].state == "settled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (settled[0].state.as_str(), settled[0].output),
        ("settled", written)
    );
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_user_field_is_stored_and_filterable() {
    let (dir, s, me, dep, _) = tenant("users", "users").await;
    for user in [Some("alice"), Some("bob"), Some("alice"), None] {
        let mut body = say("hi", false);
        if let Some(u) = user {
            body["user"] = json!(u);
        }
        assert_eq!(me.chat(&dep, body).await.0, 200);
    }
    let mut users: Vec<Option<String>> = usage_rows(dir.path(), &me.org)
        .await
        .into_iter()
        .map(|r| r.user)
        .collect();
    users.sort();
    assert_eq!(
        users,
        [
            None,
            Some("alice".into()),
            Some("alice".into()),
            Some("bob".into())
        ]
    );
    for (query, requests) in [
        ("", 4),
        ("?user=alice", 2),
        ("?user=bob", 1),
        ("?user=carol", 0),
    ] {
        let v = me.get(&format!("/v1/usage{query}")).await;
        assert_eq!(v["total_requests"], requests, "{query}: {v}");
    }
    let long = "u".repeat(257);
    let (status, v) = me
        .send(
            reqwest::Method::GET,
            &format!("/v1/usage?user={long}"),
            None,
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    for bad in [long.as_str(), "nul\u{0}byte"] {
        let mut body = say("hi", false);
        body["user"] = json!(bad);
        let (status, v) = me.chat(&dep, body).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid_request"))
        );
    }
    let (status, _) = me
        .send(reqwest::Method::GET, "/v1/usage?user=nul%00byte", None)
        .await;
    assert_eq!(status, 400);
    s.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_an_organization_keeps_its_usage_and_invoices() {
    let (dir, s, me, dep, _) = tenant("gone-org", "gone-org").await;
    assert_eq!(me.chat(&dep, say("hi", false)).await.0, 200);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    admin(
        &bin(),
        dir.path(),
        &["bitstride", "invoice-status", &me.org, &now, "paid"],
    )
    .await
    .unwrap();
    let (status, v) = me
        .send(reqwest::Method::DELETE, "/v1/orgs/current", None)
        .await;
    assert_eq!(status, 204, "{v}");
    // The account is gone; its billing records are not.
    let mut db = database(dir.path()).await;
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bitstride_orgs WHERE id = $1")
        .bind(&me.org)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(orgs, 0);
    let usage = usage_rows(dir.path(), &me.org).await;
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0].model, "gone-org");
    let invoices: Vec<String> =
        sqlx::query_scalar("SELECT status FROM bitstride_invoice_status WHERE org_id = $1")
            .bind(&me.org)
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(invoices, ["paid"]);
    // A new organization (the same email, even) sees none of it.
    let again = Caller::register(&s.base_url, "gone-org@example.com").await;
    assert_ne!(again.org, me.org);
    let usage = again.get("/v1/usage").await;
    assert_eq!(usage["total_requests"], 0, "{usage}");
    let invoices = again.get("/v1/invoices").await;
    for inv in invoices["data"].as_array().unwrap() {
        assert_eq!(
            (inv["status"].as_str(), inv["total_requests"].as_i64()),
            (Some("draft"), Some(0)),
            "{inv}"
        );
    }
    s.kill().await.unwrap();
}

/// Makes the usage table refuse `op` (`INSERT` or `UPDATE`) with a trigger that raises.
async fn refuse(dir: &Path, op: &str) {
    let mut db = database(dir).await;
    let statements = if is_postgres() {
        vec![
            "CREATE OR REPLACE FUNCTION refuse_usage() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'usage refused'; END $$"
                .to_owned(),
            "DROP TRIGGER IF EXISTS refuse_usage ON bitstride_usage".to_owned(),
            format!("CREATE TRIGGER refuse_usage BEFORE {op} ON bitstride_usage FOR EACH ROW EXECUTE FUNCTION refuse_usage()"),
        ]
    } else {
        vec![
            "DROP TRIGGER IF EXISTS refuse_usage".to_owned(),
            format!("CREATE TRIGGER refuse_usage BEFORE {op} ON bitstride_usage BEGIN SELECT RAISE(ABORT, 'usage refused'); END"),
        ]
    };
    for sql in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut db)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unwritable_usage_record_answers_503_and_delivers_nothing() {
    let (dir, s, me, dep, calls) = tenant("unbilled", "unbilled").await;
    // The record cannot be opened: the backend is never asked.
    refuse(dir.path(), "INSERT").await;
    for stream in [false, true] {
        let (status, v) = me.chat(&dep, say("hi", stream)).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (503, Some("not_ready")),
            "{v}"
        );
        assert!(!v.to_string().contains("hello"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // The record cannot be closed: the backend answered, the answer is withheld.
    refuse(dir.path(), "UPDATE").await;
    let (status, v) = me.chat(&dep, say("hi", false)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (503, Some("not_ready")),
        "{v}"
    );
    assert!(!v.to_string().contains("hello"), "{v}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(
        usage_rows(dir.path(), &me.org).await.is_empty(),
        "an undelivered answer is not billed"
    );
    s.kill().await.unwrap();
}
