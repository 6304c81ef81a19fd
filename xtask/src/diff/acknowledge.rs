//! Acknowledgement files: `openapi/<surface>.changes.toml` lists changes a reviewer has
//! accepted, each with its reason. Accepted changes are still reported (marked accepted,
//! with the reason) but do not count for `--fail-on`; an entry that matches nothing is
//! reported as stale.
//!
//! ```toml
//! [[accept]]
//! rule = "response-property-removed"
//! operation = "GET /credits"
//! pointer = "/paths/~1credits/get/responses/200/content/application~1json/schema/properties/legacy"
//! reason = "Deprecated since 1.2, announced to every key holder."
//! ```
//!
//! `pointer` is optional: without it the entry accepts every change of that rule on that
//! operation. A document-level change (a security scheme, a server list) has no
//! operation: its entry leaves `operation` out.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::change::Change;
use super::rules::Rule;

/// Why an acknowledgement file could not be used.
#[derive(Debug, Error)]
pub enum AckError {
    /// The file exists but could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        source: toml::de::Error,
    },
    /// An entry is unusable (unknown rule, empty reason, malformed operation).
    #[error("{path}: entry {index}: {message}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// The entry's position, from 1.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// One accepted change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// The rule id, e.g. `response-property-removed`.
    pub rule: String,
    /// `METHOD /path` as in the new document; absent for a document-level change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The change's JSON pointer; absent: any pointer in that operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Why the change is acceptable (required, shown with the change).
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    accept: Vec<Acknowledgement>,
}

impl Acknowledgement {
    /// Whether this entry accepts `change`.
    pub fn matches(&self, change: &Change) -> bool {
        let same_place = match (&self.operation, change.operation_key()) {
            (None, None) => true,
            (Some(op), Some(key)) => {
                let (method, path) = op.split_once(' ').unwrap_or((op.as_str(), ""));
                method.eq_ignore_ascii_case(&key.method) && path.trim() == key.path
            }
            _ => false,
        };
        self.rule == change.rule.id()
            && same_place
            && self.pointer.as_deref().is_none_or(|p| p == change.pointer)
    }

    /// `METHOD /path`, or `document` for an entry about a document-level change.
    pub fn place(&self) -> &str {
        self.operation.as_deref().unwrap_or(super::change::DOCUMENT)
    }
}

/// The acknowledgement file that goes with a document: `x.yaml` → `x.changes.toml`.
pub fn file_for(document: &Path) -> PathBuf {
    let stem = document
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    document.with_file_name(format!("{stem}.changes.toml"))
}

/// Reads an acknowledgement file; a file that does not exist holds no entries.
pub fn load(path: &Path) -> Result<Vec<Acknowledgement>, AckError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(AckError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    parse(path, &text)
}

/// Parses and validates the text of an acknowledgement file (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Acknowledgement>, AckError> {
    let file: File = toml::from_str(text).map_err(|source| AckError::Toml {
        path: path.to_owned(),
        source,
    })?;
    for (i, a) in file.accept.iter().enumerate() {
        let fail = |message: String| AckError::Entry {
            path: path.to_owned(),
            index: i + 1,
            message,
        };
        if Rule::from_id(&a.rule).is_none() {
            return Err(fail(format!("unknown rule `{}`", a.rule)));
        }
        if a.reason.trim().is_empty() {
            return Err(fail("a reason is required".to_owned()));
        }
        if let Some(op) = &a.operation {
            let well_formed = op
                .split_once(' ')
                .is_some_and(|(m, p)| !m.is_empty() && p.starts_with('/'));
            if !well_formed {
                return Err(fail(format!(
                    "operation `{op}` is not `METHOD /path` (leave it out for a document-level change)"
                )));
            }
        }
    }
    Ok(file.accept)
}

/// Marks the changes the entries accept (with the first matching entry's reason) and
/// returns the entries that matched nothing.
pub fn apply(acks: &[Acknowledgement], changes: &mut [Change]) -> Vec<Acknowledgement> {
    let mut used = vec![false; acks.len()];
    for change in changes.iter_mut() {
        for (i, a) in acks.iter().enumerate() {
            if a.matches(change) {
                used[i] = true;
                if change.accepted.is_none() {
                    change.accepted = Some(a.reason.clone());
                }
            }
        }
    }
    acks.iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(a, _)| a.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::change::Found;
    use crate::diff::rules::Side;

    fn entry(operation: Option<&str>) -> Acknowledgement {
        Acknowledgement {
            rule: "server-url-changed".to_owned(),
            operation: operation.map(str::to_owned),
            pointer: Some("/servers/0/url".to_owned()),
            reason: "moved".to_owned(),
        }
    }

    #[test]
    fn an_entry_without_an_operation_accepts_document_level_changes_only() {
        let found = Found::new(Rule::ServerUrlChanged, Side::Request, "/servers/0/url", "m");
        let shared = found.clone().shared(Vec::new());
        assert!(entry(None).matches(&shared));
        assert!(!entry(Some("GET /things")).matches(&shared));
        let entries = parse(
            Path::new("t.toml"),
            "[[accept]]\nrule = \"server-url-changed\"\nreason = \"moved\"\n",
        )
        .unwrap();
        assert_eq!(entries[0].place(), "document");
        let malformed = parse(
            Path::new("t.toml"),
            "[[accept]]\nrule = \"server-url-changed\"\noperation = \"things\"\nreason = \"x\"\n",
        );
        assert!(malformed.is_err());
    }
}
