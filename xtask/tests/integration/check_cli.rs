//! `cargo xtask check` end to end, on copies of the repository's documents and
//! generated client: the exit codes are what CI and contributors rely on.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::check::{EXIT_BROKEN, EXIT_OK, EXIT_STALE};

/// A scratch workspace root holding copies of `openapi/` and `client/src/generated/`.
fn scratch_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let repo = xtask::workspace_root();
    for sub in ["openapi", "client/src/generated"] {
        copy_dir(&repo.join(sub), &root.join(sub));
    }
    (dir, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn check(root: &Path, surface: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "--root",
            root.to_str().unwrap(),
            "check",
            "--surface",
            surface,
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_repository_passes() {
    let (_dir, root) = scratch_root();
    for surface in ["bitmind", "brookmimir", "bitstride", "bindu"] {
        let (code, text) = check(&root, surface);
        assert_eq!(code, EXIT_OK, "{text}");
    }
}

#[test]
fn an_edited_generated_file_is_stale() {
    let (_dir, root) = scratch_root();
    let file = root.join("client/src/generated/brookmimir.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen(
            "pub struct Client",
            "pub struct Client /* edited by hand */",
            1,
        ),
    )
    .unwrap();
    let (code, text) = check(&root, "brookmimir");
    assert_eq!(code, EXIT_STALE, "{text}");
    assert!(
        text.contains("client client/src/generated/brookmimir.rs is stale"),
        "{text}"
    );
    assert!(
        text.contains("-pub struct Client /* edited by hand */"),
        "the unified diff shows the edit: {text}"
    );
    assert!(text.contains("run `cargo xtask generate`"), "{text}");
}

#[test]
fn a_missing_generated_file_is_stale() {
    let (_dir, root) = scratch_root();
    std::fs::remove_file(root.join("client/src/generated/bitmind.rs")).unwrap();
    let (code, text) = check(&root, "bitmind");
    assert_eq!(code, EXIT_STALE, "{text}");
}

#[test]
fn a_broken_example_is_a_lint_finding() {
    let (_dir, root) = scratch_root();
    edit(
        &root.join("openapi/brookmimir.yaml"),
        "                status: 200\n                version: 1.0.0\n",
        "                status: 200\n                version: 100\n",
    );
    let (code, text) = check(&root, "brookmimir");
    assert_eq!(code, EXIT_BROKEN, "{text}");
    assert!(text.contains("lint   brookmimir: GET /version"), "{text}");
    assert!(text.contains("does not match the schema"), "{text}");
    assert!(
        text.contains(
            "at /paths/~1version/get/responses/200/content/application~1json/example/version"
        ),
        "{text}"
    );
}

#[test]
fn a_dangling_ref_is_a_lint_finding() {
    let (_dir, root) = scratch_root();
    edit(
        &root.join("openapi/brookmimir.yaml"),
        "#/components/schemas/StatusMessage",
        "#/components/schemas/NoSuchThing",
    );
    let (code, text) = check(&root, "brookmimir");
    assert_eq!(code, EXIT_BROKEN, "{text}");
    assert!(
        text.contains("`$ref` #/components/schemas/NoSuchThing does not resolve"),
        "{text}"
    );
}

#[test]
fn drift_fails_the_check_with_code_100() {
    let (_dir, root) = scratch_root();
    edit(
        &root.join("openapi/brookmimir.yaml"),
        "  /credits:\n",
        "  /credit-balance:\n",
    );
    let (code, text) = check(&root, "brookmimir");
    assert_eq!(code, EXIT_BROKEN, "{text}");
    assert!(text.contains("drift  brookmimir: GET /credits"), "{text}");
    assert!(
        text.contains("drift  brookmimir: GET /credit-balance"),
        "{text}"
    );
}
