//! The drift check: is the document dropshot derives from a server trait the same
//! contract as the hand-written document? Differences are normalised only as
//! `openapi/equivalences.toml` declares; everything else is a finding.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::document::{escape, Document};
use crate::equivalences::{Equivalences, Kind};
use crate::finding::{Check, Finding};
use crate::model::{Contract, Media, Operation, Parameter};
use crate::schema::SchemaComparator;
use crate::wire::{find_status, is_range, range_of, ParamKey, Serialization};

/// Compares the hand-written document of `surface` with the document derived from its trait.
pub fn compare(
    surface: &str,
    hand: &Document,
    derived: &Document,
    eq: &Equivalences,
) -> Vec<Finding> {
    let h = Contract::from_document(hand);
    let d = Contract::from_document(derived);
    let mut out = Vec::new();
    for (key, hop) in &h.operations {
        match d.operations.get(key) {
            Some(dop) => compare_operation(surface, hop, dop, eq, &mut out),
            None => out.push(Finding::new(
                Check::Drift,
                surface,
                Some(hop.label()),
                &hop.pointer,
                "operation is in the document but the server does not expose it",
            )),
        }
    }
    for (key, dop) in &d.operations {
        if !h.operations.contains_key(key) {
            out.push(Finding::new(
                Check::Drift,
                surface,
                Some(dop.label()),
                &dop.pointer,
                "operation is exposed by the server but missing from the document",
            ));
        }
    }
    out
}

struct Ctx<'a> {
    surface: &'a str,
    label: String,
    scope: String,
    eq: &'a Equivalences,
}

impl Ctx<'_> {
    fn finding(
        &self,
        pointer: impl Into<String>,
        message: impl Into<String>,
        hand: Option<Value>,
        derived: Option<Value>,
    ) -> Finding {
        let mut f = Finding::new(
            Check::Drift,
            self.surface,
            Some(self.label.clone()),
            pointer,
            message,
        );
        f.hand = hand;
        f.derived = derived;
        f
    }

    fn schemas(&self, hand: &Value, derived: &Value, base: &str, out: &mut Vec<Finding>) {
        for d in SchemaComparator::new(self.eq, self.scope.clone()).compare(hand, derived) {
            out.push(self.finding(format!("{base}{}", d.pointer), d.message, d.hand, d.derived));
        }
    }
}

fn compare_operation(
    surface: &str,
    hop: &Operation,
    dop: &Operation,
    eq: &Equivalences,
    out: &mut Vec<Finding>,
) {
    let op_id = hop.operation_id.clone().unwrap_or_default();
    let ctx = Ctx {
        surface,
        label: hop.label(),
        scope: format!("{surface}:{op_id}"),
        eq,
    };
    if hop.operation_id != dop.operation_id {
        out.push(ctx.finding(
            format!("{}/operationId", hop.pointer),
            "operationId differs",
            hop.operation_id.clone().map(Value::String),
            dop.operation_id.clone().map(Value::String),
        ));
    }
    if hop.security.is_some() && !eq.apply(Kind::Security, &ctx.scope) {
        out.push(ctx.finding(
            format!("{}/security", hop.pointer),
            "security is documented but the server cannot declare it (no `security` equivalence declared)",
            hop.security.clone(),
            None,
        ));
    }
    compare_parameters(&ctx, hop, dop, out);
    compare_request_body(&ctx, hop, dop, out);
    compare_responses(&ctx, hop, dop, out);
}

/// Header names match without regard to case only where `header-name-case` is declared:
/// the server's spelling should otherwise be the document's.
fn param_key(ctx: &Ctx, p: &Parameter) -> ParamKey {
    if ctx.eq.allows(Kind::HeaderNameCase, &ctx.scope) {
        p.key()
    } else {
        ParamKey::exact(&p.location, &p.name)
    }
}

fn compare_parameters(ctx: &Ctx, hop: &Operation, dop: &Operation, out: &mut Vec<Finding>) {
    for hp in &hop.parameters {
        let key = param_key(ctx, hp);
        let Some(dp) = dop.parameters.iter().find(|dp| param_key(ctx, dp) == key) else {
            out.push(ctx.finding(
                &hp.pointer,
                format!(
                    "{} parameter `{}` is in the document but the server does not read it",
                    hp.location, hp.name
                ),
                Some(json!({"in": hp.location, "name": hp.name, "required": hp.required})),
                None,
            ));
            continue;
        };
        if hp.name != dp.name {
            ctx.eq.apply(Kind::HeaderNameCase, &ctx.scope);
        }
        if hp.required != dp.required {
            out.push(ctx.finding(
                format!("{}/required", hp.pointer),
                format!("{} parameter `{}`: required differs", hp.location, hp.name),
                Some(Value::Bool(hp.required)),
                Some(Value::Bool(dp.required)),
            ));
        }
        let (hs, he) = effective_style(ctx, hp);
        let (ds, de) = effective_style(ctx, dp);
        if hs != ds || he != de {
            out.push(ctx.finding(
                format!("{}/style", hp.pointer),
                format!(
                    "{} parameter `{}`: style/explode differ",
                    hp.location, hp.name
                ),
                Some(json!({"style": hs, "explode": he})),
                Some(json!({"style": ds, "explode": de})),
            ));
        }
        ctx.schemas(
            &hp.schema,
            &dp.schema,
            &format!("{}/schema", hp.pointer),
            out,
        );
    }
    for dp in &dop.parameters {
        let key = param_key(ctx, dp);
        if !hop.parameters.iter().any(|hp| param_key(ctx, hp) == key) {
            out.push(ctx.finding(
                &hop.pointer,
                format!(
                    "{} parameter `{}` is read by the server but missing from the document",
                    dp.location, dp.name
                ),
                None,
                Some(json!({"in": dp.location, "name": dp.name, "required": dp.required})),
            ));
        }
    }
}

/// `style`/`explode` with the location's defaults filled in when `parameter-style` is declared.
fn effective_style(ctx: &Ctx, p: &Parameter) -> (Option<String>, Option<bool>) {
    let default = Serialization::default_for(&p.location);
    let (mut style, mut explode) = (p.style.clone(), p.explode);
    let fill = style.as_deref().is_none_or(|s| s == default.style)
        && explode.is_none_or(|e| e == default.explode);
    if fill
        && (style.is_some() || explode.is_some())
        && ctx.eq.apply(Kind::ParameterStyle, &ctx.scope)
    {
        style = None;
        explode = None;
    }
    (style, explode)
}

fn compare_request_body(ctx: &Ctx, hop: &Operation, dop: &Operation, out: &mut Vec<Finding>) {
    match (&hop.request_body, &dop.request_body) {
        (None, None) => {}
        (Some(hb), None) => out.push(ctx.finding(
            &hb.pointer,
            "request body is documented but the server reads none",
            Some(json!(hb.content.keys().collect::<Vec<_>>())),
            None,
        )),
        (None, Some(db)) => out.push(ctx.finding(
            format!("{}/requestBody", hop.pointer),
            "the server reads a request body the document does not describe",
            None,
            Some(json!(db.content.keys().collect::<Vec<_>>())),
        )),
        (Some(hb), Some(db)) => {
            let raw = db.content.len() == 1
                && db
                    .content
                    .get("application/octet-stream")
                    .is_some_and(is_binary)
                && !hb.content.contains_key("application/octet-stream");
            if raw && ctx.eq.apply(Kind::RawRequestBody, &ctx.scope) {
                return;
            }
            if hb.required != db.required {
                out.push(ctx.finding(
                    format!("{}/required", hb.pointer),
                    "request body: required differs",
                    Some(Value::Bool(hb.required)),
                    Some(Value::Bool(db.required)),
                ));
            }
            compare_content(
                ctx,
                &hb.content,
                &db.content,
                &format!("{}/content", hb.pointer),
                out,
            );
        }
    }
}

fn is_binary(m: &Media) -> bool {
    m.schema
        .as_ref()
        .is_some_and(|s| s.get("format") == Some(&json!("binary")))
}

fn compare_content(
    ctx: &Ctx,
    hand: &std::collections::BTreeMap<String, Media>,
    derived: &std::collections::BTreeMap<String, Media>,
    base: &str,
    out: &mut Vec<Finding>,
) {
    let types: BTreeSet<&String> = hand.keys().chain(derived.keys()).collect();
    for t in types {
        let at = format!("{base}/{}", escape(t));
        match (hand.get(t), derived.get(t)) {
            (Some(h), Some(d)) => {
                let empty = json!({});
                let hs = h.schema.as_ref().unwrap_or(&empty);
                let ds = d.schema.as_ref().unwrap_or(&empty);
                ctx.schemas(hs, ds, &format!("{at}/schema"), out);
            }
            (Some(_), None) => out.push(ctx.finding(
                at,
                format!("media type `{t}` is documented but the server does not use it"),
                Some(json!(hand.keys().collect::<Vec<_>>())),
                Some(json!(derived.keys().collect::<Vec<_>>())),
            )),
            (None, Some(_)) => out.push(ctx.finding(
                base,
                format!("media type `{t}` is used by the server but not documented"),
                Some(json!(hand.keys().collect::<Vec<_>>())),
                Some(json!(derived.keys().collect::<Vec<_>>())),
            )),
            (None, None) => {}
        }
    }
}

/// The error range (`4XX`, `5XX`) dropshot documents a specific error code under; the
/// `error-ranges` equivalence covers errors only.
fn error_range_of(status: &str) -> Option<String> {
    range_of(status).filter(|r| r.starts_with('4') || r.starts_with('5'))
}

fn compare_responses(ctx: &Ctx, hop: &Operation, dop: &Operation, out: &mut Vec<Finding>) {
    let raw = dop.responses.len() == 1
        && dop.responses.get("default").is_some_and(|r| {
            r.content.len() == 1
                && r.content
                    .get("*/*")
                    .is_some_and(|m| m.schema.as_ref().is_none_or(|s| s == &json!({})))
        });
    if raw && !hop.responses.contains_key("default") {
        if ctx.eq.apply(Kind::RawResponse, &ctx.scope) {
            return;
        }
        out.push(ctx.finding(
            format!("{}/responses", hop.pointer),
            "the server answers with a raw response (`default`, `*/*`); declare the operation under \
             `raw-response` in openapi/equivalences.toml if that is intended",
            Some(json!(hop.responses.keys().collect::<Vec<_>>())),
            Some(json!(["default"])),
        ));
        return;
    }
    let responses_ptr = format!("{}/responses", hop.pointer);
    for (status, hr) in &hop.responses {
        // The same status, or (declared) the range dropshot documents errors with.
        let counterpart = match dop.responses.get(status) {
            Some(dr) => Some(dr),
            None => error_range_of(status)
                .and_then(|r| find_status(&dop.responses, &r))
                .filter(|_| ctx.eq.apply(Kind::ErrorRanges, &ctx.scope)),
        };
        match counterpart {
            Some(dr) => {
                compare_content(
                    ctx,
                    &hr.content,
                    &dr.content,
                    &format!("{}/content", hr.pointer),
                    out,
                );
            }
            _ => out.push(ctx.finding(
                &hr.pointer,
                format!("status {status} is documented but the server cannot produce it"),
                Some(json!(hop.responses.keys().collect::<Vec<_>>())),
                Some(json!(dop.responses.keys().collect::<Vec<_>>())),
            )),
        }
    }
    for status in dop.responses.keys() {
        if hop.responses.contains_key(status) {
            continue;
        }
        if is_range(status) && ctx.eq.allows(Kind::ErrorRanges, &ctx.scope) {
            continue;
        }
        out.push(ctx.finding(
            &responses_ptr,
            format!("status {status} is produced by the server but missing from the document"),
            Some(json!(hop.responses.keys().collect::<Vec<_>>())),
            Some(json!(dop.responses.keys().collect::<Vec<_>>())),
        ));
    }
}
