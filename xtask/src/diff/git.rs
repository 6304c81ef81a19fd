//! Reading documents at a git revision (`git show REV:path`) and choosing the default base.

use std::path::{Path, PathBuf};
use std::process::Command;

use thiserror::Error;

/// A git command that could not be run or did not succeed.
#[derive(Debug, Error)]
pub enum GitError {
    /// `git` could not be started.
    #[error("cannot run git in {dir}: {source}")]
    Spawn {
        /// The directory git was run in.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `git` ran and failed.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments, space-separated.
        args: String,
        /// What git printed on stderr.
        stderr: String,
    },
    /// The revision names no commit.
    #[error("`{0}` is not a revision of this repository")]
    UnknownRevision(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|source| GitError::Spawn {
            dir: dir.to_owned(),
            source,
        })
}

fn git_text(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = git(dir, args)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The full commit id `rev` names, or [`GitError::UnknownRevision`].
pub fn resolve(dir: &Path, rev: &str) -> Result<String, GitError> {
    let spec = format!("{rev}^{{commit}}");
    let out = git(dir, &["rev-parse", "--verify", "--quiet", &spec])?;
    if !out.status.success() {
        return Err(GitError::UnknownRevision(rev.to_owned()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The abbreviated id of a commit, for messages.
pub fn short(dir: &Path, commit: &str) -> Result<String, GitError> {
    git_text(dir, &["rev-parse", "--short", commit])
}

/// The content of `path` (relative to the repository root) at `rev`; `None` when the
/// file does not exist there. An unknown revision is an error.
pub fn show(dir: &Path, rev: &str, path: &str) -> Result<Option<String>, GitError> {
    let commit = resolve(dir, rev)?;
    let object = format!("{commit}:{path}");
    let exists = git(dir, &["cat-file", "-e", &object])?;
    if !exists.status.success() {
        return Ok(None);
    }
    git_text(dir, &["show", &object]).map(Some)
}

/// The revision a diff compares with when none is given, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The commit id.
    pub commit: String,
    /// How it was chosen, e.g. `merge-base of HEAD and main`.
    pub how: String,
}

/// The default base: the merge-base of `HEAD` and `main` (else `origin/main`), which on
/// `main` itself is `HEAD`, so that the working tree's uncommitted changes are shown;
/// `HEAD` when neither branch exists.
pub fn default_base(dir: &Path) -> Result<Base, GitError> {
    let head = resolve(dir, "HEAD")?;
    for main in ["main", "origin/main"] {
        let Ok(tip) = resolve(dir, main) else {
            continue;
        };
        let commit = git_text(dir, &["merge-base", "HEAD", &tip])?;
        let how = if commit == head {
            format!("HEAD, which is the merge-base with {main}")
        } else {
            format!("merge-base of HEAD and {main}")
        };
        return Ok(Base { commit, how });
    }
    Ok(Base {
        commit: head,
        how: "HEAD (no `main` or `origin/main` branch)".to_owned(),
    })
}
