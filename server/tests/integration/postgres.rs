//! Several instances on one PostgreSQL database, and PostgreSQL going away and
//! coming back. These need a PostgreSQL server (`QUARTET_TEST_POSTGRES`, set by
//! `.ci/run`); without one they say so and pass, since there is nothing to run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::support::{bin, http, token};
use quartet_conformance::server::{admin, fresh_database, test_postgres, ServerProcess};
use quartet_server::platform::cache::REVOCATION_BOUND;
use serde_json::{json, Value};

/// `quartet admin --database-url URL ARGS…`.
async fn admin_on(dir: &Path, url: &str, args: &[&str]) -> String {
    let mut full = vec!["--database-url", url];
    full.extend_from_slice(args);
    admin(&bin(), dir, &full).await.unwrap().trim().to_owned()
}

async fn both(dir: &Path, url: &str) -> ServerProcess {
    let args = vec![
        "--database-url".to_owned(),
        url.to_owned(),
        "--log-level".to_owned(),
        "warn".to_owned(),
    ];
    ServerProcess::spawn_many(&bin(), dir, &["brookmimir", "bitmind"], &args)
        .await
        .unwrap()
}

async fn get_json(client: &reqwest::Client, url: String, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut r = client.get(url);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `GET /status` on `bitmind` with `Authorization: Bearer <token>`.
async fn status(client: &reqwest::Client, bitmind: &str, token: &str) -> (u16, Value) {
    let bearer = format!("Bearer {token}");
    get_json(
        client,
        format!("{bitmind}/status"),
        &[("authorization", &bearer)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_keys_credits_corpus_and_signing_keys() {
    let Some(url) = fresh_database().await.unwrap() else {
        eprintln!("no QUARTET_TEST_POSTGRES: nothing to run");
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Both start at the same moment on an empty database: migrations and the first
    // signing key are made once.
    let (a, b) = tokio::join!(both(dir_a.path(), &url), both(dir_b.path(), &url));
    let client = http();

    // A key made by `quartet admin` works on both, and 200 concurrent billable calls
    // spread over both on 50 credits buy exactly 50 answers.
    let key = admin_on(
        dir_a.path(),
        &url,
        &["brookmimir", "key", "create", "--credits", "50"],
    )
    .await;
    for s in [&a, &b] {
        let (status, body) = get_json(
            &client,
            format!("{}/credits", s.url("brookmimir")),
            &[("x-api-key", &key)],
        )
        .await;
        assert_eq!((status, body["current_balance"].clone()), (200, json!(50)));
    }
    let mut calls = Vec::new();
    for i in 0..200 {
        let base = [&a, &b][i % 2].url("brookmimir").to_owned();
        let (client, key) = (client.clone(), key.clone());
        calls.push(tokio::spawn(async move {
            client
                .post(format!("{base}/query"))
                .header("x-api-key", key)
                .json(&json!({"query": "port"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut counts = (0, 0);
    for c in calls {
        match c.await.unwrap() {
            200 => counts.0 += 1,
            402 => counts.1 += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(counts, (50, 150));

    // A document imported through one database is searchable on both at their next query.
    let more = admin_on(
        dir_a.path(),
        &url,
        &["brookmimir", "key", "create", "--credits", "10"],
    )
    .await;
    let file = dir_a.path().join("new.jsonl");
    std::fs::write(
        &file,
        json!({"id": "DOC-9100001", "title": "Tidal turbine consortium", "summary": "s",
               "content": "A tidal turbine consortium was formed.", "source": "Coast Courier",
               "language": "en", "jurisdiction": "UK", "published_at": "2024-05-01T08:00:00Z",
               "tags": ["energy"]})
        .to_string(),
    )
    .unwrap();
    admin_on(
        dir_b.path(),
        &url,
        &["brookmimir", "documents", "import", file.to_str().unwrap()],
    )
    .await;
    // Both indexes catch up, woken by the import's notification.
    for s in [&a, &b] {
        crate::brookmimir::until_found(
            &client,
            s.url("brookmimir"),
            &more,
            json!({"query": {"match": {"content": "tidal turbine"}}}),
            |body| body["resp"]["body"]["hits"]["hits"][0]["_id"] == "DOC-9100001",
        )
        .await;
    }

    // A BitMind token issued by one instance is accepted by the other.
    let created: Value = serde_json::from_str(
        &admin_on(
            dir_a.path(),
            &url,
            &["bitmind", "client", "create", "--json"],
        )
        .await,
    )
    .unwrap();
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    let from_a = token(&client, a.url("bitmind"), id, secret).await;
    assert_eq!(status(&client, b.url("bitmind"), &from_a).await.0, 200);

    // After a rotation, the new key signs on one instance and is honoured by the other;
    // tokens signed before stay valid on both.
    let rotated = admin_on(dir_b.path(), &url, &["bitmind", "rotate-key"]).await;
    let new_kid = rotated
        .strip_prefix("signing with ")
        .and_then(|r| r.split(';').next())
        .unwrap()
        .to_owned();
    let from_b = token(&client, b.url("bitmind"), id, secret).await;
    let header = jsonwebtoken::decode_header(&from_b).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    for (s, t) in [(&a, &from_b), (&b, &from_a), (&a, &from_a)] {
        let (code, body) = status(&client, s.url("bitmind"), t).await;
        assert_eq!(code, 200, "{body}");
    }
    let (_, jwks) = get_json(
        &client,
        format!("{}/.well-known/jwks.json", a.url("bitmind")),
        &[],
    )
    .await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

    // A client revoked through the database is refused by both instances, whose
    // client views had it, within the documented bound.
    admin_on(dir_a.path(), &url, &["bitmind", "client", "revoke", id]).await;
    let began = Instant::now();
    for s in [&a, &b] {
        loop {
            let (code, body) = status(&client, s.url("bitmind"), &from_a).await;
            if code == 401 {
                assert_eq!(body["error_description"], "client has been revoked");
                break;
            }
            assert!(
                began.elapsed() <= REVOCATION_BOUND,
                "still accepted {:?} after the revocation",
                began.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The throwaway-cluster script of `.ci/`.
fn postgres_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/postgres")
}

fn cluster(args: &[&str]) -> String {
    let out = std::process::Command::new(postgres_script())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_is_503_and_service_resumes_by_itself() {
    if test_postgres().is_none() {
        eprintln!("no QUARTET_TEST_POSTGRES: nothing to run");
        return;
    }
    // A cluster of its own, so that stopping it disturbs no other test.
    let pg = tempfile::tempdir().unwrap();
    let started = cluster(&["start", pg.path().join("cluster").to_str().unwrap()]);
    let url = started
        .lines()
        .find_map(|l| l.strip_prefix("export QUARTET_TEST_POSTGRES="))
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let server = both(dir.path(), &url).await;
    let client = http();
    let key = admin_on(
        dir.path(),
        &url,
        &["brookmimir", "key", "create", "--credits", "10"],
    )
    .await;
    let org_key = admin_on(dir.path(), &url, &["bitmind", "org-key", "create"]).await;
    let created: Value = serde_json::from_str(
        &admin_on(dir.path(), &url, &["bitmind", "client", "create", "--json"]).await,
    )
    .unwrap();
    let (id, secret) = (
        created["client_id"].as_str().unwrap().to_owned(),
        created["client_secret"].as_str().unwrap().to_owned(),
    );
    let jwt = token(&client, server.url("bitmind"), &id, &secret).await;
    // Three acknowledged charges.
    for _ in 0..3 {
        let r = client
            .post(format!("{}/query", server.url("brookmimir")))
            .header("x-api-key", &key)
            .json(&json!({"query": "port"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    cluster(&["stop", pg.path().join("cluster").to_str().unwrap()]);
    let bmm = server.url("brookmimir").to_owned();
    let bm = server.url("bitmind").to_owned();
    let jwt_bearer = format!("Bearer {jwt}");
    let org_bearer = format!("Bearer {org_key}");
    let requests: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "credits",
            client
                .get(format!("{bmm}/credits"))
                .header("x-api-key", &key),
        ),
        (
            "query",
            client
                .post(format!("{bmm}/query"))
                .header("x-api-key", &key)
                .json(&json!({"query": "port"})),
        ),
        (
            "document",
            client
                .get(format!("{bmm}/document"))
                .header("x-api-key", &key)
                .header("bmm-doc-id", "DOC-1000001"),
        ),
        ("health", client.get(format!("{bm}/health"))),
        (
            "status with a token",
            client
                .get(format!("{bm}/status"))
                .header("authorization", &jwt_bearer),
        ),
        (
            "status with an org key",
            client
                .get(format!("{bm}/status"))
                .header("authorization", &org_bearer),
        ),
        (
            "token",
            client.post(format!("{bm}/v1/oauth/token")).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
            ]),
        ),
    ];
    for (what, request) in requests {
        let began = Instant::now();
        let r = request.send().await.unwrap();
        let took = began.elapsed();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 503, "{what}: {body}");
        assert!(took < Duration::from_secs(8), "{what} took {took:?}");
        let envelope_ok =
            body.get("message").is_some() || body["error"] == "temporarily_unavailable";
        assert!(envelope_ok, "{what}: not the surface's envelope: {body}");
    }
    // Keys already loaded are still published while the database is away.
    let (status, _) = get_json(&client, format!("{bm}/.well-known/jwks.json"), &[]).await;
    assert_eq!(status, 200);

    cluster(&["resume", pg.path().join("cluster").to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let balance = loop {
        let (status, body) =
            get_json(&client, format!("{bmm}/credits"), &[("x-api-key", &key)]).await;
        if status == 200 {
            break body["current_balance"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "service did not resume: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        balance,
        json!(7),
        "no acknowledged charge is lost, none is added"
    );
    let (status, _) = get_json(
        &client,
        format!("{bm}/status"),
        &[("authorization", &jwt_bearer)],
    )
    .await;
    assert_eq!(status, 200);
    cluster(&["stop", pg.path().join("cluster").to_str().unwrap()]);
}

async fn bindu_on(dir: &Path, url: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "--database-url".to_owned(),
        url.to_owned(),
        "--bindu-auth".to_owned(),
        "off".to_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    ServerProcess::spawn(&bin(), dir, "bindu", &args)
        .await
        .unwrap()
}

async fn bindu_rpc(client: &reqwest::Client, base: &str, body: Value) -> Value {
    client
        .post(base)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn bindu_send(text: &str, blocking: bool) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message":
        {"messageId": format!("m-{text}"), "role": "user", "parts": [{"kind": "text", "text": text}]},
        "configuration": {"blocking": blocking}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_bindu_instances_share_the_task_queue_and_the_event_feed() {
    let Some(url) = fresh_database().await.unwrap() else {
        eprintln!("no QUARTET_TEST_POSTGRES: nothing to run");
        return;
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A runs no worker: everything sent to it is run by B.
    let (a, b) = tokio::join!(
        bindu_on(dir_a.path(), &url, &["--bindu-no-worker"]),
        bindu_on(dir_b.path(), &url, &[])
    );
    let client = http();
    let sent = bindu_rpc(&client, &a.base_url, bindu_send("across", false)).await;
    let id = sent["result"]["id"].as_str().unwrap().to_owned();
    // Followed from B while B's worker runs it.
    let stream = client
        .post(&b.base_url)
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tasks/resubscribe", "params": {"taskId": id}}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(stream.contains("\"completed\""), "{stream}");
    // Read back from A, and a blocking send to A is woken by B's writes.
    let got = bindu_rpc(
        &client,
        &a.base_url,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tasks/get", "params": {"taskId": id}}),
    )
    .await;
    assert_eq!(got["result"]["status"]["state"], "completed");
    let started = Instant::now();
    let blocking = bindu_rpc(&client, &a.base_url, bindu_send("blocking", true)).await;
    assert_eq!(
        blocking["result"]["status"]["state"], "completed",
        "{blocking}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // A stream on A of a task B runs.
    let r = client
        .post(&a.base_url)
        .json(&json!({"jsonrpc": "2.0", "id": 4, "method": "message/stream", "params": {"message":
            {"messageId": "s1", "role": "user", "parts": [{"kind": "text", "text": "streamed across"}]}}}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        r.contains("\"working\"") && r.contains("\"completed\""),
        "{r}"
    );

    // With workers on both, forty tasks sent to both run exactly once each.
    let c = bindu_on(dir_a.path(), &url, &[]).await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { &c.base_url } else { &b.base_url };
        let sent = bindu_rpc(&client, base, bindu_send(&format!("t{i}"), false)).await;
        ids.push(sent["result"]["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in ids {
        loop {
            let t = bindu_rpc(
                &client,
                &a.base_url,
                json!({"jsonrpc": "2.0", "id": 5, "method": "tasks/get", "params": {"taskId": id}}),
            )
            .await;
            if t["result"]["status"]["state"] == "completed" {
                assert_eq!(t["result"]["artifacts"].as_array().unwrap().len(), 1, "{t}");
                assert_eq!(t["result"]["history"].as_array().unwrap().len(), 2, "{t}");
                break;
            }
            assert!(Instant::now() < deadline, "{t}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    drop((a, b, c));
}
