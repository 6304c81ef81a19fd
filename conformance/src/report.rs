//! What a conformance run found, for people (terminal, Markdown) and for CI
//! (JSON, JUnit XML).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::compare::Mismatch;

/// The verdict on one example.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// Everything matched.
    Pass,
    /// Something differed or went wrong.
    Fail {
        /// Why, in one line.
        reason: String,
        /// Body differences, with JSON pointers.
        mismatches: Vec<Mismatch>,
    },
    /// Not run here (e.g. needs a spawned server when run against `--base-url`).
    Skip {
        /// Why.
        reason: String,
    },
}

/// The outcome for one example (or for a scenario with no example).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The surface.
    pub surface: String,
    /// The operation.
    pub operation_id: String,
    /// The documented status.
    pub status: String,
    /// The example's name.
    pub example: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Time taken, in milliseconds.
    pub millis: f64,
}

impl Outcome {
    /// `PASS surface operationId status example`, plus details for failures.
    pub fn line(&self) -> String {
        let head = |tag: &str| {
            format!(
                "{tag} {} {} {} {}",
                self.surface, self.operation_id, self.status, self.example
            )
        };
        match &self.verdict {
            Verdict::Pass => head("PASS"),
            Verdict::Skip { reason } => format!("{} ({reason})", head("SKIP")),
            Verdict::Fail { reason, mismatches } => {
                let mut s = format!("{}\n    {reason}", head("FAIL"));
                for m in mismatches {
                    let _ = write!(
                        s,
                        "\n    at {}: {}",
                        if m.pointer.is_empty() {
                            "/"
                        } else {
                            &m.pointer
                        },
                        m.message
                    );
                    if let Some(e) = &m.expected {
                        let _ = write!(s, "\n      expected: {}", short(e));
                    }
                    if let Some(a) = &m.actual {
                        let _ = write!(s, "\n      actual:   {}", short(a));
                    }
                }
                s
            }
        }
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// All outcomes of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// One per example, plus one per scenario that has no example.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Counts of (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for o in &self.outcomes {
            match o.verdict {
                Verdict::Pass => c.0 += 1,
                Verdict::Fail { .. } => c.1 += 1,
                Verdict::Skip { .. } => c.2 += 1,
            }
        }
        c
    }

    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.counts().1 == 0
    }

    /// The terminal summary: one line per example, then the totals.
    pub fn terminal(&self) -> String {
        let mut s: String = self.outcomes.iter().map(|o| o.line() + "\n").collect();
        let (p, f, k) = self.counts();
        let _ = writeln!(s, "{p} passed, {f} failed, {k} skipped");
        s
    }

    /// A Markdown table.
    pub fn markdown(&self) -> String {
        let (p, f, k) = self.counts();
        let mut s = format!("# Conformance\n\n{p} passed, {f} failed, {k} skipped.\n\n| result | surface | operation | status | example | detail |\n|---|---|---|---|---|---|\n");
        for o in &self.outcomes {
            let (tag, detail) = match &o.verdict {
                Verdict::Pass => ("✅ pass", String::new()),
                Verdict::Skip { reason } => ("⏭ skip", reason.clone()),
                Verdict::Fail { reason, mismatches } => {
                    let mut d = reason.clone();
                    for m in mismatches {
                        let _ = write!(d, "<br>`{}`: {}", m.pointer, m.message);
                    }
                    ("❌ fail", d)
                }
            };
            let _ = writeln!(
                s,
                "| {tag} | {} | `{}` | {} | `{}` | {} |",
                o.surface,
                o.operation_id,
                o.status,
                o.example,
                detail.replace('|', "\\|")
            );
        }
        s
    }

    /// JUnit XML: one test suite per surface, one test case per example.
    pub fn junit(&self) -> String {
        let mut surfaces: Vec<&str> = self.outcomes.iter().map(|o| o.surface.as_str()).collect();
        surfaces.dedup();
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"quartet-conformance\">\n");
        for surface in surfaces {
            let cases: Vec<&Outcome> = self
                .outcomes
                .iter()
                .filter(|o| o.surface == surface)
                .collect();
            let failures = cases
                .iter()
                .filter(|o| matches!(o.verdict, Verdict::Fail { .. }))
                .count();
            let skipped = cases
                .iter()
                .filter(|o| matches!(o.verdict, Verdict::Skip { .. }))
                .count();
            let _ = writeln!(s, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">", xml(surface), cases.len());
            for o in cases {
                let name = xml(&format!("{} {} {}", o.operation_id, o.status, o.example));
                let _ = write!(
                    s,
                    "    <testcase classname=\"{}\" name=\"{name}\" time=\"{:.3}\"",
                    xml(surface),
                    o.millis / 1000.0
                );
                match &o.verdict {
                    Verdict::Pass => s.push_str("/>\n"),
                    Verdict::Skip { reason } => {
                        let _ = writeln!(s, "><skipped message=\"{}\"/></testcase>", xml(reason));
                    }
                    Verdict::Fail { reason, .. } => {
                        let _ = writeln!(
                            s,
                            "><failure message=\"{}\">{}</failure></testcase>",
                            xml(reason),
                            xml(&o.line())
                        );
                    }
                }
            }
            s.push_str("  </testsuite>\n");
        }
        s.push_str("</testsuites>\n");
        s
    }

    /// Writes `conformance.json`, `conformance.xml` (JUnit) and `conformance.md` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("conformance.json"),
            serde_json::to_string_pretty(self).expect("reports serialise"),
        )?;
        std::fs::write(dir.join("conformance.xml"), self.junit())?;
        std::fs::write(dir.join("conformance.md"), self.markdown())
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
