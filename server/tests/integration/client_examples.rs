//! The generated client's examples, run as a user runs them, against a live
//! server: a client that compiles but cannot talk to its server fails here.
//!
//! `cargo test` builds the examples before it runs tests; the binaries sit in
//! `target/<profile>/examples/` beside the `quartet` binary's directory.

use std::process::Command;

use super::support::bin;
use quartet_conformance::server::{admin, ServerProcess};
use serde_json::Value;

/// Runs the example `name` with `args`; returns its standard output.
fn run_example(name: &str, args: &[&str]) -> String {
    let path = bin()
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build the examples (`cargo test --workspace` does)",
        path.display()
    );
    let out = Command::new(&path).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brookmimir_example_searches_and_reads_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let key = admin(
        &bin(),
        dir.path(),
        &["brookmimir", "key", "create", "--credits", "5"],
    )
    .await
    .unwrap();
    let server = ServerProcess::spawn(&bin(), dir.path(), "brookmimir", &[])
        .await
        .unwrap();
    let out = run_example("brookmimir", &[&server.base_url, key.trim()]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "API version 1.0.0", "{out}");
    assert_eq!(lines[1], "5 credits left", "{out}");
    assert!(
        lines[2].ends_with("hit(s)") && !lines[2].starts_with("0 "),
        "{out}"
    );
    assert!(out.contains("DOC-1000001"), "{out}");
    assert_eq!(
        *lines.last().unwrap(),
        "3 credits left",
        "query and document cost one each: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bitmind_example_gets_a_token_and_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let created = admin(
        &bin(),
        dir.path(),
        &[
            "bitmind",
            "client",
            "create",
            "--permissions",
            "image_inference",
            "--json",
        ],
    )
    .await
    .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    let server = ServerProcess::spawn(&bin(), dir.path(), "bitmind", &[])
        .await
        .unwrap();
    let out = run_example(
        "bitmind",
        &[
            &server.base_url,
            created["client_id"].as_str().unwrap(),
            created["client_secret"].as_str().unwrap(),
        ],
    );
    assert!(out.contains("(Healthy)"), "{out}");
    assert!(out.contains("token valid for 3600 s"), "{out}");
    assert!(
        out.contains("via OauthJwt, permissions [ImageInference]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bindu_rpc_example_sends_gets_and_streams() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "bindu",
        &["--bindu-auth".into(), "off".into()],
    )
    .await
    .unwrap();
    let out = run_example("bindu_rpc", &[&server.base_url]);
    assert!(out.contains(" is Completed"), "{out}");
    assert!(out.contains("result: hello from the typed client"), "{out}");
    assert!(out.contains("event: status Submitted"), "{out}");
    assert!(out.contains("event: status Completed"), "{out}");
    assert!(out.contains("unknown task: code Some(-32001)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bitstride_example_trains_deploys_chats_and_bills() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(
        &bin(),
        dir.path(),
        "bitstride",
        &["--log-level".into(), "warn".into()],
    )
    .await
    .unwrap();
    let out = run_example("bitstride", &[&server.base_url, "example@example.com"]);
    assert!(out.contains("signed in as example@example.com"), "{out}");
    assert!(out.contains("validation: Valid, 60 valid rows"), "{out}");
    let steps = out.lines().find(|l| l.starts_with("job ")).unwrap();
    let (first, last) = steps
        .split("loss ")
        .nth(1)
        .unwrap()
        .split_once(" -> ")
        .unwrap();
    let last: f64 = last.split(',').next().unwrap().parse().unwrap();
    assert!(last < first.parse::<f64>().unwrap(), "{steps}");
    assert!(out.contains("ready"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("assistant: ")), "{out}");
    assert!(out.contains("(lines add up: true)"), "{out}");
}
