//! Conformance: every documented example of every served surface, against the
//! real `quartet` binary spawned on loopback with a fresh data directory.

use std::path::PathBuf;

use quartet_conformance::{run, Target};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

async fn conformance(surface: &str) {
    let document = workspace().join(format!("openapi/{surface}.yaml"));
    let target = Target::Local { bin: PathBuf::from(env!("CARGO_BIN_EXE_quartet")) };
    let report = run(surface, &document, target).await.expect("the run completes");
    let text = report.terminal();
    println!("{text}");
    assert!(report.passed(), "conformance failures for {surface}:\n{text}");
    assert!(report.counts().0 > 0, "no example ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brookmimir_examples_pass_against_the_live_server() {
    conformance("brookmimir").await;
}
