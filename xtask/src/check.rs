//! `cargo xtask check`: lint every document, prove the committed client is what
//! the documents generate, and compare each document with its server trait.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use quartet_api::Surface;

use crate::document::Document;
use crate::equivalences::Equivalences;
use crate::finding::{Check, Finding};
use crate::{derived, drift, generate, lint};

/// Exit code: everything holds.
pub const EXIT_OK: i32 = 0;
/// Exit code: only the generated client is stale (`cargo xtask generate` fixes it).
pub const EXIT_STALE: i32 = 4;
/// Exit code: a document is broken or differs from its server.
pub const EXIT_BROKEN: i32 = 100;

/// What a check run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Lint and drift findings.
    pub findings: Vec<Finding>,
    /// Generated files that differ from what the documents generate, with a unified diff.
    pub stale: Vec<(String, String)>,
    /// Human-readable log (what was checked, equivalences applied).
    pub log: String,
}

impl Outcome {
    /// The process exit code for this outcome.
    pub fn exit_code(&self) -> i32 {
        if !self.findings.is_empty() {
            EXIT_BROKEN
        } else if !self.stale.is_empty() {
            EXIT_STALE
        } else {
            EXIT_OK
        }
    }
}

/// Runs the three checks for `surfaces` of the workspace at `root`.
pub fn run(root: &Path, surfaces: &[Surface]) -> Result<Outcome> {
    let eq = Equivalences::load(&root.join("openapi/equivalences.toml"))?;
    let mut out = Outcome::default();
    let mut known_scopes = Vec::new();
    for surface in surfaces {
        let path = root.join(surface.document);
        let doc = match Document::load(&path) {
            Ok(d) => d,
            Err(e) => {
                out.findings.push(Finding::new(
                    Check::Lint,
                    surface.name,
                    None,
                    "",
                    e.to_string(),
                ));
                continue;
            }
        };
        let lint_findings = lint::lint(surface.name, &doc);
        let lint_clean = lint_findings.is_empty();
        let _ = writeln!(
            out.log,
            "{:<11} lint   {} finding(s)",
            surface.name,
            lint_findings.len()
        );
        out.findings.extend(lint_findings);

        let derived_doc = Document::from_value(
            &format!("{} (derived from the server trait)", surface.name),
            derived::derive(surface, doc.title(), doc.version())?,
        );
        for op in crate::model::Contract::from_document(&derived_doc)
            .operations
            .values()
        {
            if let Some(id) = &op.operation_id {
                known_scopes.push(format!("{}:{id}", surface.name));
            }
        }
        let drift_findings = drift::compare(surface.name, &doc, &derived_doc, &eq);
        let _ = writeln!(
            out.log,
            "{:<11} drift  {} finding(s)",
            surface.name,
            drift_findings.len()
        );
        out.findings.extend(drift_findings);

        // progenitor panics on documents the lint rejects: only generate from clean ones.
        if lint_clean {
            let rel = generate::client_path(surface.name);
            let fresh = generate::render(surface.name, &doc)?;
            let committed =
                std::fs::read_to_string(root.join(&rel)).map(|t| t.replace("\r\n", "\n"));
            match committed {
                Err(e) => out
                    .stale
                    .push((rel.clone(), format!("cannot read it ({e})\n"))),
                Ok(committed) if committed != fresh => {
                    let diff = similar::TextDiff::from_lines(&committed, &fresh)
                        .unified_diff()
                        .context_radius(3)
                        .header(&format!("{rel} (committed)"), &format!("{rel} (generated)"))
                        .to_string();
                    out.stale.push((rel, diff));
                }
                Ok(_) => {}
            }
            let _ = writeln!(
                out.log,
                "{:<11} client {}",
                surface.name,
                if out
                    .stale
                    .iter()
                    .any(|(r, _)| r == &generate::client_path(surface.name))
                {
                    "stale"
                } else {
                    "current"
                }
            );
        } else {
            let _ = writeln!(
                out.log,
                "{:<11} client not generated (lint findings)",
                surface.name
            );
        }
    }
    if surfaces.len() == quartet_api::SURFACES.len() {
        for (kind, scope) in eq.unknown_scopes(&known_scopes) {
            out.findings.push(Finding::new(
                Check::Drift,
                scope.split(':').next().unwrap_or(""),
                None,
                "",
                format!(
                    "openapi/equivalences.toml: `{}` names {scope}, which no server trait has",
                    kind.name()
                ),
            ));
        }
    }
    let applied = eq.applied();
    if !applied.is_empty() {
        let _ = writeln!(out.log, "equivalences applied (openapi/equivalences.toml):");
        let mut kinds: Vec<_> = applied.keys().map(|(k, _)| *k).collect();
        kinds.dedup();
        for kind in kinds {
            let per_surface: Vec<String> = applied
                .iter()
                .filter(|((k, _), _)| *k == kind)
                .map(|((_, surface), n)| format!("{surface} {n}"))
                .collect();
            let _ = writeln!(out.log, "  {:<18} {}", kind.name(), per_surface.join(", "));
        }
    }
    let unused: Vec<&str> = eq
        .entries()
        .iter()
        .filter(|e| !applied.keys().any(|(k, _)| *k == e.kind))
        .map(|e| e.kind.name())
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            out.log,
            "declared but not applied (candidates for removal): {}",
            unused.join(", ")
        );
    }
    Ok(out)
}
