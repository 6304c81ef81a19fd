//! Servers: where clients send their requests. The servers that apply to an operation are
//! its own (or its path item's), else the document's, else `/`. Each list is read as the
//! base URLs it admits (every value of an enumerated variable, the default of any other),
//! compared without regard to the case of scheme and host, a default port or a trailing
//! `/`, so rewriting a URL without changing where it leads is not a change.
//!
//! Servers an operation inherits are shared: a change to them is reported once, at the
//! document level, with every operation that inherits them; servers written on the
//! operation itself are its own.

use serde_json::Value;

use crate::model::{Contract, Operation, Servers};

use super::change::{Change, Found, OpRef};
use super::rules::Rule;

/// How many URLs one server may expand to before only its defaults are read.
const MAX_URLS: usize = 64;

/// Whether two URLs (either absent) lead to the same place; see [`normalize`].
pub(super) fn same_url(a: Option<&str>, b: Option<&str>) -> bool {
    a.map(normalize) == b.map(normalize)
}

/// A URL in the form it is compared in: scheme and authority in lower case, without the
/// scheme's default port; the path as written, without a trailing `/` (so `/` is empty).
fn normalize(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.trim_end_matches('/').to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest[..end].to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let authority = match authority.strip_suffix(default_port) {
        Some(a) if !default_port.is_empty() => a,
        _ => authority.as_str(),
    };
    let path = rest[end..].trim_end_matches('/');
    format!("{scheme}://{authority}{path}")
}

/// `(scheme and authority, path)` of a normalised URL; a relative one has no authority.
fn split(key: &str) -> (&str, &str) {
    let Some(start) = key.find("://").map(|i| i + 3) else {
        return ("", key);
    };
    let end = key[start..].find('/').map_or(key.len(), |i| start + i);
    (&key[..end], &key[end..])
}

/// One base URL a server list admits.
struct Base {
    /// The URL with its variables filled in.
    url: String,
    /// [`normalize`]d.
    key: String,
    /// The server it comes from; `None` for the implicit `/`.
    pointer: Option<String>,
}

fn bases(servers: Option<&Servers>) -> Vec<Base> {
    let Some(servers) = servers else {
        return vec![Base {
            url: "/".to_owned(),
            key: normalize("/"),
            pointer: None,
        }];
    };
    let mut out: Vec<Base> = Vec::new();
    for (i, server) in servers.list.iter().enumerate() {
        let template = server.get("url").and_then(Value::as_str).unwrap_or("");
        for url in expand(template, server.get("variables")) {
            let key = normalize(&url);
            if !out.iter().any(|b| b.key == key) {
                out.push(Base {
                    url,
                    key,
                    pointer: Some(format!("{}/{i}", servers.pointer)),
                });
            }
        }
    }
    out
}

/// Every URL a server's template admits: an enumerated variable takes each of its values
/// (its default first), any other variable its default. Past [`MAX_URLS`] combinations
/// further variables keep their default only.
fn expand(template: &str, variables: Option<&Value>) -> Vec<String> {
    let mut urls = vec![template.to_owned()];
    let Some(variables) = variables.and_then(Value::as_object) else {
        return urls;
    };
    for (name, v) in variables {
        let placeholder = format!("{{{name}}}");
        if !template.contains(&placeholder) {
            continue;
        }
        let default = v.get("default").and_then(Value::as_str).unwrap_or("");
        let mut values = vec![default];
        if let Some(list) = v.get("enum").and_then(Value::as_array) {
            values.extend(
                list.iter()
                    .filter_map(Value::as_str)
                    .filter(|e| *e != default),
            );
        }
        if urls.len() * values.len() > MAX_URLS {
            values.truncate(1);
        }
        urls = urls
            .iter()
            .flat_map(|u| values.iter().map(|val| u.replace(&placeholder, val)))
            .collect();
    }
    urls
}

/// What moved between the base URLs of `a` and `b`, for a message.
fn what_moved(a: &Base, b: &Base) -> &'static str {
    let ((ao, ap), (bo, bp)) = (split(&a.key), split(&b.key));
    match (ao == bo, ap == bp) {
        (true, false) => "base path changed",
        (false, true) => "host changed",
        _ => "host and base path changed",
    }
}

/// The changes from the servers `old` to `new` (as they apply to one operation). A URL
/// that is gone and one that is new are paired, in order, as a changed URL; the rest were
/// removed or added.
fn compare(old: Option<&Servers>, new: Option<&Servers>) -> Vec<Found> {
    let (o, n) = (bases(old), bases(new));
    let gone: Vec<&Base> = o
        .iter()
        .filter(|b| !n.iter().any(|x| x.key == b.key))
        .collect();
    let added: Vec<&Base> = n
        .iter()
        .filter(|b| !o.iter().any(|x| x.key == b.key))
        .collect();
    let at = |b: &Base| b.pointer.clone().unwrap_or_else(|| "/servers".to_owned());
    let mut out = Vec::new();
    for (a, b) in gone.iter().zip(&added) {
        let pointer = match (&b.pointer, &a.pointer) {
            (Some(p), _) | (None, Some(p)) => format!("{p}/url"),
            (None, None) => "/servers".to_owned(),
        };
        out.push(Found::request(
            Rule::ServerUrlChanged,
            pointer,
            format!(
                "server `{}` became `{}` ({})",
                a.url,
                b.url,
                what_moved(a, b)
            ),
        ));
    }
    let paired = gone.len().min(added.len());
    for a in &gone[paired..] {
        out.push(Found::request(
            Rule::ServerRemoved,
            at(a),
            format!("server `{}` is no longer listed", a.url),
        ));
    }
    for b in &added[paired..] {
        out.push(Found::request(
            Rule::ServerAdded,
            at(b),
            format!("new server `{}`", b.url),
        ));
    }
    out
}

/// The server changes of every operation, those of inherited servers gathered to be
/// reported once with the operations they concern.
#[derive(Debug, Default)]
pub(super) struct Shared {
    found: Vec<(Found, Vec<OpRef>)>,
}

impl Shared {
    /// Compares the servers that apply to one operation (`o` in `old`, `n` in `new`).
    /// Returns the changes that belong to the operation (servers written on it on either
    /// side); keeps the others, which it shares with every operation that inherits them.
    pub fn add(
        &mut self,
        old: &Contract,
        o: &Operation,
        new: &Contract,
        n: &Operation,
    ) -> Vec<Found> {
        let (os, ns) = (old.servers_of(o), new.servers_of(n));
        let found = compare(os, ns);
        let own = |s: Option<&Servers>, op: &Operation| {
            s.is_some_and(|s| s.pointer == format!("{}/servers", op.pointer))
        };
        if own(os, o) || own(ns, n) {
            return found;
        }
        for f in found {
            match self.found.iter_mut().find(|(g, _)| *g == f) {
                Some((_, ops)) => ops.push(OpRef::of(n)),
                None => self.found.push((f, vec![OpRef::of(n)])),
            }
        }
        Vec::new()
    }

    /// The gathered changes, document-level, each with its operations.
    pub fn changes(self) -> Vec<Change> {
        self.found
            .into_iter()
            .map(|(f, ops)| f.shared(ops))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_by_where_they_lead() {
        for (a, b) in [
            ("https://API.example.com/v1/", "https://api.example.com/v1"),
            (
                "HTTPS://api.example.com:443/v1",
                "https://api.example.com/v1",
            ),
            ("http://localhost:80", "http://localhost/"),
            ("/", ""),
        ] {
            assert!(same_url(Some(a), Some(b)), "{a} ~ {b}");
        }
        for (a, b) in [
            ("https://api.example.com/v1", "https://api.example.com/V1"),
            ("https://api.example.com/v1", "https://api.example.com/v2"),
            ("http://api.example.com", "https://api.example.com"),
            ("https://api.example.com:8443", "https://api.example.com"),
        ] {
            assert!(!same_url(Some(a), Some(b)), "{a} ≁ {b}");
        }
        assert!(!same_url(Some("/"), None));
    }

    #[test]
    fn a_template_expands_to_each_enumerated_value_and_other_defaults() {
        let vars = serde_json::json!({
            "region": {"default": "eu", "enum": ["us", "eu"]},
            "version": {"default": "v1"},
        });
        assert_eq!(
            expand("https://{region}.example.com/{version}", Some(&vars)),
            ["https://eu.example.com/v1", "https://us.example.com/v1"]
        );
    }

    #[test]
    fn a_changed_url_says_what_moved() {
        let base = |url: &str| Base {
            url: url.to_owned(),
            key: normalize(url),
            pointer: None,
        };
        let v1 = base("https://api.example.com/v1");
        assert_eq!(
            what_moved(&v1, &base("https://api.example.com/v2")),
            "base path changed"
        );
        assert_eq!(
            what_moved(&v1, &base("https://api.example.org/v1")),
            "host changed"
        );
        assert_eq!(what_moved(&base("/"), &base("/v1")), "base path changed");
    }
}
