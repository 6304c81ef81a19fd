//! `cargo xtask diff`: what a change to a contract breaks, and for whom.
//!
//! The drift check asks "are these two documents the same contract?"; the diff asks "is
//! the new contract compatible with the old one?". Both read documents through the same
//! [`crate::model::Contract`] (operations keyed by method and path, every `$ref`
//! resolved); the diff then compares old → new in one direction, and classifies each
//! change by a [`rules::Rule`] with a stable id, a severity and a side.
//!
//! - [`rules`]: the catalogue;
//! - [`change`]: one classified change, on an operation or at the document level;
//! - [`compare`]: old → new, document-level changes then operation by operation, with
//!   `schemes` (security schemes), `servers`, `security` (requirements), `parameters`,
//!   `bodies` (request bodies, content), `responses` and `headers` (response headers);
//! - `walk`: the directional schema comparison (`allOf` flattened, `oneOf` paired);
//! - [`acknowledge`]: the per-document file of accepted changes;
//! - [`render`]: text, Markdown and JSON;
//! - [`git`]: documents at a revision;
//! - [`cli`]: the command line.

pub mod acknowledge;
mod bodies;
pub mod change;
pub mod cli;
pub mod compare;
pub mod git;
mod headers;
mod parameters;
pub mod render;
mod responses;
pub mod rules;
mod schemes;
mod security;
mod servers;
mod walk;

use serde::Serialize;

use crate::document::Document;

pub use acknowledge::Acknowledgement;
pub use change::{Change, OpRef};
pub use rules::{Rule, Severity, Side};

/// Whether a document exists on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// On both sides.
    Both,
    /// Only in the new version: every operation is added.
    Added,
    /// Only in the old version: every operation is removed.
    Removed,
}

/// The diff of one document.
#[derive(Debug, Clone)]
pub struct DocumentReport {
    /// What is compared: a surface name or a file.
    pub name: String,
    /// Where the old version comes from (`REV:path` or a file).
    pub old: String,
    /// Where the new version comes from.
    pub new: String,
    /// Whether the document exists on both sides.
    pub presence: Presence,
    /// The acknowledgement file consulted, when it exists.
    pub ack_file: Option<String>,
    /// Every change, accepted ones included.
    pub changes: Vec<Change>,
    /// Acknowledgements that matched no change.
    pub stale: Vec<Acknowledgement>,
    /// How many operations the document has (the new version's, else the old one's): a
    /// document-level change used by all of them says so instead of listing them.
    pub operations: usize,
}

/// How many changes of each kind a report holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Breaking changes not accepted.
    pub breaking: usize,
    /// Warnings not accepted.
    pub warning: usize,
    /// Info changes not accepted.
    pub info: usize,
    /// Changes accepted by an acknowledgement, whatever their severity.
    pub accepted: usize,
    /// Acknowledgements that matched nothing.
    pub stale: usize,
}

impl Counts {
    /// The count for one severity (accepted changes excluded).
    pub fn of(&self, s: Severity) -> usize {
        match s {
            Severity::Breaking => self.breaking,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }

    fn add(&mut self, other: Counts) {
        self.breaking += other.breaking;
        self.warning += other.warning;
        self.info += other.info;
        self.accepted += other.accepted;
        self.stale += other.stale;
    }
}

impl DocumentReport {
    /// Compares two versions of a document (`None`: it does not exist on that side) and
    /// applies the acknowledgements.
    pub fn build(
        name: &str,
        old: (&str, Option<&Document>),
        new: (&str, Option<&Document>),
        acks: &[Acknowledgement],
        ack_file: Option<String>,
    ) -> Self {
        let empty = Document::from_value("(absent)", serde_json::json!({}));
        let presence = match (old.1, new.1) {
            (None, Some(_)) => Presence::Added,
            (Some(_), None) => Presence::Removed,
            _ => Presence::Both,
        };
        let mut changes = compare::compare(old.1.unwrap_or(&empty), new.1.unwrap_or(&empty));
        let stale = acknowledge::apply(acks, &mut changes);
        Self {
            name: name.to_owned(),
            old: old.0.to_owned(),
            new: new.0.to_owned(),
            presence,
            ack_file,
            changes,
            stale,
            operations: operation_count(new.1.or(old.1).unwrap_or(&empty)),
        }
    }

    /// Counts by severity, accepted and stale.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            stale: self.stale.len(),
            ..Counts::default()
        };
        for change in &self.changes {
            if change.accepted.is_some() {
                c.accepted += 1;
                continue;
            }
            match change.severity() {
                Severity::Breaking => c.breaking += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

/// How many operations a document has.
fn operation_count(doc: &Document) -> usize {
    doc.value
        .get("paths")
        .and_then(serde_json::Value::as_object)
        .map(|paths| {
            paths
                .values()
                .map(|item| {
                    crate::document::METHODS
                        .iter()
                        .filter(|m| item.get(**m).is_some())
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Exit code: nothing at or above `--fail-on` that is not accepted.
pub const EXIT_OK: i32 = 0;
/// Exit code: at least one change at or above `--fail-on` that is not accepted.
pub const EXIT_FAIL: i32 = 1;

/// The diff of every document compared in one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The base revision of a run against git, described (`3804250, merge-base of HEAD and main`).
    pub base: Option<String>,
    /// The threshold for the exit code.
    pub fail_on: Severity,
    /// One report per document.
    pub documents: Vec<DocumentReport>,
}

impl Report {
    /// Counts over every document.
    pub fn counts(&self) -> Counts {
        let mut total = Counts::default();
        for d in &self.documents {
            total.add(d.counts());
        }
        total
    }

    /// Whether a change at or above `fail_on` is left unaccepted.
    pub fn failed(&self) -> bool {
        self.documents
            .iter()
            .flat_map(|d| &d.changes)
            .any(|c| c.accepted.is_none() && c.severity() >= self.fail_on)
    }

    /// [`EXIT_FAIL`] when [`Report::failed`], else [`EXIT_OK`]. Stale acknowledgements
    /// are reported but never fail a run.
    pub fn exit_code(&self) -> i32 {
        if self.failed() {
            EXIT_FAIL
        } else {
            EXIT_OK
        }
    }
}
