//! `cargo xtask diff` end to end: the real binary on temporary files and a temporary git
//! repository, checking the exit codes `--fail-on` promises, acknowledgement files, the
//! formats and the ways of naming documents (`OLD NEW`, `REV:path`, surfaces, the default
//! merge-base).

use std::path::Path;
use std::process::Command;

use xtask::diff::{EXIT_FAIL, EXIT_OK};

const OLD: &str = r##"
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths:
  /things:
    get:
      operationId: list_things
      security: []
      responses:
        '200':
          description: Things.
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties:
                  id: {type: string}
                  colour: {type: string, enum: [red, green]}
"##;

/// `OLD` with one optional response property added: info only.
fn info_change() -> String {
    OLD.replace(
        "                  id: {type: string}\n",
        "                  id: {type: string}\n                  size: {type: integer}\n",
    )
}

/// `OLD` with a response enum value added: a warning.
fn warning_change() -> String {
    OLD.replace("enum: [red, green]", "enum: [red, green, blue]")
}

/// `OLD` with the required response property `id` removed: breaking.
fn breaking_change() -> String {
    without_id(OLD)
}

fn without_id(doc: &str) -> String {
    doc.replace("required: [id]", "required: []")
        .replace("                  id: {type: string}\n", "")
}

fn xtask(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `old.yaml` and `new.yaml` into a fresh directory.
fn pair(new: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), OLD).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new).unwrap();
    dir
}

fn diff_pair(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["diff"];
    args.extend_from_slice(extra);
    args.extend(["old.yaml", "new.yaml"]);
    xtask(dir, &args)
}

#[test]
fn fail_on_sets_the_exit_code() {
    let table: [(&str, String, [i32; 3]); 4] = [
        // change, then the exit code for --fail-on breaking, warning, info
        ("none", OLD.to_owned(), [EXIT_OK, EXIT_OK, EXIT_OK]),
        ("info", info_change(), [EXIT_OK, EXIT_OK, EXIT_FAIL]),
        ("warning", warning_change(), [EXIT_OK, EXIT_FAIL, EXIT_FAIL]),
        (
            "breaking",
            breaking_change(),
            [EXIT_FAIL, EXIT_FAIL, EXIT_FAIL],
        ),
    ];
    for (what, new, expected) in table {
        let dir = pair(&new);
        for (level, code) in ["breaking", "warning", "info"].iter().zip(expected) {
            let (got, out, err) = diff_pair(dir.path(), &["--fail-on", level]);
            assert_eq!(got, code, "{what} change, --fail-on {level}:\n{out}{err}");
        }
    }
}

#[test]
fn the_default_threshold_is_breaking() {
    let dir = pair(&warning_change());
    let (code, out, _) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_OK, "{out}");
    assert!(out.contains("warning   response-enum-value-added"), "{out}");
    assert!(out.contains("passes --fail-on breaking"), "{out}");
    let dir = pair(&breaking_change());
    let (code, out, _) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_FAIL, "{out}");
    assert!(out.contains("GET /things (list_things)"), "{out}");
    assert!(
        out.contains("breaking  response-property-removed  /paths/~1things/get/responses/200/content/application~1json/schema/properties/id  response property `id` (required) was removed"),
        "{out}"
    );
}

#[test]
fn an_acknowledged_breaking_change_passes_and_is_still_shown() {
    let dir = pair(&breaking_change());
    std::fs::write(
        dir.path().join("new.changes.toml"),
        r#"
[[accept]]
rule = "response-property-removed"
operation = "GET /things"
reason = "Nobody reads it."

[[accept]]
rule = "operation-removed"
operation = "GET /gone"
reason = "Merged long ago."
"#,
    )
    .unwrap();
    let (code, out, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("[accepted: Nobody reads it.]"), "{out}");
    assert!(out.contains("stale acknowledgements in"), "{out}");
    assert!(
        out.contains("operation-removed  GET /gone  *  (Merged long ago.)"),
        "{out}"
    );
    assert!(
        out.contains("0 breaking, 0 warning, 0 info; 1 accepted, 1 stale"),
        "{out}"
    );
}

#[test]
fn a_broken_acknowledgement_file_is_an_error() {
    let dir = pair(&breaking_change());
    std::fs::write(
        dir.path().join("new.changes.toml"),
        "[[accept]]\nrule = \"no-such-rule\"\noperation = \"GET /things\"\nreason = \"x\"\n",
    )
    .unwrap();
    let (code, _, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, 100, "{err}");
    assert!(err.contains("unknown rule `no-such-rule`"), "{err}");
    std::fs::write(
        dir.path().join("new.changes.toml"),
        "[[accept]]\nrule = \"response-property-removed\"\noperation = \"GET /things\"\nreason = \" \"\n",
    )
    .unwrap();
    let (code, _, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, 100, "{err}");
    assert!(err.contains("a reason is required"), "{err}");
}

#[test]
fn json_and_markdown_formats() {
    let dir = pair(&breaking_change());
    let (code, out, _) = diff_pair(dir.path(), &["--format", "json"]);
    assert_eq!(code, EXIT_FAIL);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["failed"], true);
    assert_eq!(v["counts"]["breaking"], 1);
    assert_eq!(
        v["documents"][0]["changes"][0]["rule"],
        "response-property-removed"
    );
    let (_, out, _) = diff_pair(dir.path(), &["--format", "markdown"]);
    assert!(out.contains("#### Breaking (1)"), "{out}");
    assert!(
        out.contains("| `GET /things` (`list_things`) | `response-property-removed` |"),
        "{out}"
    );
}

#[test]
fn usage_errors_are_reported() {
    let dir = pair(OLD);
    let (code, _, err) = xtask(dir.path(), &["diff", "no-such-surface"]);
    assert_eq!(code, 100);
    assert!(err.contains("neither a surface"), "{err}");
    let (code, _, err) = xtask(
        dir.path(),
        &["diff", "--base", "HEAD", "old.yaml", "new.yaml"],
    );
    assert_eq!(code, 100);
    assert!(err.contains("no meaning with OLD NEW"), "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose `main` holds `openapi/brookmimir.yaml` (as `OLD`), checked out on a
/// feature branch one commit ahead, with a breaking change in the working tree.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("openapi")).unwrap();
    std::fs::write(root.join("openapi/brookmimir.yaml"), OLD).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(root.join("openapi/brookmimir.yaml"), warning_change()).unwrap();
    git(root, &["commit", "-q", "-am", "a warning"]);
    std::fs::write(
        root.join("openapi/brookmimir.yaml"),
        without_id(&warning_change()),
    )
    .unwrap();
    dir
}

#[test]
fn by_default_the_working_tree_is_compared_with_the_merge_base() {
    let repo = repository();
    let root = repo.path().to_str().unwrap();
    let (code, out, err) = xtask(repo.path(), &["--root", root, "diff"]);
    assert_eq!(code, EXIT_FAIL, "{out}{err}");
    assert!(out.contains("merge-base of HEAD and main"), "{out}");
    assert!(out.contains("== brookmimir: "), "{out}");
    // Against the merge-base, the committed enum value is part of the change too.
    assert!(out.contains("response-enum-value-added"), "{out}");
    assert!(out.contains("response-property-removed"), "{out}");
    // Surfaces whose document exists on neither side are skipped.
    assert!(!out.contains("== bitmind"), "{out}");

    // Against HEAD only the uncommitted change is left.
    let (code, out, _) = xtask(
        repo.path(),
        &["--root", root, "diff", "--base", "HEAD", "brookmimir"],
    );
    assert_eq!(code, EXIT_FAIL, "{out}");
    assert!(!out.contains("response-enum-value-added"), "{out}");
    assert!(out.contains("response-property-removed"), "{out}");
}

#[test]
fn rev_path_arguments_work_like_git_show() {
    let repo = repository();
    let root = repo.path().to_str().unwrap();
    let (code, out, err) = xtask(
        repo.path(),
        &[
            "--root",
            root,
            "diff",
            "main:openapi/brookmimir.yaml",
            "feature:openapi/brookmimir.yaml",
        ],
    );
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(
        out.contains("main:openapi/brookmimir.yaml → feature:openapi/brookmimir.yaml"),
        "{out}"
    );
    assert!(out.contains("response-enum-value-added"), "{out}");
    assert!(!out.contains("response-property-removed"), "{out}");
}

#[test]
fn a_document_missing_at_the_base_is_new() {
    let repo = repository();
    let root = repo.path().to_str().unwrap();
    std::fs::write(repo.path().join("openapi/bitmind.yaml"), OLD).unwrap();
    let (code, out, err) = xtask(repo.path(), &["--root", root, "diff", "bitmind"]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("(new document)"), "{out}");
    assert!(
        out.contains("info      operation-added  /paths/~1things/get  new operation on a new path"),
        "{out}"
    );
}

#[test]
fn on_main_the_base_is_head_and_without_main_it_is_head_too() {
    for (branch, how) in [
        ("main", "HEAD, which is the merge-base with main"),
        ("trunk", "HEAD (no `main` or `origin/main` branch)"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        std::fs::write(root.join("openapi/brookmimir.yaml"), OLD).unwrap();
        git(root, &["init", "-q", "-b", branch]);
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "base"]);
        std::fs::write(root.join("openapi/brookmimir.yaml"), warning_change()).unwrap();
        let (code, out, err) = xtask(root, &["--root", root.to_str().unwrap(), "diff"]);
        assert_eq!(code, EXIT_OK, "{out}{err}");
        assert!(out.contains(how), "{branch}: {out}");
        assert!(out.contains("response-enum-value-added"), "{branch}: {out}");
    }
}

/// A copy of a real document under `openapi/`, edited by `f`, as `old.yaml` → `new.yaml`.
fn real_pair(surface: &str, f: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let path = xtask::workspace_root().join(format!("openapi/{surface}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: serde_json::Value = serde_norway::from_str(&text).unwrap();
    f(&mut doc);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), text).unwrap();
    std::fs::write(
        dir.path().join("new.yaml"),
        serde_norway::to_string(&doc).unwrap(),
    )
    .unwrap();
    dir
}

/// `METHOD path (operationId)` of every operation of `doc` whose security names `scheme`.
fn operations_requiring(doc: &serde_json::Value, scheme: &str) -> Vec<String> {
    let contract = xtask::model::Contract::from_document(&xtask::document::Document::from_value(
        "d",
        doc.clone(),
    ));
    contract
        .operations
        .values()
        .filter(|op| {
            contract
                .security_of(op)
                .and_then(serde_json::Value::as_array)
                .is_some_and(|alts| alts.iter().any(|alt| alt.get(scheme).is_some()))
        })
        .map(|op| op.label())
        .collect()
}

#[test]
fn renaming_brookmimirs_api_key_header_breaks_every_operation_that_sends_it() {
    let dir = real_pair("brookmimir", |d| {
        let name = d
            .pointer_mut("/components/securitySchemes/ApiKey/name")
            .unwrap();
        assert_eq!(
            name, "x-api-key",
            "the test expects Brookmimir's key header"
        );
        *name = serde_json::json!("x-token");
    });
    let (code, out, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_FAIL, "{out}{err}");
    assert!(
        out.contains("breaking  api-security-component-api-key-changed  /components/securitySchemes/ApiKey/name  security scheme `ApiKey`: the key moved from header `x-api-key` to header `x-token`"),
        "{out}"
    );
    let doc: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(dir.path().join("new.yaml")).unwrap())
            .unwrap();
    let users = operations_requiring(&doc, "ApiKey");
    assert!(users.len() >= 2, "{users:?}");
    let used_by = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("used by: "))
        .unwrap_or_else(|| panic!("no used-by line:\n{out}"));
    assert_eq!(used_by, users.join(", "), "{out}");
    // The JSON names the same operations.
    let (_, json, _) = diff_pair(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let change = &v["documents"][0]["changes"][0];
    assert_eq!(change["rule"], "api-security-component-api-key-changed");
    assert!(change["operation"].is_null());
    assert_eq!(change["used_by"].as_array().unwrap().len(), users.len());
    // A reviewer accepts it with an entry that names no operation.
    std::fs::write(
        dir.path().join("new.changes.toml"),
        "[[accept]]\nrule = \"api-security-component-api-key-changed\"\nreason = \"Announced in 2.0.\"\n",
    )
    .unwrap();
    let (code, out, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_OK, "{out}{err}");
    assert!(out.contains("[accepted: Announced in 2.0.]"), "{out}");
}

#[test]
fn removing_the_location_of_bitstrides_oauth_redirect_is_breaking() {
    let login = "/paths/~1v1~1auth~1login~1{provider}/get/responses/302/headers";
    let dir = real_pair("bitstride", |d| {
        let headers = d
            .pointer_mut(login)
            .and_then(serde_json::Value::as_object_mut)
            .expect("Bitstride's OAuth login answers 302 with headers");
        assert!(
            headers.remove("Location").is_some(),
            "no Location on the 302"
        );
    });
    let (code, out, err) = diff_pair(dir.path(), &[]);
    assert_eq!(code, EXIT_FAIL, "{out}{err}");
    assert!(
        out.contains("GET /v1/auth/login/{provider} (login_with_provider)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "breaking  optional-response-header-removed  {login}/Location  response 302: optional header `Location` was removed"
        )),
        "{out}"
    );
    assert!(out.contains("1 breaking, 0 warning, 0 info"), "{out}");
}
