//! Request bodies and the content of bodies on either side: media types (without
//! regard to case), their examples and their schemas.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::document::escape;
use crate::model::{Media, Operation};

use super::change::Found;
use super::compare::{requiredness, text_verb};
use super::rules::{Rule, Side};
use super::walk::{Root, Walk};

/// Every change to the request body of an operation.
pub(super) fn request_body(o: &Operation, n: &Operation, out: &mut Vec<Found>) {
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
            requiredness(
                Side::Request,
                "request body",
                &nb.pointer,
                (ob.required, nb.required),
                (
                    Rule::RequestBodyBecameRequired,
                    Rule::RequestBodyBecameOptional,
                ),
                out,
            );
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

/// The content of a request body or response (`subject` names it), media type by media
/// type; `old_base`/`new_base` point at each side's `content`.
pub(super) fn content(
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
                examples(side, &root, &om.examples, &nm.examples, &at, out);
                let empty = json!({});
                let mut found = Vec::new();
                Walk::new(side, root, Root::Body, &mut found).run(
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

/// Named examples (`example`, `examples.*`) of a media type or header at `at`.
pub(super) fn examples(
    side: Side,
    subject: &str,
    o: &[(String, Value)],
    n: &[(String, Value)],
    at: &str,
    out: &mut Vec<Found>,
) {
    let map = |m: &[(String, Value)]| -> BTreeMap<String, Value> { m.iter().cloned().collect() };
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
