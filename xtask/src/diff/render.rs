//! The three outputs of a diff: text for a terminal (grouped by operation), Markdown for
//! a review comment (a table per severity), JSON for tools (stable schema, see
//! [`JSON_SCHEMA_VERSION`]).

use std::fmt::Write as _;

use serde::Serialize;

use super::change::{Change, OpRef, DOCUMENT};
use super::rules::Severity;
use super::{Counts, DocumentReport, Presence, Report};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped by operation, one line per change.
    Text,
    /// Tables per severity, ready to paste into a review.
    Markdown,
    /// Machine-readable, with a versioned schema (`schema_version`).
    Json,
}

/// The version of the JSON output's schema. It changes only when a field is removed or
/// changes meaning; new fields may appear without a bump.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> Result<String, serde_json::Error> {
    Ok(match format {
        Format::Text => text(report),
        Format::Markdown => markdown(report),
        Format::Json => json(report)?,
    })
}

fn counts_line(c: &Counts) -> String {
    format!(
        "{} breaking, {} warning, {} info; {} accepted, {} stale acknowledgement(s)",
        c.breaking, c.warning, c.info, c.accepted, c.stale
    )
}

fn verdict(report: &Report) -> String {
    let c = report.counts();
    let n: usize = Severity::DESCENDING
        .iter()
        .filter(|s| **s >= report.fail_on)
        .map(|s| c.of(*s))
        .sum();
    if report.failed() {
        format!(
            "fails --fail-on {}: {n} change(s) at or above it are not accepted",
            report.fail_on
        )
    } else {
        format!("passes --fail-on {}", report.fail_on)
    }
}

fn presence_note(d: &DocumentReport) -> &'static str {
    match d.presence {
        Presence::Both => "",
        Presence::Added => " (new document)",
        Presence::Removed => " (document removed)",
    }
}

/// Changes grouped by operation label, in report order.
fn by_operation(changes: &[Change]) -> Vec<(String, Vec<&Change>)> {
    let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
    for c in changes {
        let label = c.operation_label();
        match groups.last_mut() {
            Some((l, v)) if *l == label => v.push(c),
            _ => groups.push((label, vec![c])),
        }
    }
    groups
}

/// Who a document-level change of `d` concerns: `used by: GET /a (get_a), POST /b`, every
/// operation, or none. `label` names each operation.
fn used_by(d: &DocumentReport, c: &Change, label: impl Fn(&OpRef) -> String) -> String {
    match c.used_by.len() {
        0 => "used by no operation".to_owned(),
        n if n == d.operations && n > 1 => format!("used by every operation ({n})"),
        _ => {
            let ops: Vec<String> = c.used_by.iter().map(label).collect();
            format!("used by: {}", ops.join(", "))
        }
    }
}

/// Text: per document a header, then document-level changes (`document`, each with the
/// operations that use what changed) and per operation `METHOD path (operationId)` one
/// line per change (severity, rule id, JSON pointer, message), then stale
/// acknowledgements and a summary line; a final verdict.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    if let Some(base) = &report.base {
        let _ = writeln!(out, "base: {base}");
    }
    for d in &report.documents {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "== {}: {} → {}{}",
            d.name,
            d.old,
            d.new,
            presence_note(d)
        );
        if d.changes.is_empty() {
            let _ = writeln!(out, "no changes");
        }
        for (label, changes) in by_operation(&d.changes) {
            let _ = writeln!(out, "\n{label}");
            for c in changes {
                let _ = write!(
                    out,
                    "  {:<8}  {}  {}  {}",
                    c.severity().as_str(),
                    c.rule.id(),
                    c.pointer,
                    c.message
                );
                if let Some(reason) = &c.accepted {
                    let _ = write!(out, "  [accepted: {reason}]");
                }
                out.push('\n');
                if c.operation.is_none() {
                    let _ = writeln!(out, "{:12}{}", "", used_by(d, c, OpRef::label));
                }
            }
        }
        if !d.stale.is_empty() {
            let _ = writeln!(
                out,
                "\nstale acknowledgements in {} (they match no change; delete them):",
                d.ack_file.as_deref().unwrap_or("the acknowledgement file")
            );
            for a in &d.stale {
                let _ = writeln!(
                    out,
                    "  {}  {}  {}  ({})",
                    a.rule,
                    a.place(),
                    a.pointer.as_deref().unwrap_or("*"),
                    a.reason
                );
            }
        }
        let _ = writeln!(out, "\n{}: {}", d.name, counts_line(&d.counts()));
    }
    if report.documents.len() > 1 {
        let _ = writeln!(out, "\ntotal: {}", counts_line(&report.counts()));
    }
    let _ = writeln!(out, "{}", verdict(report));
    out
}

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn heading(s: Severity) -> &'static str {
    match s {
        Severity::Breaking => "Breaking",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

fn op_ref_cell(op: &OpRef) -> String {
    match &op.id {
        Some(id) => format!("`{}` (`{id}`)", op.key),
        None => format!("`{}`", op.key),
    }
}

fn op_cell(d: &DocumentReport, c: &Change) -> String {
    match &c.operation {
        Some(op) => op_ref_cell(op),
        None => format!("{DOCUMENT}; {}", used_by(d, c, op_ref_cell)),
    }
}

/// Markdown: per document a heading with the counts, then one table per severity
/// (operation, rule, change, pointer), accepted changes with their reasons, and stale
/// acknowledgements.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let c = report.counts();
    let _ = writeln!(out, "## Contract diff\n");
    let _ = writeln!(out, "**{}** — {}.", verdict(report), counts_line(&c));
    if let Some(base) = &report.base {
        let _ = writeln!(out, "\nBase: {base}.");
    }
    for d in &report.documents {
        let dc = d.counts();
        let _ = writeln!(
            out,
            "\n### `{}`{}: {} breaking, {} warning, {} info\n",
            d.name,
            presence_note(d),
            dc.breaking,
            dc.warning,
            dc.info
        );
        let _ = writeln!(out, "`{}` → `{}`", d.old, d.new);
        if d.changes.is_empty() {
            let _ = writeln!(out, "\nNo changes.");
        }
        for s in Severity::DESCENDING {
            let rows: Vec<&Change> = d
                .changes
                .iter()
                .filter(|c| c.accepted.is_none() && c.severity() == s)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n#### {} ({})\n", heading(s), rows.len());
            let _ = writeln!(out, "| Operation | Rule | Change | Pointer |");
            let _ = writeln!(out, "|---|---|---|---|");
            for c in rows {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | `{}` |",
                    op_cell(d, c),
                    c.rule.id(),
                    cell(&c.message),
                    cell(&c.pointer)
                );
            }
        }
        let accepted: Vec<&Change> = d.changes.iter().filter(|c| c.accepted.is_some()).collect();
        if !accepted.is_empty() {
            let _ = writeln!(out, "\n#### Accepted ({})\n", accepted.len());
            let _ = writeln!(out, "| Operation | Rule | Severity | Change | Reason |");
            let _ = writeln!(out, "|---|---|---|---|---|");
            for c in accepted {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} |",
                    op_cell(d, c),
                    c.rule.id(),
                    c.severity(),
                    cell(&c.message),
                    cell(c.accepted.as_deref().unwrap_or(""))
                );
            }
        }
        if !d.stale.is_empty() {
            let _ = writeln!(
                out,
                "\n#### Stale acknowledgements ({})\n\nThese entries of `{}` match no change; delete them.\n",
                d.stale.len(),
                d.ack_file.as_deref().unwrap_or("the acknowledgement file")
            );
            let _ = writeln!(out, "| Operation | Rule | Pointer | Reason |");
            let _ = writeln!(out, "|---|---|---|---|");
            for a in &d.stale {
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | `{}` | {} |",
                    cell(a.place()),
                    a.rule,
                    cell(a.pointer.as_deref().unwrap_or("*")),
                    cell(&a.reason)
                );
            }
        }
    }
    out
}

/// The rule catalogue as a Markdown table (id, severity, side, what it reports): what
/// `cargo xtask diff --rules` prints and the README shows.
pub fn rules_markdown() -> String {
    let mut out = String::from("| Rule | Severity | Side | Reports |\n|---|---|---|---|\n");
    for r in super::Rule::ALL {
        let side = r.side().map(|s| s.as_str()).unwrap_or("either");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            r.id(),
            r.severity(),
            side,
            cell(r.summary())
        );
    }
    out
}

/// The JSON output, schema version [`JSON_SCHEMA_VERSION`].
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// [`JSON_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The `--fail-on` threshold.
    pub fail_on: Severity,
    /// Whether the run fails (exit code 1).
    pub failed: bool,
    /// The base revision, described; `null` for `OLD NEW`.
    pub base: Option<&'a str>,
    /// Counts over every document.
    pub counts: Counts,
    /// One entry per document.
    pub documents: Vec<JsonDocument<'a>>,
}

/// One document in the JSON output.
#[derive(Debug, Serialize)]
pub struct JsonDocument<'a> {
    /// Surface name or file.
    pub name: &'a str,
    /// Old side (`REV:path` or a file).
    pub old: &'a str,
    /// New side.
    pub new: &'a str,
    /// `both`, `added` or `removed`.
    pub presence: Presence,
    /// The acknowledgement file consulted, or `null`.
    pub acknowledgements: Option<&'a str>,
    /// Counts for this document.
    pub counts: Counts,
    /// Every change, accepted ones included.
    pub changes: Vec<JsonChange<'a>>,
    /// Acknowledgements that matched nothing.
    pub stale: &'a [super::Acknowledgement],
}

/// One change in the JSON output.
#[derive(Debug, Serialize)]
pub struct JsonChange<'a> {
    /// Rule id.
    pub rule: &'static str,
    /// `breaking`, `warning` or `info`.
    pub severity: Severity,
    /// `request` or `response`.
    pub side: super::Side,
    /// `METHOD path`; `null` for a document-level change.
    pub operation: Option<String>,
    /// The operationId, or `null`.
    pub operation_id: Option<&'a str>,
    /// For a document-level change, the operations that use what changed (`METHOD path`);
    /// empty otherwise.
    pub used_by: Vec<String>,
    /// JSON pointer.
    pub pointer: &'a str,
    /// What changed.
    pub message: &'a str,
    /// Whether an acknowledgement accepts it.
    pub accepted: bool,
    /// The acknowledgement's reason, or `null`.
    pub reason: Option<&'a str>,
}

/// JSON, pretty-printed.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    let documents = report
        .documents
        .iter()
        .map(|d| JsonDocument {
            name: &d.name,
            old: &d.old,
            new: &d.new,
            presence: d.presence,
            acknowledgements: d.ack_file.as_deref(),
            counts: d.counts(),
            changes: d
                .changes
                .iter()
                .map(|c| JsonChange {
                    rule: c.rule.id(),
                    severity: c.severity(),
                    side: c.side,
                    operation: c.operation.as_ref().map(OpRef::to_string),
                    operation_id: c.operation.as_ref().and_then(|op| op.id.as_deref()),
                    used_by: c.used_by.iter().map(OpRef::to_string).collect(),
                    pointer: &c.pointer,
                    message: &c.message,
                    accepted: c.accepted.is_some(),
                    reason: c.accepted.as_deref(),
                })
                .collect(),
            stale: &d.stale,
        })
        .collect();
    let out = JsonReport {
        schema_version: JSON_SCHEMA_VERSION,
        fail_on: report.fail_on,
        failed: report.failed(),
        base: report.base.as_deref(),
        counts: report.counts(),
        documents,
    };
    let mut s = serde_json::to_string_pretty(&out)?;
    s.push('\n');
    Ok(s)
}
