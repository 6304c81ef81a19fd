//! Brookmimir behaviour that a single example cannot show: credits under
//! concurrency, and state across a crash.

use super::support::bin;
use quartet_conformance::server::{admin, ServerProcess};
use serde_json::{json, Value};

async fn balance(client: &reqwest::Client, base: &str, key: &str) -> (u16, Value) {
    let r = client
        .get(format!("{base}/credits"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The total of a `/query` answer.
fn total(found: &Value) -> u64 {
    found["resp"]["body"]["hits"]["total"]["value"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

/// `quartet admin brookmimir documents import FILE` on `dir`; returns its output.
async fn import(dir: &std::path::Path, file: &std::path::Path) -> String {
    admin(
        &bin(),
        dir,
        &["brookmimir", "documents", "import", file.to_str().unwrap()],
    )
    .await
    .unwrap()
}

/// A key with `credits` created on a fresh data directory, before any server runs.
async fn key_with(dir: &std::path::Path, credits: &str) -> String {
    let key = admin(
        &bin(),
        dir,
        &["brookmimir", "key", "create", "--credits", credits],
    )
    .await
    .unwrap();
    key.trim().to_owned()
}

/// A fresh data directory, a key with `credits`, and a running Brookmimir server.
async fn running(credits: &str) -> (tempfile::TempDir, String, ServerProcess, reqwest::Client) {
    let dir = tempfile::tempdir().unwrap();
    let key = key_with(dir.path(), credits).await;
    let server = ServerProcess::spawn(&bin(), dir.path(), "brookmimir", &[])
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    (dir, key, server, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_billable_calls_never_overdraw() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_with(dir.path(), "50").await;
    let server = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "brookmimir",
        &["--log-level".into(), "warn".into()],
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    // 200 billable requests at once, spread over the three billable routes.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (client, base, key) = (client.clone(), server.base_url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let r = match i % 2 {
                0 => client
                    .post(format!("{base}/query"))
                    .header("x-api-key", &key)
                    .json(&json!({"query": "port"})),
                _ => client
                    .get(format!("{base}/document"))
                    .header("x-api-key", &key)
                    .header("bmm-doc-id", "DOC-1000001"),
            };
            r.send().await.unwrap().status().as_u16()
        }));
    }
    let mut ok = 0;
    let mut payment_required = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            402 => payment_required += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, payment_required), (50, 150));
    assert_eq!(
        balance(&client, &server.base_url, &key).await.0,
        402,
        "the balance is zero"
    );
    let listed = admin(&bin(), dir.path(), &["brookmimir", "key", "list", "--json"])
        .await
        .unwrap();
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["credits"], 0);
    server.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_no_credit_and_no_document() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_with(dir.path(), "10").await;
    let extra = dir.path().join("extra.jsonl");
    std::fs::write(
        &extra,
        json!({"id": "DOC-7000001", "title": "Lighthouse keeper logbooks digitised", "summary": "Archive scans.",
               "content": "Volunteers scanned two centuries of lighthouse logbooks.", "source": "Coast Archive",
               "published_at": "2024-10-01T00:00:00Z", "language": "en", "jurisdiction": "NZ", "tags": ["archive"]})
        .to_string()
            + "\n",
    )
    .unwrap();
    let imported = import(dir.path(), &extra).await;
    assert!(imported.contains("imported 1 documents"), "{imported}");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let server = ServerProcess::spawn(&bin(), dir.path(), "brookmimir", &[])
        .await
        .unwrap();
    for _ in 0..3 {
        let r = client
            .get(format!("{}/document", server.base_url))
            .header("x-api-key", &key)
            .header("bmm-doc-id", "DOC-7000001")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // SIGKILL: no graceful shutdown, as in a crash.
    server.kill().await.unwrap();

    let server = ServerProcess::spawn(&bin(), dir.path(), "brookmimir", &[])
        .await
        .unwrap();
    let (status, body) = balance(&client, &server.base_url, &key).await;
    assert_eq!(status, 200);
    assert_eq!(body["current_balance"], 7);
    let r = client
        .post(format!("{}/query", server.base_url))
        .header("x-api-key", &key)
        .json(&json!({"query": {"match": {"content": "lighthouse"}}}))
        .send()
        .await
        .unwrap();
    let found: Value = r.json().await.unwrap();
    assert_eq!(
        found["resp"]["body"]["hits"]["hits"][0]["_id"], "DOC-7000001",
        "{found}"
    );
    server.kill().await.unwrap();
}

/// Queries `body` until the answer satisfies `done` (each query costs a credit);
/// fails after 20 s. Imports reach running servers through the change feed.
pub(crate) async fn until_found(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    body: Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found: Value = client
            .post(format!("{base}/query"))
            .header("x-api-key", key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&found) {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not searchable in time: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_into_a_running_server_is_searchable() {
    let (dir, key, server, client) = running("100").await;
    let search = || {
        client
            .post(format!("{}/query", server.base_url))
            .header("x-api-key", &key)
            .json(&json!({"query": {"term": {"jurisdiction": "IS"}}}))
            .send()
    };
    let before: Value = search().await.unwrap().json().await.unwrap();
    assert_eq!(before["resp"]["body"]["hits"]["total"]["value"], 0);
    let file = dir.path().join("new.jsonl");
    std::fs::write(
        &file,
        json!({"id": "DOC-8000001", "title": "Geothermal plant expansion", "summary": "s", "content": "c",
               "source": "North Wire", "published_at": "2024-11-01", "language": "en", "jurisdiction": "IS", "tags": []})
        .to_string(),
    )
    .unwrap();
    import(dir.path(), &file).await;
    // The import announces itself on the change feed; the server indexes it in the
    // background and the next queries see it.
    until_found(
        &client,
        &server.base_url,
        &key,
        json!({"query": {"term": {"jurisdiction": "IS"}}}),
        |found| total(found) == 1,
    )
    .await;
    server.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_kept_on_disk_and_caught_up_incrementally() {
    let (dir, key, server, client) = running("100").await;
    let all = json!({"query": {"match_all": {}}});
    until_found(&client, &server.base_url, &key, all.clone(), |f| {
        total(f) == 12
    })
    .await;
    assert!(dir.path().join("brookmimir-index/meta.json").exists());
    server.kill().await.unwrap();

    // Imported while no server runs: the next start applies just that to the index
    // it finds on disk, instead of rebuilding it.
    let file = dir.path().join("more.jsonl");
    let generated = admin(
        &bin(),
        dir.path(),
        &[
            "brookmimir",
            "documents",
            "generate",
            "--count",
            "3",
            "--seed",
            "5",
        ],
    )
    .await
    .unwrap();
    std::fs::write(&file, generated).unwrap();
    import(dir.path(), &file).await;
    let server = ServerProcess::spawn(&bin(), dir.path(), "brookmimir", &[])
        .await
        .unwrap();
    let found = until_found(&client, &server.base_url, &key, all, |f| total(f) == 15).await;
    assert_eq!(found["status"], 200);
    let log = std::fs::read_to_string(dir.path().join("brookmimir-1.log")).unwrap();
    let caught_up: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("search index caught up"))
        .collect();
    assert_eq!(caught_up.len(), 1, "{log}");
    assert!(
        caught_up[0].contains("documents: 3") && caught_up[0].contains("rebuilt: false"),
        "{log}"
    );
    server.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_a_4xx_in_the_envelope_and_costs_nothing() {
    let (_dir, key, server, client) = running("5").await;
    let nested = |depth| {
        (0..depth).fold(
            json!({"match_all": {}}),
            |q, _| json!({"bool": {"must": [q]}}),
        )
    };
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("huge from", json!({"query": "port", "from": 9_000_000_000_000i64}).to_string().into_bytes()),
        ("negative size", json!({"query": "port", "size": -1}).to_string().into_bytes()),
        ("wrong type", json!({"query": 42}).to_string().into_bytes()),
        ("array body", b"[1, 2, 3]".to_vec()),
        ("empty body", Vec::new()),
        ("not utf-8", vec![0xff, 0xfe, 0x00]),
        ("two clauses", json!({"query": {"match_all": {}, "term": {"id": "x"}}}).to_string().into_bytes()),
        ("bad range", json!({"query": {"range": {"published_at": {"gte": "yesterday"}}}}).to_string().into_bytes()),
        ("range on text", json!({"query": {"range": {"title": {"gte": "a"}}}}).to_string().into_bytes()),
        ("range without a bound", json!({"query": {"range": {"published_at": {"boost": 1.0}}}}).to_string().into_bytes()),
        ("operator not and/or", json!({"query": {"match": {"title": {"query": "x", "operator": 5}}}}).to_string().into_bytes()),
        ("blank text", json!({"query": " \t\r\n"}).to_string().into_bytes()),
        ("from past the window", json!({"query": "port", "from": 9901}).to_string().into_bytes()),
        ("deep unsupported", json!({"query": {"bool": {"should": [{"bool": {"filter": {"regexp": {"title": "x"}}}}]}}}).to_string().into_bytes()),
        ("too deep", json!({"query": nested(100)}).to_string().into_bytes()),
        ("deep nesting", json!({"query": nested(20)}).to_string().into_bytes()),
    ];
    for (what, body) in bodies {
        let r = client
            .post(format!("{}/query", server.base_url))
            .header("x-api-key", &key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let envelope: Value = r.json().await.unwrap();
        if what == "deep nesting" {
            assert_eq!(status, 200, "a 20-deep bool is valid: {envelope}");
            continue;
        }
        assert!((400..500).contains(&status), "{what}: {status} {envelope}");
        assert_eq!(envelope["status"], status, "{what}: {envelope}");
        assert!(
            envelope["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {envelope}"
        );
    }
    for key_value in [
        "",
        "g".repeat(64).as_str(),
        "a".repeat(63).as_str(),
        "é".repeat(32).as_str(),
    ] {
        let r = client
            .get(format!("{}/credits", server.base_url))
            .header("x-api-key", key_value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "key {key_value:?}");
    }
    // Dates outside what the index can represent are still dates: searched, not a crash.
    for bound in [
        json!({"gt": "2263-01-01"}),
        json!({"lt": "0001-01-01T00:00:00Z"}),
    ] {
        let r = client
            .post(format!("{}/query", server.base_url))
            .header("x-api-key", &key)
            .json(&json!({"query": {"range": {"published_at": bound}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{bound}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["resp"]["body"]["hits"]["total"]["value"], 0, "{bound}");
    }
    // Only the deep-nesting query and the two date ranges were valid: 2 credits remain.
    assert_eq!(
        balance(&client, &server.base_url, &key).await.1["current_balance"],
        2
    );
    server.kill().await.unwrap();
}
