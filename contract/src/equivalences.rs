//! The reviewed list of differences the drift check may normalise
//! (`openapi/equivalences.toml`). Nothing is normalised unless it is listed here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The kinds of difference the comparator knows how to normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Documentation-only keywords.
    Annotations,
    /// Security requirements and schemes.
    Security,
    /// dropshot's `4XX`/`5XX` ranges against specific error codes.
    ErrorRanges,
    /// `nullable` on a property that is not required.
    OptionalNullable,
    /// `{allOf: [X]}` (optionally with `nullable`) against `X`.
    AllOfWrapper,
    /// `additionalProperties: true` / `{}` / absent.
    FreeFormObject,
    /// A string `format` stated on one side only.
    StringFormat,
    /// Header names compared case-insensitively.
    HeaderNameCase,
    /// `style`/`explode` equal to the location's default.
    ParameterStyle,
    /// A hand-built response documented by dropshot as `default` `*/*`.
    RawResponse,
    /// A raw request body documented by dropshot as `application/octet-stream`.
    RawRequestBody,
}

impl Kind {
    /// Every kind, with the name used in the file.
    pub const ALL: [(Kind, &'static str); 11] = [
        (Kind::Annotations, "annotations"),
        (Kind::Security, "security"),
        (Kind::ErrorRanges, "error-ranges"),
        (Kind::OptionalNullable, "optional-nullable"),
        (Kind::AllOfWrapper, "allof-wrapper"),
        (Kind::FreeFormObject, "free-form-object"),
        (Kind::StringFormat, "string-format"),
        (Kind::HeaderNameCase, "header-name-case"),
        (Kind::ParameterStyle, "parameter-style"),
        (Kind::RawResponse, "raw-response"),
        (Kind::RawRequestBody, "raw-request-body"),
    ];

    /// The name used in the file.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    equivalence: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    kind: String,
    reason: String,
    operations: Option<Vec<String>>,
}

/// One declared equivalence.
#[derive(Debug, Clone)]
pub struct Equivalence {
    /// What it normalises.
    pub kind: Kind,
    /// Why (shown in reports).
    pub reason: String,
    /// `surface:operationId` pairs it is limited to; `None` means everywhere.
    pub operations: Option<Vec<String>>,
}

/// The declared equivalences, counting how often each was applied.
#[derive(Debug, Default)]
pub struct Equivalences {
    entries: Vec<Equivalence>,
    applied: RefCell<BTreeMap<(Kind, String), usize>>,
}

impl Equivalences {
    /// Reads and validates the file. Unknown kinds, missing reasons and malformed
    /// scopes are errors: a reviewer must be able to trust every entry.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses the TOML text of an equivalences file.
    pub fn parse(text: &str) -> Result<Self> {
        let file: File = toml::from_str(text)?;
        let mut entries = Vec::new();
        for e in file.equivalence {
            let Some(kind) = Kind::parse(&e.kind) else {
                bail!(
                    "unknown equivalence kind {:?}; known kinds: {}",
                    e.kind,
                    Kind::ALL.map(|(_, n)| n).join(", ")
                );
            };
            if e.reason.trim().is_empty() {
                bail!("equivalence {:?} has no reason", e.kind);
            }
            if let Some(ops) = &e.operations {
                for op in ops {
                    if op
                        .split_once(':')
                        .is_none_or(|(s, o)| s.is_empty() || o.is_empty())
                    {
                        bail!(
                            "equivalence {:?}: scope {op:?} is not `surface:operationId`",
                            e.kind
                        );
                    }
                }
            }
            entries.push(Equivalence {
                kind,
                reason: e.reason,
                operations: e.operations,
            });
        }
        Ok(Self {
            entries,
            applied: RefCell::default(),
        })
    }

    /// Every kind, unscoped: for tests and for comparing with no reviewed file at hand.
    pub fn all() -> Self {
        Self {
            entries: Kind::ALL
                .iter()
                .map(|(kind, _)| Equivalence {
                    kind: *kind,
                    reason: "test".into(),
                    operations: None,
                })
                .collect(),
            applied: RefCell::default(),
        }
    }

    /// No equivalences at all: every difference is a finding.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether `kind` is declared for this operation (`scope` = `surface:operationId`).
    pub fn allows(&self, kind: Kind, scope: &str) -> bool {
        self.entries.iter().any(|e| {
            e.kind == kind
                && e.operations
                    .as_ref()
                    .is_none_or(|ops| ops.iter().any(|o| o == scope))
        })
    }

    /// Like [`Self::allows`], and records the use when allowed.
    pub fn apply(&self, kind: Kind, scope: &str) -> bool {
        let ok = self.allows(kind, scope);
        if ok {
            let surface = scope.split(':').next().unwrap_or("").to_owned();
            *self
                .applied
                .borrow_mut()
                .entry((kind, surface))
                .or_default() += 1;
        }
        ok
    }

    /// How often each kind was applied, per surface.
    pub fn applied(&self) -> BTreeMap<(Kind, String), usize> {
        self.applied.borrow().clone()
    }

    /// Declared scopes (`surface:operationId`) that name an operation no surface has:
    /// stale entries a reviewer should remove.
    pub fn unknown_scopes<'a>(&'a self, known: &'a [String]) -> Vec<(Kind, &'a str)> {
        self.entries
            .iter()
            .flat_map(|e| {
                e.operations
                    .iter()
                    .flatten()
                    .filter(|o| !known.contains(o))
                    .map(move |o| (e.kind, o.as_str()))
            })
            .collect()
    }

    /// The declared entries.
    pub fn entries(&self) -> &[Equivalence] {
        &self.entries
    }
}

impl Equivalences {
    /// The applied counters, to undo trial comparisons.
    pub fn snapshot(&self) -> BTreeMap<(Kind, String), usize> {
        self.applied.borrow().clone()
    }

    /// Restores counters taken with [`Self::snapshot`].
    pub fn restore(&self, saved: BTreeMap<(Kind, String), usize>) {
        *self.applied.borrow_mut() = saved;
    }
}
