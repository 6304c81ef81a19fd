//! Brookmimir: one scenario per documented example of `openapi/brookmimir.yaml`.
//!
//! Fixtures: a funded key, a key with no credits and a well-formed key no
//! account holds. A mock face-search service answers according to the image it
//! is sent (`mock:503`, `mock:slow`, `mock:junk`, `mock:drop`, anything else is
//! a normal answer), and also serves as the `/nettest` target. The `offline`
//! variant has no face-search service and a `/nettest` target nobody listens on.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use base64::Engine as _;
use serde_json::{json, Value};

use super::LocalSetup;
use crate::mock::{Mock, MockReply};
use crate::scenario::{fx, lit, Scenario};
use crate::server::{admin, closed_port};

/// A well-formed key that no account holds.
pub const UNKNOWN_KEY: &str = "feedfacecafebeeffeedfacecafebeeffeedfacecafebeeffeedfacecafebeef";

/// The normal answer of the mock face-search service (the documented example).
pub fn face_answer() -> Value {
    json!({
        "status": 200,
        "matches": [
            {"doc_id": "DOC-1000001", "confidence": 0.91, "face_file": "https://faces.example.org/DOC-1000001/0.jpg",
             "attributes": {"quality": 0.88, "bbox": [34, 50, 120, 140]}},
            {"doc_id": "DOC-1000002", "confidence": 0.64}
        ]
    })
}

/// Why mock-dependent scenarios only run against a spawned server.
const NEEDS_MOCK: &str = "relies on the mock upstream a spawned run sets up";

/// How the mock face-search service answers a request.
pub fn face_service(body: &[u8]) -> MockReply {
    let image = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("image_base64")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_default();
    match image.as_slice() {
        b"mock:503" => MockReply::json(503, r#"{"error":"overloaded"}"#),
        b"mock:slow" => MockReply::Respond {
            status: 200,
            content_type: "application/json",
            body: face_answer().to_string(),
            delay: Duration::from_secs(3),
        },
        b"mock:junk" => MockReply::json(200, r#"{"unexpected":true}"#),
        b"mock:drop" => MockReply::Drop,
        _ => MockReply::json(200, face_answer().to_string()),
    }
}

fn image_of(marker: &str) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(marker))
}

/// Keys, the mock upstream and the two server variants.
pub async fn local_setup(bin: &Path, data_dir: &Path) -> Result<LocalSetup> {
    let key = |credits: &'static str, label: &'static str| async move {
        let created = admin(
            bin,
            data_dir,
            &[
                "brookmimir",
                "key",
                "create",
                "--credits",
                credits,
                "--label",
                label,
            ],
        )
        .await?;
        anyhow::Ok(created.trim().to_owned())
    };
    let funded = key("1000000", "conformance").await?;
    let empty = key("0", "empty").await?;
    let mock = Mock::start(|r| {
        if r.method == "GET" {
            MockReply::json(200, "{}")
        } else {
            face_service(&r.body)
        }
    })
    .await?;
    let mut setup = LocalSetup::default();
    setup
        .fixtures
        .insert("funded".into(), funded.trim().to_owned());
    setup
        .fixtures
        .insert("empty".into(), empty.trim().to_owned());
    setup
        .fixtures
        .insert("unknown".into(), UNKNOWN_KEY.to_owned());
    setup.variants.push((
        "default",
        vec![
            "--face-search-url".into(),
            mock.url("/face"),
            "--face-search-timeout-ms".into(),
            "500".into(),
            "--nettest-target".into(),
            mock.url("/ping"),
        ],
    ));
    setup.variants.push((
        "offline",
        vec![
            "--nettest-target".into(),
            format!("http://127.0.0.1:{}/", closed_port()),
            "--nettest-timeout-ms".into(),
            "1000".into(),
        ],
    ));
    setup.variants.push(super::storage_down_variant());
    setup.guards.push(Box::new(mock));
    Ok(setup)
}

/// Scenarios for the credential examples every authenticated operation documents.
fn key_errors(op: &'static str) -> Vec<Scenario> {
    vec![
        Scenario::new(op, "400", "missing_key"),
        Scenario::new(op, "400", "malformed_key").header("x-api-key", lit("not-a-key")),
        Scenario::new(op, "402", "example").header("x-api-key", fx("empty")),
    ]
}

/// Every Brookmimir scenario.
pub fn scenarios() -> Vec<Scenario> {
    let funded = |s: Scenario| s.header("x-api-key", fx("funded"));
    let unknown = |s: Scenario| s.header("x-api-key", fx("unknown"));
    let mut all = vec![
        Scenario::new("get_root", "200", "example"),
        Scenario::new("get_version", "200", "example"),
        Scenario::new("get_profile", "200", "example"),
        funded(Scenario::new("get_credits", "200", "example")).volatile(&["/current_balance"]),
        unknown(Scenario::new("get_credits", "404", "example")),
        funded(Scenario::new("get_document", "200", "example")),
        funded(Scenario::new("get_document", "400", "missing_doc_id")).omit("bmm-doc-id"),
        unknown(Scenario::new("get_document", "404", "unknown_token")),
        funded(Scenario::new("get_document", "404", "document_not_found")).param("bmm-doc-id", lit("DOC-9999999")),
        funded(Scenario::new("query_documents", "200", "hits"))
            .body_example("dsl_query")
            .volatile(&["/resp/body/took", "/resp/body/hits/max_score", "/resp/body/hits/hits/*/_score"]),
        funded(Scenario::new("query_documents", "200", "no_hits"))
            .json(json!({"query": "zebra xylophone"}))
            .volatile(&["/resp/body/took"]),
        funded(Scenario::new("query_documents", "400", "malformed_json")).raw("nope"),
        funded(Scenario::new("query_documents", "400", "missing_query")).json(json!({})),
        funded(Scenario::new("query_documents", "400", "unsupported_clause"))
            .json(json!({"query": {"fuzzy": {"title": "shel"}}})),
        funded(Scenario::new("query_documents", "400", "size_out_of_range")).json(json!({"query": "port", "size": 0})),
        unknown(Scenario::new("query_documents", "404", "example")).body_example("dsl_query"),
        funded(Scenario::new("query_documents", "413", "example"))
            .json(json!({"query": "x".repeat(70_000)})),
        funded(Scenario::new("query_documents", "415", "example")).body_example("dsl_query").content_type("text/plain"),
        funded(Scenario::new("search_faces", "200", "example")).local_only(NEEDS_MOCK),
        funded(Scenario::new("search_faces", "400", "missing_image")).raw(r#"{"top_k": 3}"#),
        funded(Scenario::new("search_faces", "400", "empty_image")).json(json!({"image_base64": ""})),
        funded(Scenario::new("search_faces", "400", "invalid_base64")).json(json!({"image_base64": "***"})),
        funded(Scenario::new("search_faces", "400", "image_too_large"))
            .json(json!({"image_base64": base64::engine::general_purpose::STANDARD.encode(vec![0u8; 5 * 1024 * 1024 + 1])})),
        funded(Scenario::new("search_faces", "400", "top_k_out_of_range"))
            .json(json!({"image_base64": image_of("face"), "top_k": 11})),
        unknown(Scenario::new("search_faces", "404", "example")),
        funded(Scenario::new("search_faces", "413", "example"))
            .json(json!({"image_base64": "A".repeat(7_400_000)})),
        funded(Scenario::new("search_faces", "415", "example")).content_type("text/plain"),
        funded(Scenario::new("search_faces", "502", "not_configured")).variant("offline"),
        funded(Scenario::new("search_faces", "502", "unreachable")).json(json!({"image_base64": image_of("mock:drop")})).local_only(NEEDS_MOCK),
        funded(Scenario::new("search_faces", "502", "timed_out")).json(json!({"image_base64": image_of("mock:slow")})).local_only(NEEDS_MOCK),
        funded(Scenario::new("search_faces", "502", "bad_status")).json(json!({"image_base64": image_of("mock:503")})).local_only(NEEDS_MOCK),
        funded(Scenario::new("search_faces", "502", "invalid_answer")).json(json!({"image_base64": image_of("mock:junk")})).local_only(NEEDS_MOCK),
        Scenario::new("run_nettest", "200", "reachable").volatile(&["/target", "/latency_ms"]).local_only(NEEDS_MOCK),
        Scenario::new("run_nettest", "200", "unreachable").variant("offline").volatile(&["/target", "/latency_ms"]),
    ];
    for op in [
        "get_credits",
        "get_document",
        "query_documents",
        "search_faces",
    ] {
        let down = Scenario::new(op, "503", "example")
            .header("x-api-key", lit(UNKNOWN_KEY))
            .variant("storage-down")
            .local_only(super::NEEDS_STORAGE_DOWN);
        for s in key_errors(op).into_iter().chain([down]) {
            // Operations with a body send their documented request.
            let s = if op == "query_documents" {
                s.body_example("dsl_query")
            } else {
                s
            };
            all.push(s);
        }
    }
    all
}
