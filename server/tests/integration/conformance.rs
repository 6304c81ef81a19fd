//! Conformance: every documented example of every served surface, against the
//! real `quartet` binary spawned on loopback with a fresh data directory.

use std::path::PathBuf;

use quartet_conformance::{run, Target};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

async fn conformance(surface: &str) {
    let document = workspace().join(format!("openapi/{surface}.yaml"));
    let target = Target::Local {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_quartet")),
    };
    let report = run(surface, &document, target)
        .await
        .expect("the run completes");
    let text = report.terminal();
    println!("{text}");
    assert!(
        report.passed(),
        "conformance failures for {surface}:\n{text}"
    );
    assert!(report.counts().0 > 0, "no example ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brookmimir_examples_pass_against_the_live_server() {
    conformance("brookmimir").await;
}

/// Runs Brookmimir conformance against an edited copy of its document.
async fn run_edited(from: &str, to: &str) -> quartet_conformance::Report {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(workspace().join("openapi/brookmimir.yaml")).unwrap();
    assert!(
        original.contains(from),
        "the document no longer contains {from:?}"
    );
    let copy = dir.path().join("brookmimir.yaml");
    std::fs::write(&copy, original.replacen(from, to, 1)).unwrap();
    let target = Target::Local {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_quartet")),
    };
    run("brookmimir", &copy, target).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_example_the_server_does_not_match_fails() {
    let report = run_edited(
        "                message: please choose an endpoint\n",
        "                message: hello there\n",
    )
    .await;
    let failed: Vec<_> = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.verdict, quartet_conformance::Verdict::Fail { .. }))
        .collect();
    assert_eq!(failed.len(), 1, "{}", report.terminal());
    let line = failed[0].line();
    assert!(
        line.starts_with("FAIL brookmimir get_root 200 example"),
        "{line}"
    );
    assert!(line.contains("at /message: value differs"), "{line}");
    assert!(line.contains("expected: \"hello there\""), "{line}");
    assert!(
        line.contains("actual:   \"please choose an endpoint\""),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_example_without_a_scenario_and_a_scenario_without_an_example_fail() {
    let report = run_edited(
        "              example:\n                status: 200\n                message: please choose an endpoint\n",
        "              examples:\n                greeting:\n                  value:\n                    status: 200\n                    message: please choose an endpoint\n",
    )
    .await;
    let text = report.terminal();
    assert!(
        text.contains(
            "FAIL brookmimir get_root 200 greeting\n    no scenario reaches this example"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "FAIL brookmimir get_root 200 example\n    scenario has no documented example"
        ),
        "{text}"
    );
    assert_eq!(report.counts().1, 2, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_written_as_json_junit_and_markdown() {
    let report = run_edited(
        "                message: please choose an endpoint\n",
        "                message: hello there\n",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    report.write(dir.path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("conformance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["outcomes"][0]["verdict"], "fail");
    assert_eq!(json["outcomes"][0]["mismatches"][0]["pointer"], "/message");
    let junit = std::fs::read_to_string(dir.path().join("conformance.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"brookmimir\""), "{junit}");
    assert!(junit.contains("failures=\"1\""), "{junit}");
    let md = std::fs::read_to_string(dir.path().join("conformance.md")).unwrap();
    assert!(
        md.contains("| ❌ fail | brookmimir | `get_root` | 200 | `example` |"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitmind_examples_pass_against_the_live_server() {
    conformance("bitmind").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindu_examples_pass_against_the_live_server() {
    conformance("bindu").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitstride_examples_pass_against_the_live_server() {
    conformance("bitstride").await;
}
