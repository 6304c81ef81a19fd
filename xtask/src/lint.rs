//! The lint: is a hand-written document sound on its own, and within what
//! progenitor can generate from? Run before generation, so that a document
//! progenitor would panic on gets a readable finding instead.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::document::{escape, Document};
use crate::examples::ExampleValidator;
use crate::finding::{Check, Finding};
use crate::model::{Contract, Media, Operation};

/// Request media types progenitor 0.15 can send.
const SENDABLE: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
    "text/x-markdown",
];

/// Every lint finding for the document of `surface`.
pub fn lint(surface: &str, doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    let top = |out: &mut Vec<Finding>, ptr: &str, msg: String| {
        out.push(Finding::new(Check::Lint, surface, None, ptr, msg));
    };
    match doc.value.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        other => top(&mut out, "/openapi", format!("must be an OpenAPI 3.0.x document (progenitor and dropshot speak 3.0 only), found {other:?}")),
    }
    if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(doc.value.clone()) {
        top(
            &mut out,
            "",
            format!("not a valid OpenAPI 3.0 document: {e}"),
        );
    }
    if semver::Version::parse(doc.version()).is_err() {
        top(
            &mut out,
            "/info/version",
            format!("info.version {:?} must be semver", doc.version()),
        );
    }
    check_refs(&doc.value, "", doc, &mut |ptr, msg| top(&mut out, ptr, msg));
    if let Some(paths) = doc.value.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if item.get("$ref").is_some() {
                top(
                    &mut out,
                    &format!("/paths/{}", escape(path)),
                    "path-item `$ref` is not supported by progenitor".into(),
                );
            }
        }
    }

    if let Some(components) = doc.value.get("components").and_then(Value::as_object) {
        for (section, entries) in components {
            let at = format!("/components/{}", escape(section));
            match (section.as_str(), entries) {
                ("schemas", Value::Object(schemas)) => {
                    for (name, schema) in schemas {
                        check_schema(
                            schema,
                            &format!("{at}/{}", escape(name)),
                            &mut |ptr, msg| top(&mut out, ptr, msg),
                        );
                    }
                }
                // Parameters, request bodies, responses and headers hold schemas inline.
                _ => for_each_inline_schema(entries, &at, &mut |schema, ptr| {
                    check_schema(schema, ptr, &mut |p, msg| top(&mut out, p, msg))
                }),
            }
        }
    }
    for_each_inline_schema(
        doc.value.get("paths").unwrap_or(&Value::Null),
        "/paths",
        &mut |schema, ptr| check_schema(schema, ptr, &mut |p, msg| top(&mut out, p, msg)),
    );

    let contract = Contract::from_document(doc);
    let declared_tags: BTreeSet<&str> = doc
        .value
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let schemes: BTreeSet<&str> = doc
        .value
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let validator = ExampleValidator::new(doc);
    let mut ids: BTreeMap<&str, &Operation> = BTreeMap::new();
    for op in contract.operations.values() {
        let mut f = |ptr: String, msg: String| {
            out.push(Finding::new(
                Check::Lint,
                surface,
                Some(op.label()),
                ptr,
                msg,
            ));
        };
        let raw = doc
            .value
            .pointer(&op.pointer)
            .cloned()
            .unwrap_or(Value::Null);
        match &op.operation_id {
            None => f(
                op.pointer.clone(),
                "operation has no operationId (progenitor requires one)".into(),
            ),
            Some(id) => {
                if let Some(other) = ids.insert(id, op) {
                    f(
                        format!("{}/operationId", op.pointer),
                        format!("operationId `{id}` is also used by {}", other.key),
                    );
                }
                if !id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    f(
                        format!("{}/operationId", op.pointer),
                        format!(
                            "operationId `{id}` must be snake_case: it is the Rust method name"
                        ),
                    );
                }
            }
        }
        for key in ["summary", "description"] {
            if raw
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                f(op.pointer.clone(), format!("operation has no {key}"));
            }
        }
        if op.tags.is_empty() {
            f(op.pointer.clone(), "operation has no tags".into());
        }
        for t in &op.tags {
            if !declared_tags.contains(t.as_str()) {
                f(
                    format!("{}/tags", op.pointer),
                    format!("tag `{t}` is not declared in the top-level `tags`"),
                );
            }
        }
        match &op.security {
            None => f(
                op.pointer.clone(),
                "operation does not state `security` (write `security: []` for a public route)"
                    .into(),
            ),
            Some(Value::Array(reqs)) => {
                for req in reqs {
                    for name in req.as_object().into_iter().flat_map(|m| m.keys()) {
                        if !schemes.contains(name.as_str()) {
                            f(format!("{}/security", op.pointer), format!("security scheme `{name}` is not defined in components.securitySchemes"));
                        }
                    }
                }
            }
            Some(_) => f(
                format!("{}/security", op.pointer),
                "`security` must be a list".into(),
            ),
        }
        for p in &op.parameters {
            match p.location.as_str() {
                "cookie" => f(p.pointer.clone(), format!("cookie parameter `{}` is not supported by progenitor", p.name)),
                "path" if p.style.as_deref().is_some_and(|s| s != "simple") => f(p.pointer.clone(), "path parameters must use style `simple`".into()),
                "query" if p.style.as_deref().is_some_and(|s| s != "form") => f(p.pointer.clone(), "query parameters must use style `form`".into()),
                "header" if ["authorization", "content-type", "accept"].contains(&p.name.to_ascii_lowercase().as_str()) => {
                    f(p.pointer.clone(), format!("header `{}` cannot be a parameter (OpenAPI ignores it); use a security scheme", p.name))
                }
                _ => {}
            }
            match &p.example {
                None => f(
                    p.pointer.clone(),
                    format!("parameter `{}` has no example", p.name),
                ),
                Some(e) => {
                    let written = doc
                        .value
                        .pointer(&format!("{}/schema", p.pointer))
                        .cloned()
                        .unwrap_or(Value::Null);
                    for (at, msg) in validator.validate(&written, e) {
                        f(
                            format!("{}/example{at}", p.pointer),
                            format!("example does not match the schema: {msg}"),
                        );
                    }
                }
            }
        }
        if let Some(body) = &op.request_body {
            if body.content.len() != 1 {
                f(
                    body.pointer.clone(),
                    format!(
                        "request body must have exactly one media type (progenitor), found {}",
                        body.content.len()
                    ),
                );
            }
            for (mt, media) in &body.content {
                let base = mt.split(';').next().unwrap_or(mt).trim();
                if !SENDABLE.contains(&base) {
                    f(
                        format!("{}/content/{}", body.pointer, escape(mt)),
                        format!("progenitor cannot send request bodies of type `{mt}`"),
                    );
                }
                check_media(
                    &validator,
                    &format!("{}/content/{}", body.pointer, escape(mt)),
                    mt,
                    media,
                    &mut f,
                );
            }
        }
        check_responses(doc, &validator, op, &mut f);
    }
    out
}

fn is_json(mt: &str) -> bool {
    let base = mt.split(';').next().unwrap_or(mt).trim();
    base == "application/json" || base.ends_with("+json")
}

/// Schema, examples and encoding of one media type.
fn check_media(
    validator: &ExampleValidator,
    ptr: &str,
    mt: &str,
    media: &Media,
    f: &mut impl FnMut(String, String),
) {
    if media.has_encoding {
        f(
            ptr.to_owned(),
            "`encoding` is not supported by progenitor".into(),
        );
    }
    let written = media.schema_as_written.clone();
    if written.is_none() && is_json(mt) {
        f(ptr.to_owned(), "JSON media type has no schema".into());
    }
    if media.examples.is_empty() {
        f(
            ptr.to_owned(),
            "no example (every request and response body needs one)".into(),
        );
    }
    let Some(schema) = written else { return };
    for (name, example) in &media.examples {
        let at = if name == "example" {
            format!("{ptr}/example")
        } else {
            format!("{ptr}/examples/{}/value", escape(name))
        };
        if is_json(mt) {
            for (inner, msg) in validator.validate(&schema, example) {
                f(
                    format!("{at}{inner}"),
                    format!("example `{name}` does not match the schema: {msg}"),
                );
            }
        } else if media.schema.as_ref().and_then(|s| s.get("type"))
            == Some(&Value::String("string".into()))
            && !example.is_string()
        {
            f(at, format!("example `{name}` of `{mt}` must be a string"));
        }
    }
}

/// The kind of body a response has, as progenitor sees it.
fn body_kind(doc: &Document, ptr: &str, content: &BTreeMap<String, Media>) -> String {
    match content
        .iter()
        .find(|(mt, _)| mt.as_str() == "application/json" || mt.starts_with("application/json;"))
    {
        Some((mt, media)) => {
            let written = doc
                .value
                .pointer(&format!("{ptr}/content/{}/schema", escape(mt)))
                .cloned();
            format!(
                "json {}",
                media
                    .schema_as_written
                    .as_ref()
                    .or(written.as_ref())
                    .map(Value::to_string)
                    .unwrap_or_default()
            )
        }
        None if content.is_empty() => "no body".into(),
        None => "raw body".into(),
    }
}

fn check_responses(
    doc: &Document,
    validator: &ExampleValidator,
    op: &Operation,
    f: &mut impl FnMut(String, String),
) {
    if op.responses.is_empty() {
        f(
            format!("{}/responses", op.pointer),
            "operation has no responses".into(),
        );
    }
    let mut success: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut errors: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (status, r) in &op.responses {
        let class = status.chars().next().unwrap_or('?');
        let kind = body_kind(doc, &r.pointer, &r.content);
        match (status.as_str(), class) {
            ("default", _) | (_, '2') => success.entry(kind).or_default().push(status),
            (_, '4' | '5') => errors.entry(kind).or_default().push(status),
            _ => {}
        }
        for (mt, media) in &r.content {
            check_media(
                validator,
                &format!("{}/content/{}", r.pointer, escape(mt)),
                mt,
                media,
                f,
            );
        }
    }
    for (what, groups) in [("success", &success), ("error", &errors)] {
        if groups.len() > 1 {
            let detail: Vec<String> = groups
                .iter()
                .map(|(k, s)| format!("{} → {k}", s.join(", ")))
                .collect();
            f(
                format!("{}/responses", op.pointer),
                format!(
                    "progenitor accepts one {what} body type per operation; found {}: {}",
                    groups.len(),
                    detail.join("; ")
                ),
            );
        }
    }
}

/// Calls `f` with every `schema` written inline under `paths` (parameters, bodies, responses).
fn for_each_inline_schema(v: &Value, ptr: &str, f: &mut impl FnMut(&Value, &str)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let at = format!("{ptr}/{}", escape(k));
                if k == "schema" {
                    f(child, &at);
                } else if k != "example" && k != "examples" {
                    for_each_inline_schema(child, &at, f);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                for_each_inline_schema(child, &format!("{ptr}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// Checks one schema and every schema inside it:
/// - `type: object` schemas that say nothing about their members: the shape must be
///   described (`properties`, composition), or declared free-form (`additionalProperties`);
/// - `nullable` without `type` in the same schema object (see [`nullable_without_type`]).
fn check_schema(schema: &Value, ptr: &str, report: &mut impl FnMut(&str, String)) {
    let Value::Object(map) = schema else { return };
    if let Some(msg) = nullable_without_type(map) {
        report(ptr, msg);
    }
    // `required` alone describes a member of a composition whose properties are its sibling's.
    let described = [
        "properties",
        "required",
        "additionalProperties",
        "allOf",
        "anyOf",
        "oneOf",
        "$ref",
    ]
    .iter()
    .any(|k| map.contains_key(*k));
    if map.get("type") == Some(&Value::String("object".into())) && !described {
        report(
            ptr,
            "bare `type: object`: describe its properties, or say `additionalProperties: true` if it is free-form"
                .into(),
        );
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, p) in props {
            check_schema(p, &format!("{ptr}/properties/{}", escape(name)), report);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child @ Value::Object(_)) = map.get(key) {
            check_schema(child, &format!("{ptr}/{key}"), report);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = map.get(key) {
            for (i, m) in members.iter().enumerate() {
                check_schema(m, &format!("{ptr}/{key}/{i}"), report);
            }
        }
    }
}

/// The finding for a schema object that has `nullable` but no `type`, if it is one.
///
/// OpenAPI 3.0.3: `nullable: true` adds null to the `type` of the same schema object and
/// does nothing else, so without a `type` it has no effect (it does not make a `$ref`, an
/// `allOf` member or a `oneOf` nullable). Spectral (ajv) refuses to compile such a schema
/// and every example that reaches it fails; openapi-schema-validator ignores the keyword
/// and rejects null. `nullable: false` without `type` is refused by ajv just the same.
fn nullable_without_type(map: &Map<String, Value>) -> Option<String> {
    let nullable = map.get("nullable")?;
    if map.contains_key("type") {
        return None;
    }
    Some(if nullable == &Value::Bool(false) {
        "`nullable: false` without `type` in the same schema: it has no effect and \
         validators such as Spectral reject the schema; remove it"
            .into()
    } else {
        let beside = if map.contains_key("$ref") {
            "beside `$ref`"
        } else {
            "without `type`"
        };
        format!(
            "`nullable` {beside} has no effect in OpenAPI 3.0.3 (it only adds null to a `type` \
             in the same schema; a `$ref` or `allOf`/`oneOf` member is not widened), and \
             validators such as Spectral reject the schema; state `type` here, or allow null \
             in a `oneOf` member that has `type` and `nullable: true`"
        )
    })
}

/// Reports every `$ref` that does not resolve, and non-annotation siblings of a `$ref`
/// (except `nullable`, which [`nullable_without_type`] reports with its own advice).
fn check_refs(v: &Value, ptr: &str, doc: &Document, report: &mut impl FnMut(&str, String)) {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref") {
                match r.as_str() {
                    Some(r) if r.starts_with("#/") => {
                        if doc.resolve_ref(r).is_none() {
                            report(ptr, format!("`$ref` {r} does not resolve"));
                        }
                    }
                    _ => report(
                        ptr,
                        format!("only local `$ref`s (#/...) are supported, found {r}"),
                    ),
                }
                for k in map.keys() {
                    if !["$ref", "description", "summary", "nullable"].contains(&k.as_str()) {
                        report(ptr, format!("`{k}` beside `$ref` is ignored in OpenAPI 3.0; wrap the reference in `allOf`"));
                    }
                }
            }
            for (k, child) in map {
                // Examples are data: a `$ref` key inside one is not a reference.
                if k == "example" || k == "value" && ptr.contains("/examples/") {
                    continue;
                }
                check_refs(child, &format!("{ptr}/{}", escape(k)), doc, report);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(child, &format!("{ptr}/{i}"), doc, report);
            }
        }
        _ => {}
    }
}
