//! Golden files for the diff's outputs: a fixed pair of documents and an
//! acknowledgement file (`tests/fixtures/diff/`) rendered as text, Markdown and JSON and
//! compared with `tests/output/diff.{txt,md,json}`. After an intended change of the
//! output, regenerate them with `UPDATE_GOLDEN=1 cargo test -p xtask --test diff_output`
//! and review the difference.

use std::path::{Path, PathBuf};

use xtask::diff::render::{self, Format};
use xtask::diff::{acknowledge, DocumentReport, Report, Severity};
use xtask::document::Document;

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn report(fail_on: Severity) -> Report {
    let dir = tests_dir().join("fixtures/diff");
    let old = Document::load(&dir.join("old.yaml")).unwrap();
    let new = Document::load(&dir.join("new.yaml")).unwrap();
    let acks = acknowledge::load(&dir.join("new.changes.toml")).unwrap();
    let document = DocumentReport::build(
        "widgets",
        ("fixtures/diff/old.yaml", Some(&old)),
        ("fixtures/diff/new.yaml", Some(&new)),
        &acks,
        Some("fixtures/diff/new.changes.toml".to_owned()),
    );
    Report {
        base: None,
        fail_on,
        documents: vec![document],
    }
}

/// Compares `actual` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path: &Path = &tests_dir().join("output").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected.as_str(), actual)
            .unified_diff()
            .header("golden", "actual")
            .to_string();
        panic!(
            "{} is out of date (UPDATE_GOLDEN=1 rewrites it):\n{diff}",
            path.display()
        );
    }
}

#[test]
fn text_output() {
    golden("diff.txt", &render::text(&report(Severity::Breaking)));
}

#[test]
fn markdown_output() {
    golden("diff.md", &render::markdown(&report(Severity::Breaking)));
}

#[test]
fn json_output() {
    let json = render::render(&report(Severity::Breaking), Format::Json).unwrap();
    golden("diff.json", &json);
}

#[test]
fn the_fixture_exercises_accepted_and_stale_acknowledgements() {
    let r = report(Severity::Breaking);
    let c = r.counts();
    assert_eq!(c.accepted, 3, "{c:?}");
    assert_eq!(c.stale, 1, "{c:?}");
    assert!(c.breaking > 0 && c.warning > 0 && c.info > 0, "{c:?}");
    assert!(r.failed());
}

#[test]
fn json_has_the_documented_shape() {
    let json = render::json(&report(Severity::Warning)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["fail_on"], "warning");
    assert_eq!(v["failed"], true);
    assert!(v["base"].is_null());
    for key in ["breaking", "warning", "info", "accepted", "stale"] {
        assert!(v["counts"][key].is_u64(), "counts.{key}");
    }
    let doc = &v["documents"][0];
    for key in [
        "name",
        "old",
        "new",
        "presence",
        "acknowledgements",
        "counts",
        "changes",
        "stale",
    ] {
        assert!(doc.get(key).is_some(), "documents[].{key}");
    }
    let accepted = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["accepted"] == true)
        .expect("an accepted change");
    for key in [
        "rule",
        "severity",
        "side",
        "operation",
        "operation_id",
        "pointer",
        "message",
        "reason",
        "used_by",
    ] {
        assert!(accepted.get(key).is_some(), "changes[].{key}");
    }
    assert!(accepted["reason"].is_string());
    // A document-level change names no operation and lists the ones it concerns.
    let scheme = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "api-security-component-api-key-changed")
        .expect("the security scheme change");
    assert!(scheme["operation"].is_null() && scheme["operation_id"].is_null());
    assert_eq!(
        scheme["used_by"],
        serde_json::json!(["GET /widgets", "POST /widgets", "GET /widgets/{widget_id}"])
    );
    let operation = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operation"] == "POST /widgets")
        .unwrap();
    assert_eq!(operation["used_by"], serde_json::json!([]));
    let stale = &doc["stale"][0];
    for key in ["rule", "operation", "pointer", "reason"] {
        assert!(stale.get(key).is_some(), "stale[].{key}");
    }
}
