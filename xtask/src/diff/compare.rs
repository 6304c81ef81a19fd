//! The directional comparison of two contracts, old → new: operations, security,
//! parameters, request bodies and responses. Schemas are handed to [`super::walk`].
//!
//! Both documents are read with [`Contract::from_document`], the model the drift check
//! uses, so `$ref`s are resolved the same way and a change of component names or layout
//! alone is never a change.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::document::{escape, Document};
use crate::model::{Contract, Media, OpKey, Operation, Parameter};
use crate::wire::{covering, find_status, ParamKey};

use super::change::{Change, Found};
use super::rules::{Rule, Side};
use super::walk::{show, Walk};

/// Every change from `old` to `new`, grouped by operation (in path order), the most
/// serious first within an operation. A document that does not exist on one side is
/// passed as an empty one (`{}`): everything in the other is then added or removed.
pub fn compare(old: &Document, new: &Document) -> Vec<Change> {
    let old_c = Contract::from_document(old);
    let new_c = Contract::from_document(new);
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
                let found = compare_operation(&old_c, oop, &new_c, nop);
                groups
                    .entry(nkey.clone())
                    .or_default()
                    .extend(attach(nop, found));
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
                groups
                    .entry(okey.clone())
                    .or_default()
                    .extend(attach(oop, vec![found]));
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
        groups
            .entry(nkey.clone())
            .or_default()
            .extend(attach(nop, vec![found]));
    }
    let mut out = Vec::new();
    for (_, mut changes) in groups {
        changes.sort_by_key(|c| std::cmp::Reverse(c.severity()));
        out.extend(changes);
    }
    out
}

fn attach(op: &Operation, found: Vec<Found>) -> impl Iterator<Item = Change> + '_ {
    found.into_iter().map(move |f| Change {
        rule: f.rule,
        side: f.side,
        operation: op.key.clone(),
        operation_id: op.operation_id.clone(),
        pointer: f.pointer,
        message: f.message,
        accepted: None,
    })
}

fn compare_operation(
    old_c: &Contract,
    o: &Operation,
    new_c: &Contract,
    n: &Operation,
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
    security(
        old_c.security_of(o),
        new_c.security_of(n),
        &security_ptr,
        &mut out,
    );
    parameters(o, n, &mut out);
    request_body(o, n, &mut out);
    responses(o, n, &mut out);
    out
}

fn show_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|s| format!("`{s}`"))
        .unwrap_or_else(|| "none".to_owned())
}

fn text_verb(a: &Option<String>, b: &Option<String>) -> &'static str {
    match (a, b) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ => "changed",
    }
}

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

/// Security requirements are alternatives (any one suffices), each a set of schemes
/// (all needed). A client keeps working as long as the alternative it uses is still
/// accepted, so what matters is which old alternatives survive.
fn security(old: Option<&Value>, new: Option<&Value>, ptr: &str, out: &mut Vec<Found>) {
    let (a, b) = (alternatives(old), alternatives(new));
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

/// How parameters are matched: [`Parameter::key`] (header names without regard to case),
/// except that path parameters match by their position in the template, so a rename is
/// seen as one.
fn param_key(op: &Operation, p: &Parameter) -> ParamKey {
    let position = (p.location == "path")
        .then(|| op.key.path_parameters().iter().position(|n| n == &p.name))
        .flatten();
    match position {
        Some(i) => ParamKey::exact("path", &format!("#{i}")),
        None => p.key(),
    }
}

fn parameters(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
    let find = |op: &Operation, key: &ParamKey| -> Option<Parameter> {
        op.parameters
            .iter()
            .find(|p| &param_key(op, p) == key)
            .cloned()
    };
    for op_param in &o.parameters {
        let key = param_key(o, op_param);
        let what = format!("{} parameter `{}`", op_param.location, op_param.name);
        match find(n, &key) {
            None => out.push(Found::new(
                Rule::ParameterRemoved,
                Side::Request,
                &op_param.pointer,
                format!("{what} was removed"),
            )),
            Some(np) => parameter(op_param, &np, out),
        }
    }
    for np in &n.parameters {
        let key = param_key(n, np);
        if find(o, &key).is_some() {
            continue;
        }
        let what = format!("{} parameter `{}`", np.location, np.name);
        let (rule, message) = if np.required {
            (Rule::NewRequiredParameter, format!("new required {what}"))
        } else {
            (Rule::NewOptionalParameter, format!("new optional {what}"))
        };
        out.push(Found::new(rule, Side::Request, &np.pointer, message));
    }
}

fn parameter(o: &Parameter, n: &Parameter, out: &mut Vec<Found>) {
    let what = format!("{} parameter `{}`", n.location, n.name);
    let at = |k: &str| format!("{}/{k}", n.pointer);
    if o.location == "path" && o.name != n.name {
        out.push(Found::new(
            Rule::PathParameterRenamed,
            Side::Request,
            at("name"),
            format!(
                "path parameter `{}` renamed to `{}`: the generated client's argument is renamed",
                o.name, n.name
            ),
        ));
    }
    if o.required != n.required {
        let (rule, state) = if n.required {
            (Rule::ParameterBecameRequired, "required")
        } else {
            (Rule::ParameterBecameOptional, "optional")
        };
        out.push(Found::new(
            rule,
            Side::Request,
            at("required"),
            format!("{what} became {state}"),
        ));
    }
    let (os, ns) = (o.serialization(), n.serialization());
    if os != ns {
        out.push(Found::new(
            Rule::ParameterStyleChanged,
            Side::Request,
            at("style"),
            format!("{what}: serialization changed from {os} to {ns}"),
        ));
    }
    if o.description != n.description {
        out.push(Found::new(
            Rule::DescriptionChanged,
            Side::Request,
            at("description"),
            format!(
                "{what}: description {}",
                text_verb(&o.description, &n.description)
            ),
        ));
    }
    if o.example != n.example {
        out.push(Found::new(
            Rule::ExampleChanged,
            Side::Request,
            at("example"),
            format!(
                "{what}: example changed from {} to {}",
                show(o.example.as_ref()),
                show(n.example.as_ref())
            ),
        ));
    }
    if o.deprecated != n.deprecated {
        let state = if n.deprecated {
            "is now"
        } else {
            "is no longer"
        };
        out.push(Found::new(
            Rule::DeprecationChanged,
            Side::Request,
            at("deprecated"),
            format!("{what} {state} deprecated"),
        ));
    }
    let mut found = Vec::new();
    Walk::new(Side::Request, what, true, &mut found).run(&o.schema, &n.schema, &at("schema"));
    out.extend(found);
}

fn request_body(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
    match (&o.request_body, &n.request_body) {
        (None, None) => {}
        (Some(ob), None) => out.push(Found::new(
            Rule::RequestBodyRemoved,
            Side::Request,
            &ob.pointer,
            "request body was removed",
        )),
        (None, Some(nb)) => {
            let (rule, state) = if nb.required {
                (Rule::NewRequiredRequestBody, "required")
            } else {
                (Rule::NewOptionalRequestBody, "optional")
            };
            out.push(Found::new(
                rule,
                Side::Request,
                &nb.pointer,
                format!("new {state} request body"),
            ));
        }
        (Some(ob), Some(nb)) => {
            if ob.required != nb.required {
                let (rule, state) = if nb.required {
                    (Rule::RequestBodyBecameRequired, "required")
                } else {
                    (Rule::RequestBodyBecameOptional, "optional")
                };
                out.push(Found::new(
                    rule,
                    Side::Request,
                    format!("{}/required", nb.pointer),
                    format!("request body became {state}"),
                ));
            }
            if ob.description != nb.description {
                out.push(Found::new(
                    Rule::DescriptionChanged,
                    Side::Request,
                    format!("{}/description", nb.pointer),
                    format!(
                        "request body: description {}",
                        text_verb(&ob.description, &nb.description)
                    ),
                ));
            }
            content(
                Side::Request,
                "request body",
                &ob.content,
                &nb.content,
                &format!("{}/content", ob.pointer),
                &format!("{}/content", nb.pointer),
                out,
            );
        }
    }
}

fn content(
    side: Side,
    subject: &str,
    old: &BTreeMap<String, Media>,
    new: &BTreeMap<String, Media>,
    old_base: &str,
    new_base: &str,
    out: &mut Vec<Found>,
) {
    let lower = |m: &BTreeMap<String, Media>| -> BTreeMap<String, (String, Media)> {
        m.iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (k.clone(), v.clone())))
            .collect()
    };
    let (o, n) = (lower(old), lower(new));
    let several = o.len().max(n.len()) > 1;
    let types: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    let (removed, added) = match side {
        Side::Request => (Rule::RequestMediaTypeRemoved, Rule::RequestMediaTypeAdded),
        Side::Response => (Rule::ResponseMediaTypeRemoved, Rule::ResponseMediaTypeAdded),
    };
    for t in types {
        match (o.get(t), n.get(t)) {
            (Some((name, _)), None) => out.push(Found::new(
                removed,
                side,
                format!("{old_base}/{}", escape(name)),
                format!("{subject}: media type `{name}` was removed"),
            )),
            (None, Some((name, _))) => out.push(Found::new(
                added,
                side,
                format!("{new_base}/{}", escape(name)),
                format!("{subject}: new media type `{name}`"),
            )),
            (Some((_, om)), Some((name, nm))) => {
                let at = format!("{new_base}/{}", escape(name));
                let body = match side {
                    Side::Request => subject.to_owned(),
                    Side::Response => format!("{subject} body"),
                };
                let root = if several {
                    format!("{body} (`{name}`)")
                } else {
                    body
                };
                examples(side, &root, om, nm, &at, out);
                let empty = json!({});
                let mut found = Vec::new();
                Walk::new(side, root, false, &mut found).run(
                    om.schema.as_ref().unwrap_or(&empty),
                    nm.schema.as_ref().unwrap_or(&empty),
                    &format!("{at}/schema"),
                );
                out.extend(found);
            }
            (None, None) => {}
        }
    }
}

fn examples(side: Side, subject: &str, o: &Media, n: &Media, at: &str, out: &mut Vec<Found>) {
    let map = |m: &Media| -> BTreeMap<String, Value> { m.examples.iter().cloned().collect() };
    let (a, b) = (map(o), map(n));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (x, y) = (a.get(name), b.get(name));
        if x == y {
            continue;
        }
        let ptr = if name == "example" {
            format!("{at}/example")
        } else {
            format!("{at}/examples/{}", escape(name))
        };
        let verb = match (x, y) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        };
        out.push(Found::new(
            Rule::ExampleChanged,
            side,
            ptr,
            format!("{subject}: example `{name}` {verb}"),
        ));
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn responses(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
    for (status, or) in &o.responses {
        // A specific code now covered by its range (`404` → `4XX`) is compared with the range.
        let Some(nr) = covering(&n.responses, status) else {
            let (rule, kind) = if is_success(status) {
                (Rule::SuccessStatusRemoved, "success")
            } else {
                (Rule::NonSuccessStatusRemoved, "non-success")
            };
            out.push(Found::new(
                rule,
                Side::Response,
                &or.pointer,
                format!("{kind} status {status} was removed"),
            ));
            continue;
        };
        let subject = format!("response {status}");
        if or.description != nr.description {
            out.push(Found::new(
                Rule::DescriptionChanged,
                Side::Response,
                format!("{}/description", nr.pointer),
                format!(
                    "{subject}: description {}",
                    text_verb(&or.description, &nr.description)
                ),
            ));
        }
        content(
            Side::Response,
            &subject,
            &or.content,
            &nr.content,
            &format!("{}/content", or.pointer),
            &format!("{}/content", nr.pointer),
            out,
        );
    }
    for (status, nr) in &n.responses {
        if find_status(&o.responses, status).is_some() {
            continue;
        }
        let (rule, kind) = if is_success(status) {
            (Rule::SuccessStatusAdded, "success")
        } else {
            (Rule::NonSuccessStatusAdded, "non-success")
        };
        out.push(Found::new(
            rule,
            Side::Response,
            &nr.pointer,
            format!("new {kind} status {status}"),
        ));
    }
}
