//! Security requirements, operation by operation: which ways of authenticating an
//! operation accepts. Requirements are alternatives (any one suffices), each a set of
//! schemes (all needed) with their scopes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::change::Found;
use super::rules::{Rule, Side};

/// One way of authenticating: every scheme in it, with its scopes (all required together).
type Alternative = BTreeMap<String, BTreeSet<String>>;

/// The alternatives a `security` value accepts; the empty alternative means "anonymous".
fn alternatives(v: Option<&Value>) -> BTreeSet<Alternative> {
    let mut out = BTreeSet::new();
    match v.and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for req in list {
                let alt: Alternative = req
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(scheme, scopes)| {
                                let scopes = scopes
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(Value::as_str)
                                            .map(str::to_owned)
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                (scheme.clone(), scopes)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(alt);
            }
        }
        _ => {
            out.insert(Alternative::new());
        }
    }
    out
}

fn describe_alternative(alt: &Alternative) -> String {
    if alt.is_empty() {
        return "anonymous".to_owned();
    }
    alt.iter()
        .map(|(scheme, scopes)| {
            if scopes.is_empty() {
                format!("`{scheme}`")
            } else {
                let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                format!("`{scheme}` ({})", scopes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn describe_alternatives<'a>(alts: impl IntoIterator<Item = &'a Alternative>) -> String {
    alts.into_iter()
        .map(describe_alternative)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Old scheme names and the names the new document gives the same definitions.
pub(super) type Renames = BTreeMap<String, String>;

/// Whether a `security` value names `scheme` in any of its alternatives.
pub(super) fn names(security: Option<&Value>, scheme: &str) -> bool {
    alternatives(security)
        .iter()
        .any(|alt| alt.contains_key(scheme))
}

/// The alternatives of the old document, its renamed schemes spelled the new way.
fn renamed(old: Option<&Value>, renames: &Renames) -> BTreeSet<Alternative> {
    alternatives(old)
        .into_iter()
        .map(|alt| {
            alt.into_iter()
                .map(|(scheme, scopes)| (renames.get(&scheme).cloned().unwrap_or(scheme), scopes))
                .collect()
        })
        .collect()
}

/// The change of an operation's security requirements, `old` to `new` (the `security` that
/// applies on each side; `ptr` points at the new one). A client keeps working as long as
/// the alternative it uses is still accepted, so what matters is which old alternatives
/// survive. A scheme renamed with its definition unchanged (`renames`) is the same scheme.
pub(super) fn compare(
    old: Option<&Value>,
    new: Option<&Value>,
    renames: &Renames,
    ptr: &str,
    out: &mut Vec<Found>,
) {
    let (a, b) = (renamed(old, renames), alternatives(new));
    if a == b {
        return;
    }
    let anonymous = Alternative::new();
    let (was_public, is_public) = (a.contains(&anonymous), b.contains(&anonymous));
    let push = |out: &mut Vec<Found>, rule, message: String| {
        out.push(Found::new(rule, Side::Request, ptr, message));
    };
    let gone: Vec<&Alternative> = a.difference(&b).filter(|x| !x.is_empty()).collect();
    let added: Vec<&Alternative> = b.difference(&a).filter(|x| !x.is_empty()).collect();
    match (was_public, is_public) {
        (true, false) => push(
            out,
            Rule::SecurityRequirementAdded,
            format!(
                "the operation was public and now requires {}",
                describe_alternatives(b.iter())
            ),
        ),
        (false, true) => push(
            out,
            Rule::SecurityRequirementRemoved,
            "the operation no longer requires credentials".to_owned(),
        ),
        _ => {}
    }
    if is_public {
        // Anonymous calls work; no credential a client sends can make it fail.
        return;
    }
    if !gone.is_empty() && !was_public {
        push(
            out,
            Rule::SecurityRequirementChanged,
            format!(
                "no longer accepted: {}; now accepted: {}",
                describe_alternatives(gone.iter().copied()),
                describe_alternatives(b.iter())
            ),
        );
    } else if !added.is_empty() && !was_public {
        push(
            out,
            Rule::SecurityAlternativeAdded,
            format!(
                "also accepted now: {}",
                describe_alternatives(added.iter().copied())
            ),
        );
    }
}
