//! The directional comparison of two contracts, old → new: what operations share
//! (security schemes, servers), then operation by operation their security, parameters,
//! request bodies and responses. Schemas are handed to [`super::walk`].
//!
//! Both documents are read with [`Contract::from_document`], the model the drift check
//! uses, so `$ref`s are resolved the same way and a change of component names or layout
//! alone is never a change.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::document::Document;
use crate::model::{Contract, OpKey, Operation};

use super::change::{Change, Found};
use super::rules::{Rule, Side};
use super::security::Renames;
use super::walk::show;
use super::{bodies, parameters, responses, schemes, security, servers};

/// Every change from `old` to `new`: document-level changes first (security schemes,
/// inherited servers, each with the operations it concerns), then changes grouped by
/// operation (in path order); the most serious first within each group. A document that
/// does not exist on one side is passed as an empty one (`{}`): every operation in the
/// other is then added or removed, and nothing they share is compared.
pub fn compare(old: &Document, new: &Document) -> Vec<Change> {
    let old_c = Contract::from_document(old);
    let new_c = Contract::from_document(new);
    let both = !is_absent(old) && !is_absent(new);
    let (mut shared, renames) = if both {
        schemes::compare(&old_c, &new_c)
    } else {
        (Vec::new(), Renames::new())
    };
    let mut inherited_servers = servers::Shared::default();
    let by_template = |c: &Contract| -> BTreeMap<(String, String), OpKey> {
        c.operations
            .keys()
            .map(|k| ((k.template(), k.method.clone()), k.clone()))
            .collect()
    };
    let (old_t, new_t) = (by_template(&old_c), by_template(&new_c));
    let old_paths: BTreeSet<String> = old_t.keys().map(|(t, _)| t.clone()).collect();
    let new_paths: BTreeSet<String> = new_t.keys().map(|(t, _)| t.clone()).collect();

    let mut groups: BTreeMap<OpKey, Vec<Change>> = BTreeMap::new();
    for (t, okey) in &old_t {
        let oop = &old_c.operations[okey];
        match new_t.get(t) {
            Some(nkey) => {
                let nop = &new_c.operations[nkey];
                let mut found = compare_operation(&old_c, oop, &new_c, nop, &renames);
                found.extend(inherited_servers.add(&old_c, oop, &new_c, nop));
                groups
                    .entry(nkey.clone())
                    .or_default()
                    .extend(found.into_iter().map(|f| f.on(nop)));
            }
            None => {
                let gone = !new_paths.contains(&t.0);
                let (rule, what) = if gone {
                    (Rule::PathRemoved, "path")
                } else {
                    (Rule::OperationRemoved, "operation")
                };
                let deprecated = if oop.deprecated {
                    " (it was deprecated)"
                } else {
                    " without deprecation"
                };
                let found = Found::new(
                    rule,
                    Side::Request,
                    &oop.pointer,
                    format!("{what} removed{deprecated}"),
                );
                groups.entry(okey.clone()).or_default().push(found.on(oop));
            }
        }
    }
    for (t, nkey) in &new_t {
        if old_t.contains_key(t) {
            continue;
        }
        let nop = &new_c.operations[nkey];
        let what = if old_paths.contains(&t.0) {
            "new operation"
        } else {
            "new operation on a new path"
        };
        let found = Found::new(Rule::OperationAdded, Side::Request, &nop.pointer, what);
        groups.entry(nkey.clone()).or_default().push(found.on(nop));
    }
    shared.extend(inherited_servers.changes());
    let mut out = Vec::new();
    for mut changes in std::iter::once(shared).chain(groups.into_values()) {
        changes.sort_by_key(|c| std::cmp::Reverse(c.severity()));
        out.extend(changes);
    }
    out
}

/// Whether `doc` stands for a document that does not exist on its side (`{}`).
fn is_absent(doc: &Document) -> bool {
    doc.value.as_object().is_some_and(|m| m.is_empty())
}

fn compare_operation(
    old_c: &Contract,
    o: &Operation,
    new_c: &Contract,
    n: &Operation,
    renames: &Renames,
) -> Vec<Found> {
    let mut out = Vec::new();
    let at = |k: &str| format!("{}/{k}", n.pointer);
    if o.operation_id != n.operation_id {
        out.push(Found::new(
            Rule::OperationIdChanged,
            Side::Request,
            at("operationId"),
            format!(
                "operationId changed from {} to {}: the generated client method is renamed",
                show_id(&o.operation_id),
                show_id(&n.operation_id)
            ),
        ));
    }
    for (key, a, b) in [
        ("summary", &o.summary, &n.summary),
        ("description", &o.description, &n.description),
    ] {
        if a != b {
            out.push(Found::new(
                Rule::DescriptionChanged,
                Side::Request,
                at(key),
                format!("operation {key} {}", text_verb(a, b)),
            ));
        }
    }
    if o.deprecated != n.deprecated {
        out.push(Found::new(
            Rule::DeprecationChanged,
            Side::Request,
            at("deprecated"),
            if n.deprecated {
                "operation is now deprecated"
            } else {
                "operation is no longer deprecated"
            },
        ));
    }
    let tag_set = |op: &Operation| op.tags.iter().cloned().collect::<BTreeSet<String>>();
    if tag_set(o) != tag_set(n) {
        out.push(Found::new(
            Rule::TagsChanged,
            Side::Request,
            at("tags"),
            format!(
                "tags changed from {} to {}",
                show(Some(&json!(o.tags))),
                show(Some(&json!(n.tags)))
            ),
        ));
    }
    let security_ptr = if n.security.is_some() {
        at("security")
    } else {
        "/security".to_owned()
    };
    security::compare(
        old_c.security_of(o),
        new_c.security_of(n),
        renames,
        &security_ptr,
        &mut out,
    );
    parameters::parameters(o, n, &mut out);
    bodies::request_body(o, n, &mut out);
    responses::responses(o, n, &mut out);
    out
}

fn show_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|s| format!("`{s}`"))
        .unwrap_or_else(|| "none".to_owned())
}

/// `added`, `removed` or `changed`, for an optional text such as a description.
pub(super) fn text_verb(a: &Option<String>, b: &Option<String>) -> &'static str {
    match (a, b) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ => "changed",
    }
}

/// `required` of a request body, parameter or header (`what`) at `base`, when it changed:
/// `rules` are the rules for "became required" and "became optional".
pub(super) fn requiredness(
    side: Side,
    what: &str,
    base: &str,
    (was, is): (bool, bool),
    rules: (Rule, Rule),
    out: &mut Vec<Found>,
) {
    if was == is {
        return;
    }
    let (rule, state) = if is {
        (rules.0, "required")
    } else {
        (rules.1, "optional")
    };
    out.push(Found::new(
        rule,
        side,
        format!("{base}/required"),
        format!("{what} became {state}"),
    ));
}

/// The `description` and `deprecated` of a parameter or header (`what`) at `base`.
pub(super) fn documented(
    side: Side,
    what: &str,
    base: &str,
    description: (&Option<String>, &Option<String>),
    deprecated: (bool, bool),
    out: &mut Vec<Found>,
) {
    let (a, b) = description;
    if a != b {
        out.push(Found::new(
            Rule::DescriptionChanged,
            side,
            format!("{base}/description"),
            format!("{what}: description {}", text_verb(a, b)),
        ));
    }
    if deprecated.0 != deprecated.1 {
        let state = if deprecated.1 {
            "is now"
        } else {
            "is no longer"
        };
        out.push(Found::new(
            Rule::DeprecationChanged,
            side,
            format!("{base}/deprecated"),
            format!("{what} {state} deprecated"),
        ));
    }
}
