//! The directional schema comparison: an old and a new resolved schema, read from the
//! side of the exchange they sit on. The same change means opposite things on the two
//! sides: a new enum value is harmless in a request (clients just never send it) and a
//! surprise in a response (clients may not know it); a removed `oneOf` member breaks
//! clients that send it, and only narrows what clients read.
//!
//! Schemas are read through [`crate::shape`]: `allOf` is flattened before properties are
//! compared, so moving a property into an `allOf` member (or out of one) is not a change;
//! `oneOf`/`anyOf` members are paired by structure, not by position or component name.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::document::escape;
use crate::shape::{flatten_all_of, string_set, ANNOTATIONS};

use super::change::Found;
use super::rules::{Rule, Side};

/// Bounds whose strictness can be ordered; see [`Walk::constraints`].
const LOWER: [&str; 4] = ["minimum", "minLength", "minItems", "minProperties"];
const UPPER: [&str; 4] = ["maximum", "maxLength", "maxItems", "maxProperties"];
const FLAGS: [&str; 3] = ["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"];
const OPAQUE: [&str; 2] = ["pattern", "multipleOf"];

/// Keywords the walk understands; a difference in any other keyword is
/// [`Rule::SchemaKeywordChanged`].
const STRUCTURAL: [&str; 10] = [
    "type",
    "format",
    "enum",
    "nullable",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "oneOf",
    "anyOf",
];

/// What a walk's root schema describes: it picks the rule for a type change and how
/// nested values are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// A request or response body.
    Body,
    /// A parameter.
    Parameter,
    /// A response header.
    ResponseHeader,
}

/// A directional walk over one pair of schemas (a parameter's, a body's, a header's).
pub(crate) struct Walk<'a> {
    side: Side,
    /// How the root is named in messages: `request body`, "query parameter `limit`".
    root: String,
    /// What the root is.
    kind: Root,
    out: &'a mut Vec<Found>,
}

impl<'a> Walk<'a> {
    /// A walk on `side` whose root is called `root` in messages.
    pub fn new(side: Side, root: impl Into<String>, kind: Root, out: &'a mut Vec<Found>) -> Self {
        Self {
            side,
            root: root.into(),
            kind,
            out,
        }
    }

    /// Compares `old` with `new`, the schema at `ptr` in the documents.
    pub fn run(&mut self, old: &Value, new: &Value, ptr: &str) {
        self.node(old, new, ptr, "");
    }

    fn request(&self) -> bool {
        self.side == Side::Request
    }

    fn pick(&self, request: Rule, response: Rule) -> Rule {
        if self.request() {
            request
        } else {
            response
        }
    }

    fn push(&mut self, rule: Rule, pointer: String, message: String) {
        self.out.push(Found::new(rule, self.side, pointer, message));
    }

    /// How the value at `path` is named in messages.
    fn subject(&self, path: &str) -> String {
        match (path.is_empty(), self.kind) {
            (true, _) => self.root.clone(),
            (false, Root::Parameter | Root::ResponseHeader) => {
                format!("{}, property `{path}`", self.root)
            }
            (false, Root::Body) => format!("{} property `{path}`", self.side.as_str()),
        }
    }

    /// A walk of the same kind whose findings are thrown away: are two schemas equal?
    fn equal(&self, old: &Value, new: &Value) -> bool {
        let mut scratch = Vec::new();
        Walk::new(self.side, self.root.clone(), self.kind, &mut scratch).run(old, new, "");
        scratch.is_empty()
    }

    fn node(&mut self, old: &Value, new: &Value, ptr: &str, path: &str) {
        let o = flatten_all_of(old);
        let n = flatten_all_of(new);
        if o.contains_key("$recursive") || n.contains_key("$recursive") {
            if o.get("$recursive") != n.get("$recursive") {
                let what = format!(
                    "{} changed from {} to {}",
                    self.subject(path),
                    describe(&o),
                    describe(&n)
                );
                self.push(self.type_rule(), ptr.to_owned(), what);
            }
            return;
        }
        let (ov, nv) = (variants(&o), variants(&n));
        if ov.is_some() || nv.is_some() {
            self.variants(&o, &n, ov, nv, ptr, path);
            if ov.is_none() || nv.is_none() {
                // One side is a plain schema: it was compared as a single member.
                return;
            }
        }
        self.annotations(&o, &n, ptr, path);
        if self.type_changed(&o, &n, ptr, path) {
            return;
        }
        self.enumeration(&o, &n, ptr, path);
        self.constraints(&o, &n, ptr, path);
        self.nullable(&o, &n, ptr, path);
        self.properties(&o, &n, ptr, path);
        let (oi, ni) = (o.get("items"), n.get("items"));
        if oi.is_some() || ni.is_some() {
            let empty = json!({});
            let child = format!("{path}[]");
            self.node(
                oi.unwrap_or(&empty),
                ni.unwrap_or(&empty),
                &format!("{ptr}/items"),
                &child,
            );
        }
        if let (Some(a @ Value::Object(am)), Some(b @ Value::Object(bm))) =
            (o.get("additionalProperties"), n.get("additionalProperties"))
        {
            if !am.is_empty() && !bm.is_empty() {
                let child = if path.is_empty() {
                    "*".to_owned()
                } else {
                    format!("{path}.*")
                };
                self.node(a, b, &format!("{ptr}/additionalProperties"), &child);
            }
        }
        self.unknown(&o, &n, ptr, path);
    }

    fn type_rule(&self) -> Rule {
        match self.kind {
            Root::Parameter => Rule::ParameterTypeChanged,
            Root::ResponseHeader => Rule::ResponseHeaderTypeChanged,
            Root::Body => self.pick(
                Rule::RequestPropertyTypeChanged,
                Rule::ResponsePropertyTypeChanged,
            ),
        }
    }

    /// `type` (inferred from `properties`/`items` when not written) and `format`. A change
    /// stops the walk below this node: comparing an object's properties with an array's
    /// items would only add noise.
    fn type_changed(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        path: &str,
    ) -> bool {
        let (ot, nt) = (type_of(o), type_of(n));
        if ot != nt {
            let message = format!(
                "{} type changed from {} to {}",
                self.subject(path),
                name_type(ot.as_deref()),
                name_type(nt.as_deref())
            );
            self.push(self.type_rule(), format!("{ptr}/type"), message);
            return true;
        }
        let (of, nf) = (o.get("format"), n.get("format"));
        if of != nf {
            let show = |f: Option<&Value>| match f.and_then(Value::as_str) {
                Some(s) => format!("`{s}`"),
                None => "none".to_owned(),
            };
            let message = format!(
                "{} format changed from {} to {}",
                self.subject(path),
                show(of),
                show(nf)
            );
            self.push(self.type_rule(), format!("{ptr}/format"), message);
            return true;
        }
        false
    }

    fn annotations(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        path: &str,
    ) {
        let keys: BTreeSet<&String> = o
            .keys()
            .chain(n.keys())
            .filter(|k| ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
            .collect();
        for key in keys {
            let (a, b) = (o.get(key), n.get(key));
            if a == b {
                continue;
            }
            let at = format!("{ptr}/{}", escape(key));
            let subject = self.subject(path);
            let (rule, message) = match key.as_str() {
                "description" => (
                    Rule::DescriptionChanged,
                    format!("{subject}: description {}", verb(a, b)),
                ),
                "example" | "examples" => (
                    Rule::ExampleChanged,
                    format!("{subject}: `{key}` {}", verb(a, b)),
                ),
                "deprecated" => (
                    Rule::DeprecationChanged,
                    if b == Some(&Value::Bool(true)) {
                        format!("{subject} is now deprecated")
                    } else {
                        format!("{subject} is no longer deprecated")
                    },
                ),
                "default" if self.request() => (
                    Rule::RequestDefaultChanged,
                    format!("{subject}: default changed from {} to {}", show(a), show(b)),
                ),
                // Handled where properties are collected: they hide a property on one side.
                "readOnly" | "writeOnly" => continue,
                "discriminator" => (
                    Rule::SchemaKeywordChanged,
                    format!("{subject}: `discriminator` {}", verb(a, b)),
                ),
                _ => (
                    Rule::AnnotationChanged,
                    format!("{subject}: `{key}` {}", verb(a, b)),
                ),
            };
            self.push(rule, at, message);
        }
    }

    fn enumeration(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        path: &str,
    ) {
        let at = format!("{ptr}/enum");
        let subject = self.subject(path);
        match (o.get("enum"), n.get("enum")) {
            (None, None) => {}
            (None, Some(b)) => {
                let message = format!("{subject}: values are now restricted to {}", list(b));
                let rule = self.pick(
                    Rule::RequestConstraintTightened,
                    Rule::ResponseConstraintTightened,
                );
                self.push(rule, at, message);
            }
            (Some(_), None) => {
                let message =
                    format!("{subject}: `enum` removed, any value of the type is allowed");
                let rule = self.pick(
                    Rule::RequestConstraintLoosened,
                    Rule::ResponseConstraintLoosened,
                );
                self.push(rule, at, message);
            }
            (Some(a), Some(b)) => {
                let (sa, sb) = (string_set(Some(a)), string_set(Some(b)));
                let removed: Vec<&String> = sa.difference(&sb).collect();
                let added: Vec<&String> = sb.difference(&sa).collect();
                if !removed.is_empty() {
                    let message = format!("{subject}: enum value(s) removed: {}", codes(&removed));
                    let rule = self.pick(
                        Rule::RequestEnumValueRemoved,
                        Rule::ResponseEnumValueRemoved,
                    );
                    self.push(rule, at.clone(), message);
                }
                if !added.is_empty() {
                    let message = format!("{subject}: enum value(s) added: {}", codes(&added));
                    let rule = self.pick(Rule::RequestEnumValueAdded, Rule::ResponseEnumValueAdded);
                    self.push(rule, at, message);
                }
            }
        }
    }

    /// Bounds, judged by strictness: a stricter bound breaks requests that used to be
    /// valid; a looser one lets responses carry values clients did not expect. A `pattern`
    /// or `multipleOf` that changed cannot be ordered and counts as both.
    fn constraints(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        path: &str,
    ) {
        let subject = self.subject(path);
        let mut found: Vec<(Strictness, String, String)> = Vec::new();
        let num = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
        for k in LOWER {
            let (a, b) = (num(o, k), num(n, k));
            let s = match (a, b) {
                (None, Some(_)) => Strictness::Tighter,
                (Some(_), None) => Strictness::Looser,
                (Some(a), Some(b)) if b > a => Strictness::Tighter,
                (Some(a), Some(b)) if b < a => Strictness::Looser,
                _ => continue,
            };
            found.push((s, k.to_owned(), bound_change(k, o.get(k), n.get(k))));
        }
        for k in UPPER {
            let (a, b) = (num(o, k), num(n, k));
            let s = match (a, b) {
                (None, Some(_)) => Strictness::Tighter,
                (Some(_), None) => Strictness::Looser,
                (Some(a), Some(b)) if b < a => Strictness::Tighter,
                (Some(a), Some(b)) if b > a => Strictness::Looser,
                _ => continue,
            };
            found.push((s, k.to_owned(), bound_change(k, o.get(k), n.get(k))));
        }
        for k in FLAGS {
            let on = |m: &Map<String, Value>| m.get(k) == Some(&Value::Bool(true));
            let s = match (on(o), on(n)) {
                (false, true) => Strictness::Tighter,
                (true, false) => Strictness::Looser,
                _ => continue,
            };
            found.push((s, k.to_owned(), bound_change(k, o.get(k), n.get(k))));
        }
        for k in OPAQUE {
            let (a, b) = (o.get(k), n.get(k));
            let s = match (a, b) {
                (None, Some(_)) => Strictness::Tighter,
                (Some(_), None) => Strictness::Looser,
                (Some(a), Some(b)) if a != b => Strictness::Both,
                _ => continue,
            };
            found.push((s, k.to_owned(), bound_change(k, a, b)));
        }
        let (a, b) = (
            openness(o.get("additionalProperties")),
            openness(n.get("additionalProperties")),
        );
        if a != b {
            let s = if b < a {
                Strictness::Tighter
            } else {
                Strictness::Looser
            };
            found.push((
                s,
                "additionalProperties".to_owned(),
                bound_change(
                    "additionalProperties",
                    o.get("additionalProperties"),
                    n.get("additionalProperties"),
                ),
            ));
        }
        for (strictness, key, what) in found {
            let tighter = matches!(strictness, Strictness::Tighter | Strictness::Both);
            let looser = matches!(strictness, Strictness::Looser | Strictness::Both);
            // Report the reading that matters on this side; an unordered change is
            // reported as the harmful one.
            let rule = match (self.side, tighter, looser) {
                (Side::Request, true, _) => Rule::RequestConstraintTightened,
                (Side::Request, false, _) => Rule::RequestConstraintLoosened,
                (Side::Response, _, true) => Rule::ResponseConstraintLoosened,
                (Side::Response, _, false) => Rule::ResponseConstraintTightened,
            };
            self.push(
                rule,
                format!("{ptr}/{}", escape(&key)),
                format!("{subject}: {what}"),
            );
        }
    }

    fn nullable(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str, path: &str) {
        let on = |m: &Map<String, Value>| m.get("nullable") == Some(&Value::Bool(true));
        let (a, b) = (on(o), on(n));
        if a == b {
            return;
        }
        let subject = self.subject(path);
        let (rule, message) = match (self.side, b) {
            (Side::Request, false) => (
                Rule::RequestNullableRemoved,
                format!("{subject} no longer accepts null"),
            ),
            (Side::Request, true) => (
                Rule::RequestNullableAdded,
                format!("{subject} now accepts null"),
            ),
            (Side::Response, true) => (
                Rule::ResponseNullableAdded,
                format!("{subject} may now be null"),
            ),
            (Side::Response, false) => (
                Rule::ResponseNullableRemoved,
                format!("{subject} is never null any more"),
            ),
        };
        self.push(rule, format!("{ptr}/nullable"), message);
    }

    fn properties(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ptr: &str,
        path: &str,
    ) {
        let (op, np) = (self.visible(o), self.visible(n));
        let (or, nr) = (string_set(o.get("required")), string_set(n.get("required")));
        let names: BTreeSet<&String> = op.keys().chain(np.keys()).collect();
        for name in names {
            let at = format!("{ptr}/properties/{}", escape(name));
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let subject = self.subject(&child);
            let (was, is) = (or.contains(name), nr.contains(name));
            match (op.get(name), np.get(name)) {
                (Some(a), Some(b)) => {
                    self.node(a, b, &at, &child);
                    let rule = match (self.side, was, is) {
                        (Side::Request, false, true) => Some(Rule::RequestPropertyBecameRequired),
                        (Side::Request, true, false) => Some(Rule::RequestPropertyBecameOptional),
                        (Side::Response, true, false) => Some(Rule::ResponsePropertyBecameOptional),
                        (Side::Response, false, true) => Some(Rule::ResponsePropertyBecameRequired),
                        _ => None,
                    };
                    if let Some(rule) = rule {
                        let message = format!(
                            "{subject} became {}",
                            if is { "required" } else { "optional" }
                        );
                        self.push(rule, at, message);
                    }
                }
                (Some(a), None) => {
                    let rule =
                        self.pick(Rule::RequestPropertyRemoved, Rule::ResponsePropertyRemoved);
                    let kind = if was { "required" } else { "optional" };
                    // A new sibling with the same schema is probably the same value renamed.
                    let twin = np
                        .iter()
                        .find(|(k, b)| !op.contains_key(*k) && self.equal(a, b))
                        .map(|(k, _)| k);
                    let hint = twin
                        .map(|k| format!("; `{k}` was added with the same schema (renamed?)"))
                        .unwrap_or_default();
                    self.push(rule, at, format!("{subject} ({kind}) was removed{hint}"));
                }
                (None, Some(_)) => {
                    let rule = match (self.side, is) {
                        (Side::Request, true) => Rule::NewRequiredRequestProperty,
                        (Side::Request, false) => Rule::NewOptionalRequestProperty,
                        (Side::Response, true) => Rule::NewRequiredResponseProperty,
                        (Side::Response, false) => Rule::NewOptionalResponseProperty,
                    };
                    let kind = if is { "required" } else { "optional" };
                    self.push(rule, at, format!("new {kind} {subject}"));
                }
                (None, None) => {}
            }
        }
    }

    /// The properties that exist on this side: `readOnly` ones are not sent in requests,
    /// `writeOnly` ones are not read from responses.
    fn visible(&self, m: &Map<String, Value>) -> Map<String, Value> {
        let hidden = if self.request() {
            "readOnly"
        } else {
            "writeOnly"
        };
        m.get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, s)| flatten_all_of(s).get(hidden) != Some(&Value::Bool(true)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `oneOf`/`anyOf`: members equal on both sides are paired first, then the closest
    /// remaining ones (same tag value, same type, shared property names), which are
    /// compared member to member; what is left over was removed or added. A plain schema
    /// facing a `oneOf` reads as a one-member `oneOf`.
    fn variants(
        &mut self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        ov: Option<(&'static str, &Vec<Value>)>,
        nv: Option<(&'static str, &Vec<Value>)>,
        ptr: &str,
        path: &str,
    ) {
        let subject = self.subject(path);
        if let (Some((ok, _)), Some((nk, _))) = (ov, nv) {
            if ok != nk {
                let message = format!("{subject}: `{ok}` became `{nk}`");
                self.push(Rule::SchemaKeywordChanged, format!("{ptr}/{nk}"), message);
            }
        }
        let members = |v: Option<(&'static str, &Vec<Value>)>, whole: &Map<String, Value>| match v {
            Some((k, list)) => list
                .iter()
                .enumerate()
                .map(|(i, m)| (m.clone(), format!("{ptr}/{k}/{i}")))
                .collect::<Vec<_>>(),
            None => vec![(Value::Object(whole.clone()), ptr.to_owned())],
        };
        let old = members(ov, o);
        let new = members(nv, n);
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut free_old: Vec<usize> = (0..old.len()).collect();
        let mut free_new: Vec<usize> = (0..new.len()).collect();
        // Equal members first.
        free_old.retain(|&i| {
            match free_new
                .iter()
                .position(|&j| self.equal(&old[i].0, &new[j].0))
            {
                Some(pos) => {
                    free_new.remove(pos);
                    false
                }
                None => true,
            }
        });
        // Then the closest ones, best score first.
        loop {
            let mut best: Option<(u32, usize, usize)> = None;
            for &i in &free_old {
                for &j in &free_new {
                    let s = similarity(&old[i].0, &new[j].0);
                    if s > 0 && best.is_none_or(|(b, _, _)| s > b) {
                        best = Some((s, i, j));
                    }
                }
            }
            let Some((_, i, j)) = best else { break };
            free_old.retain(|&x| x != i);
            free_new.retain(|&x| x != j);
            pairs.push((i, j));
        }
        for (i, j) in pairs {
            self.node(&old[i].0, &new[j].0, &new[j].1, path);
        }
        for i in free_old {
            let rule = self.pick(Rule::RequestVariantRemoved, Rule::ResponseVariantRemoved);
            let message = format!(
                "{subject}: variant {} was removed",
                describe_value(&old[i].0)
            );
            self.push(rule, old[i].1.clone(), message);
        }
        for j in free_new {
            let rule = self.pick(Rule::RequestVariantAdded, Rule::ResponseVariantAdded);
            let message = format!("{subject}: new variant {}", describe_value(&new[j].0));
            self.push(rule, new[j].1.clone(), message);
        }
    }

    fn unknown(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, ptr: &str, path: &str) {
        let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for key in keys {
            let k = key.as_str();
            let known = STRUCTURAL.contains(&k)
                || ANNOTATIONS.contains(&k)
                || k.starts_with("x-")
                || LOWER.contains(&k)
                || UPPER.contains(&k)
                || FLAGS.contains(&k)
                || OPAQUE.contains(&k);
            if known || o.get(k) == n.get(k) {
                continue;
            }
            let message = match k {
                "$unresolved" => format!("{}: a `$ref` that does not resolve", self.subject(path)),
                _ => format!(
                    "{}: keyword `{k}` {} (not classified by the diff)",
                    self.subject(path),
                    verb(o.get(k), n.get(k))
                ),
            };
            self.push(
                Rule::SchemaKeywordChanged,
                format!("{ptr}/{}", escape(k)),
                message,
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Strictness {
    Tighter,
    Looser,
    Both,
}

/// How much `additionalProperties` lets through: 0 closed, 1 constrained by a schema,
/// 2 open (absent, `true`, `{}`).
fn openness(v: Option<&Value>) -> u8 {
    match v {
        Some(Value::Bool(false)) => 0,
        Some(Value::Object(m)) if !m.is_empty() => 1,
        _ => 2,
    }
}

fn variants(m: &Map<String, Value>) -> Option<(&'static str, &Vec<Value>)> {
    for k in ["oneOf", "anyOf"] {
        if let Some(Value::Array(list)) = m.get(k) {
            return Some((k, list));
        }
    }
    None
}

/// The written `type`, or the one implied by `properties`/`items`.
fn type_of(m: &Map<String, Value>) -> Option<String> {
    match m.get("type") {
        Some(Value::String(t)) => Some(t.clone()),
        Some(other) => Some(other.to_string()),
        None if m.contains_key("properties") || m.contains_key("additionalProperties") => {
            Some("object".to_owned())
        }
        None if m.contains_key("items") => Some("array".to_owned()),
        None => None,
    }
}

fn name_type(t: Option<&str>) -> String {
    match t {
        Some(t) => format!("`{t}`"),
        None => "any".to_owned(),
    }
}

/// How alike two `oneOf` members are; 0 when they should not be paired. A shared
/// single-valued tag property (`kind: [text]`) decides; otherwise the same type is
/// required, and objects must share a property name.
fn similarity(a: &Value, b: &Value) -> u32 {
    let (a, b) = (flatten_all_of(a), flatten_all_of(b));
    let (ta, tb) = (tags(&a), tags(&b));
    for (name, value) in &ta {
        if let Some(other) = tb.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
            return if other == value { 1000 } else { 0 };
        }
    }
    if type_of(&a) != type_of(&b) {
        return 0;
    }
    let names = |m: &Map<String, Value>| -> BTreeSet<String> {
        m.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (na, nb) = (names(&a), names(&b));
    if na.is_empty() && nb.is_empty() {
        return 10 + u32::from(a.get("format") == b.get("format")) * 5;
    }
    let shared = na.intersection(&nb).count() as u32;
    let all = na.union(&nb).count() as u32;
    if shared == 0 {
        0
    } else {
        10 + 100 * shared / all
    }
}

/// Properties whose schema admits exactly one value: what tells `oneOf` members apart.
fn tags(m: &Map<String, Value>) -> Vec<(String, Value)> {
    m.get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(name, s)| {
                    let s = flatten_all_of(s);
                    match s.get("enum") {
                        Some(Value::Array(v)) if v.len() == 1 => Some((name.clone(), v[0].clone())),
                        _ => None,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn describe_value(v: &Value) -> String {
    describe(&flatten_all_of(v))
}

/// A short name for a schema in messages: its title, its tag, or its shape.
fn describe(m: &Map<String, Value>) -> String {
    if let Some(Value::String(name)) = m.get("$recursive") {
        return format!("`{name}` (recursive)");
    }
    if let Some(Value::String(t)) = m.get("title") {
        return format!("`{t}`");
    }
    if let Some((name, value)) = tags(m).first() {
        return format!("`{name}: {value}`");
    }
    match type_of(m).as_deref() {
        Some("object") => {
            let names: Vec<String> = m
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                .unwrap_or_default();
            if names.is_empty() {
                "`object`".to_owned()
            } else {
                format!("`object` with {}", names.join(", "))
            }
        }
        Some(t) => match m.get("format").and_then(Value::as_str) {
            Some(f) => format!("`{t}` (`{f}`)"),
            None => format!("`{t}`"),
        },
        None => "any value".to_owned(),
    }
}

fn bound_change(key: &str, a: Option<&Value>, b: Option<&Value>) -> String {
    match (a, b) {
        (None, Some(b)) => format!("`{key}` {} added", show(Some(b))),
        (Some(a), None) => format!("`{key}` {} removed", show(Some(a))),
        _ => format!("`{key}` changed from {} to {}", show(a), show(b)),
    }
}

fn verb(a: Option<&Value>, b: Option<&Value>) -> &'static str {
    match (a, b) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ => "changed",
    }
}

/// A value as it appears in messages, shortened.
pub(crate) fn show(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "none".to_owned();
    };
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("`{cut}…`")
    } else {
        format!("`{s}`")
    }
}

fn list(v: &Value) -> String {
    let set = string_set(Some(v));
    codes(&set.iter().collect::<Vec<_>>())
}

fn codes(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
