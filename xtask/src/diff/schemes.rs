//! Security schemes (`components.securitySchemes`): what a credential is and where it
//! goes. A scheme is shared by the operations that require it, so a change to it is
//! reported once, at the document level, with those operations (`used by`), and judged
//! by what it does to their clients. A change to a scheme no operation requires affects
//! no client: it is [`Rule::SecuritySchemeUnusedChanged`], whatever it is.
//!
//! A scheme that disappears while another appears with the same definition was renamed:
//! the old document's requirements are read with the new name (see [`Renames`]), so the
//! rename alone changes nothing on any operation.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::document::{escape, pointer};
use crate::model::Contract;
use crate::wire::header_key;

use super::change::{Change, Found, OpRef};
use super::rules::Rule;
use super::security::{self, Renames};
use super::servers::same_url;
use super::walk::show;

/// The keys of a Security Scheme Object the comparison reads; another key that changed
/// (other than `x-*`) is [`Rule::SchemaKeywordChanged`].
const SCHEME_KEYS: [&str; 8] = [
    "type",
    "description",
    "name",
    "in",
    "scheme",
    "bearerFormat",
    "flows",
    "openIdConnectUrl",
];

/// The keys of an OAuth Flow Object the comparison reads.
const FLOW_KEYS: [&str; 4] = ["authorizationUrl", "tokenUrl", "refreshUrl", "scopes"];

/// The URLs of an OAuth flow and the rule a change to each is.
const FLOW_URLS: [(&str, Rule); 3] = [
    ("authorizationUrl", Rule::OAuthAuthorizationUrlChanged),
    ("tokenUrl", Rule::OAuthTokenUrlChanged),
    ("refreshUrl", Rule::OAuthRefreshUrlChanged),
];

/// Every document-level change to the security schemes of `old` → `new`, and the schemes
/// renamed with their definition unchanged.
pub(super) fn compare(old: &Contract, new: &Contract) -> (Vec<Change>, Renames) {
    let (os, ns) = (&old.security_schemes, &new.security_schemes);
    let mut added: Vec<&String> = ns.keys().filter(|k| !os.contains_key(*k)).collect();
    let mut renames = Renames::new();
    for (name, o) in os {
        // A scheme the new document still requires was not renamed, whatever appeared.
        if ns.contains_key(name) || !users(new, name).is_empty() {
            continue;
        }
        if let Some(i) = added.iter().position(|a| same_wire(o, &ns[*a])) {
            renames.insert(name.clone(), added.remove(i).clone());
        }
    }
    let mut out = Vec::new();
    for (name, o) in os {
        if let Some(n) = ns.get(name) {
            changed(name, o, n, users(new, name), &mut out);
        } else if let Some(to) = renames.get(name) {
            let used = users(new, to);
            let message =
                format!("security scheme `{name}` renamed to `{to}`, definition unchanged");
            out.push(
                Found::request(Rule::SecuritySchemeRenamed, at(to), message).shared(used.clone()),
            );
            changed(to, o, &ns[to], used, &mut out);
        } else {
            let used = users(new, name);
            let (rule, why) = if used.is_empty() {
                (
                    Rule::SecuritySchemeUnusedChanged,
                    "no operation requires it any more",
                )
            } else {
                (Rule::SecuritySchemeRemoved, "operations still require it")
            };
            let message = format!("security scheme `{name}` was removed; {why}");
            out.push(Found::request(rule, at(name), message).shared(used));
        }
    }
    for name in added {
        let kind = ns[name].get("type").and_then(Value::as_str).unwrap_or("?");
        let message = format!("new security scheme `{name}` (`{kind}`)");
        out.push(
            Found::request(Rule::SecuritySchemeAdded, at(name), message).shared(users(new, name)),
        );
    }
    (out, renames)
}

/// The operations of `c`, in path order, whose `security` names `scheme`.
fn users(c: &Contract, scheme: &str) -> Vec<OpRef> {
    c.operations
        .values()
        .filter(|op| security::names(c.security_of(op), scheme))
        .map(OpRef::of)
        .collect()
}

/// The pointer of scheme `name`.
fn at(name: &str) -> String {
    pointer(["components", "securitySchemes", name])
}

fn is_documentation(rule: Rule) -> bool {
    matches!(rule, Rule::DescriptionChanged | Rule::AnnotationChanged)
}

/// Whether two definitions read alike on the wire (they may differ in documentation).
fn same_wire(a: &Value, b: &Value) -> bool {
    let mut found = Vec::new();
    scheme("", a, b, "", &mut found);
    found.iter().all(|f| is_documentation(f.rule))
}

/// The changes to scheme `name`, defined on both sides, used by `used`.
fn changed(name: &str, o: &Value, n: &Value, used: Vec<OpRef>, out: &mut Vec<Change>) {
    let mut found = Vec::new();
    scheme(name, o, n, &at(name), &mut found);
    for mut f in found {
        if used.is_empty() && !is_documentation(f.rule) {
            f.rule = Rule::SecuritySchemeUnusedChanged;
            f.message.push_str(" (no operation requires it)");
        }
        out.push(f.shared(used.clone()));
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn object(v: &Value, key: &str) -> Map<String, Value> {
    v.get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The directional comparison of one scheme, at `ptr`.
fn scheme(name: &str, o: &Value, n: &Value, ptr: &str, out: &mut Vec<Found>) {
    let subject = format!("security scheme `{name}`");
    let push = |out: &mut Vec<Found>, rule, key: &str, what: String| {
        out.push(Found::request(
            rule,
            format!("{ptr}/{key}"),
            format!("{subject}: {what}"),
        ));
    };
    if text(o, "description") != text(n, "description") {
        push(
            out,
            Rule::DescriptionChanged,
            "description",
            "description changed".to_owned(),
        );
    }
    others(&subject, o, n, &SCHEME_KEYS, ptr, out);
    let (ot, nt) = (text(o, "type"), text(n, "type"));
    if ot != nt {
        let what = format!("type changed from {} to {}", quoted(ot), quoted(nt));
        push(out, Rule::SecuritySchemeTypeChanged, "type", what);
        return;
    }
    match ot {
        Some("apiKey") => {
            let place = |v: &Value| {
                let location = text(v, "in").unwrap_or("");
                let key = text(v, "name").unwrap_or("");
                let folded = if location == "header" {
                    header_key(key)
                } else {
                    key.to_owned()
                };
                (location.to_owned(), key.to_owned(), folded)
            };
            let ((oi, on, of), (ni, nn, nf)) = (place(o), place(n));
            if (&oi, &of) != (&ni, &nf) {
                let key = if oi == ni { "name" } else { "in" };
                let what = format!("the key moved from {oi} `{on}` to {ni} `{nn}`");
                push(out, Rule::SecuritySchemeApiKeyChanged, key, what);
            }
        }
        Some("http") => {
            let lower = |v: &Value| text(v, "scheme").map(str::to_ascii_lowercase);
            if lower(o) != lower(n) {
                let what = format!(
                    "HTTP scheme changed from {} to {}",
                    quoted(text(o, "scheme")),
                    quoted(text(n, "scheme"))
                );
                push(out, Rule::SecuritySchemeHttpSchemeChanged, "scheme", what);
            }
            let (of, nf) = (text(o, "bearerFormat"), text(n, "bearerFormat"));
            if of != nf {
                let what = format!(
                    "bearer format changed from {} to {}",
                    quoted(of),
                    quoted(nf)
                );
                push(
                    out,
                    Rule::SecuritySchemeBearerFormatChanged,
                    "bearerFormat",
                    what,
                );
            }
        }
        Some("oauth2") => flows(&subject, o, n, ptr, out),
        Some("openIdConnect") => {
            let (ou, nu) = (text(o, "openIdConnectUrl"), text(n, "openIdConnectUrl"));
            if !same_url(ou, nu) {
                let what = format!(
                    "`openIdConnectUrl` changed from {} to {}",
                    quoted(ou),
                    quoted(nu)
                );
                push(out, Rule::OpenIdConnectUrlChanged, "openIdConnectUrl", what);
            }
        }
        _ => {}
    }
}

/// OAuth flows: which exist, their URLs and their scopes.
fn flows(subject: &str, o: &Value, n: &Value, ptr: &str, out: &mut Vec<Found>) {
    let (of, nf) = (object(o, "flows"), object(n, "flows"));
    let names: BTreeSet<&String> = of.keys().chain(nf.keys()).collect();
    for flow in names {
        let at = format!("{ptr}/flows/{}", escape(flow));
        let subject = format!("{subject}, flow `{flow}`");
        let (a, b) = match (of.get(flow), nf.get(flow)) {
            (Some(a), Some(b)) => (a, b),
            (Some(_), None) => {
                let message = format!("{subject} was removed");
                out.push(Found::request(Rule::OAuthFlowRemoved, at, message));
                continue;
            }
            (None, _) => {
                let message = format!("{subject} is new");
                out.push(Found::request(Rule::OAuthFlowAdded, at, message));
                continue;
            }
        };
        for (key, rule) in FLOW_URLS {
            let (x, y) = (text(a, key), text(b, key));
            if !same_url(x, y) {
                let message = format!(
                    "{subject}: `{key}` changed from {} to {}",
                    quoted(x),
                    quoted(y)
                );
                out.push(Found::request(rule, format!("{at}/{key}"), message));
            }
        }
        let (sa, sb) = (object(a, "scopes"), object(b, "scopes"));
        for (scope, description) in &sa {
            let scope_at = format!("{at}/scopes/{}", escape(scope));
            match sb.get(scope) {
                None => {
                    let message = format!("{subject}: scope `{scope}` was removed");
                    out.push(Found::request(Rule::OAuthScopeRemoved, scope_at, message));
                }
                Some(d) if d != description => {
                    let message = format!("{subject}: scope `{scope}`: description changed");
                    out.push(Found::request(Rule::DescriptionChanged, scope_at, message));
                }
                Some(_) => {}
            }
        }
        for scope in sb.keys().filter(|s| !sa.contains_key(*s)) {
            let scope_at = format!("{at}/scopes/{}", escape(scope));
            let message = format!("{subject}: new scope `{scope}`");
            out.push(Found::request(Rule::OAuthScopeAdded, scope_at, message));
        }
        others(&subject, a, b, &FLOW_KEYS, &at, out);
    }
}

/// Keys outside `known` that changed: `x-*` extensions are annotations; anything else is
/// not classified, so it is reported for review.
fn others(subject: &str, o: &Value, n: &Value, known: &[&str], ptr: &str, out: &mut Vec<Found>) {
    let empty = Map::new();
    let (a, b) = (
        o.as_object().unwrap_or(&empty),
        n.as_object().unwrap_or(&empty),
    );
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        if known.contains(&key.as_str()) || a.get(key) == b.get(key) {
            continue;
        }
        let (x, y) = (show(a.get(key)), show(b.get(key)));
        let (rule, message) = if key.starts_with("x-") {
            let message = format!("{subject}: `{key}` changed from {x} to {y}");
            (Rule::AnnotationChanged, message)
        } else {
            let message =
                format!("{subject}: `{key}` changed from {x} to {y} (not classified by the diff)");
            (Rule::SchemaKeywordChanged, message)
        };
        let at = format!("{ptr}/{}", escape(key));
        out.push(Found::request(rule, at, message));
    }
}

fn quoted(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("`{s}`"),
        None => "none".to_owned(),
    }
}
