//! Response headers, response by response: matched by name without regard to case
//! (HTTP field names are case-insensitive), then compared from the side of a client that
//! reads them. A removed header, or one that became optional, breaks clients that read
//! it; a new one is a changelog line.

use crate::model::{Header, Response};

use super::bodies::examples;
use super::change::Found;
use super::compare::{documented, requiredness};
use super::rules::{Rule, Side};
use super::walk::{Root, Walk};

/// Every change to the headers of one response (`subject` names it: `response 302`).
pub(super) fn compare(subject: &str, old: &Response, new: &Response, out: &mut Vec<Found>) {
    for (key, o) in &old.headers {
        match new.headers.get(key) {
            Some(n) => header(subject, o, n, out),
            None => {
                let (rule, kind) = if o.required {
                    (Rule::RequiredResponseHeaderRemoved, "required")
                } else {
                    (Rule::OptionalResponseHeaderRemoved, "optional")
                };
                out.push(Found::new(
                    rule,
                    Side::Response,
                    &o.pointer,
                    format!("{subject}: {kind} header `{}` was removed", o.name),
                ));
            }
        }
    }
    for (key, n) in &new.headers {
        if !old.headers.contains_key(key) {
            let kind = if n.required { "required" } else { "optional" };
            out.push(Found::new(
                Rule::ResponseHeaderAdded,
                Side::Response,
                &n.pointer,
                format!("{subject}: new {kind} header `{}`", n.name),
            ));
        }
    }
}

fn header(subject: &str, o: &Header, n: &Header, out: &mut Vec<Found>) {
    let what = format!("{subject} header `{}`", n.name);
    requiredness(
        Side::Response,
        &what,
        &n.pointer,
        (o.required, n.required),
        (
            Rule::ResponseHeaderBecameRequired,
            Rule::ResponseHeaderBecameOptional,
        ),
        out,
    );
    let (os, ns) = (o.serialization(), n.serialization());
    if os != ns {
        let key = if os.style == ns.style {
            "explode"
        } else {
            "style"
        };
        out.push(Found::new(
            Rule::ResponseHeaderTypeChanged,
            Side::Response,
            format!("{}/{key}", n.pointer),
            format!("{what}: serialization changed from {os} to {ns}"),
        ));
    }
    documented(
        Side::Response,
        &what,
        &n.pointer,
        (&o.description, &n.description),
        (o.deprecated, n.deprecated),
        out,
    );
    examples(
        Side::Response,
        &what,
        &o.examples,
        &n.examples,
        &n.pointer,
        out,
    );
    let schema = format!("{}/schema", n.pointer);
    Walk::new(Side::Response, what, Root::ResponseHeader, out).run(&o.schema, &n.schema, &schema);
}
