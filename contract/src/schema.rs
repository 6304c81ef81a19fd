//! Structural comparison of two resolved schemas under the declared equivalences.
//!
//! Keywords are compared by meaning: `required` and `enum` as sets, numbers by value,
//! `allOf`/`anyOf`/`oneOf` members regardless of order. A keyword the comparator
//! does not know is reported, never skipped: the check fails closed.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::equivalences::{Equivalences, Kind};
use crate::shape::{string_set, ANNOTATIONS, NUMERIC, PLAIN};

/// One difference between two schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDiff {
    /// JSON pointer below the schema where the difference is.
    pub pointer: String,
    /// What differs.
    pub message: String,
    /// The value on the hand-written side, if it has one.
    pub hand: Option<Value>,
    /// The value on the derived side, if it has one.
    pub derived: Option<Value>,
}

/// Compares schemas for one operation (`scope` = `surface:operationId`).
pub struct SchemaComparator<'a> {
    eq: &'a Equivalences,
    scope: String,
}

impl<'a> SchemaComparator<'a> {
    /// A comparator applying `eq` as declared for `scope`.
    pub fn new(eq: &'a Equivalences, scope: impl Into<String>) -> Self {
        Self {
            eq,
            scope: scope.into(),
        }
    }

    /// Every difference between `hand` and `derived`.
    pub fn compare(&self, hand: &Value, derived: &Value) -> Vec<SchemaDiff> {
        let mut out = Vec::new();
        self.cmp(hand, derived, "", false, &mut out);
        out
    }

    fn apply(&self, kind: Kind) -> bool {
        self.eq.apply(kind, &self.scope)
    }

    /// The schema with the declared identities applied at its top level.
    fn canon(&self, schema: &Value) -> Map<String, Value> {
        let Value::Object(map) = schema else {
            return Map::new();
        };
        let mut map = map.clone();
        let annotation_keys: Vec<String> = map
            .keys()
            .filter(|k| ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
            .cloned()
            .collect();
        if !annotation_keys.is_empty() && self.apply(Kind::Annotations) {
            for k in annotation_keys {
                map.remove(&k);
            }
        }
        if map.get("nullable") == Some(&Value::Bool(false)) {
            map.remove("nullable");
        }
        if let Some(Value::Array(members)) = map.get("allOf") {
            let only_nullable_beside = map.keys().all(|k| k == "allOf" || k == "nullable");
            if members.len() == 1 && only_nullable_beside && self.apply(Kind::AllOfWrapper) {
                let nullable = map.get("nullable").cloned();
                let mut inner = self.canon(&members[0]);
                if let Some(n) = nullable {
                    inner.insert("nullable".into(), n);
                }
                return inner;
            }
        }
        let free = match map.get("additionalProperties") {
            Some(Value::Bool(true)) => true,
            Some(Value::Object(o)) => o.is_empty(),
            _ => false,
        };
        if free && self.apply(Kind::FreeFormObject) {
            map.remove("additionalProperties");
        }
        map
    }

    fn cmp(
        &self,
        hand: &Value,
        derived: &Value,
        ptr: &str,
        optional: bool,
        out: &mut Vec<SchemaDiff>,
    ) {
        let h = self.canon(hand);
        let d = self.canon(derived);
        let diff = |out: &mut Vec<SchemaDiff>,
                    at: String,
                    message: String,
                    hv: Option<&Value>,
                    dv: Option<&Value>| {
            out.push(SchemaDiff {
                pointer: at,
                message,
                hand: hv.cloned(),
                derived: dv.cloned(),
            })
        };
        let keys: BTreeSet<&String> = h.keys().chain(d.keys()).collect();
        for key in keys {
            let at = format!("{ptr}/{}", crate::document::escape(key));
            let (hv, dv) = (h.get(key), d.get(key));
            match key.as_str() {
                "properties" => self.cmp_properties(&h, &d, ptr, out),
                "required" => {
                    let (hs, ds) = (string_set(hv), string_set(dv));
                    for name in hs.difference(&ds) {
                        diff(out, format!("{ptr}/properties/{}", crate::document::escape(name)),
                            format!("property `{name}` is required in the document but optional on the server"),
                            Some(&Value::Bool(true)), Some(&Value::Bool(false)));
                    }
                    for name in ds.difference(&hs) {
                        diff(out, format!("{ptr}/properties/{}", crate::document::escape(name)),
                            format!("property `{name}` is optional in the document but required on the server"),
                            Some(&Value::Bool(false)), Some(&Value::Bool(true)));
                    }
                }
                "enum" => {
                    let set = |v: Option<&Value>| -> BTreeSet<String> {
                        v.and_then(Value::as_array)
                            .map(|a| a.iter().map(Value::to_string).collect())
                            .unwrap_or_default()
                    };
                    if set(hv) != set(dv) {
                        diff(out, at, "enum values differ".into(), hv, dv);
                    }
                }
                "format" => match (hv, dv) {
                    (Some(a), Some(b)) if a == b => {}
                    (Some(_), Some(_)) => diff(out, at, "format differs".into(), hv, dv),
                    _ => {
                        let is_string = h.get("type").or(d.get("type"))
                            == Some(&Value::String("string".into()));
                        if !(is_string && self.apply(Kind::StringFormat)) {
                            diff(out, at, "format is stated on one side only".into(), hv, dv);
                        }
                    }
                },
                "nullable" => {
                    if hv != dv && !(optional && self.apply(Kind::OptionalNullable)) {
                        diff(out, at, "nullability differs".into(), hv, dv);
                    }
                }
                "items" | "additionalProperties" | "not" => match (hv, dv) {
                    (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) => {
                        self.cmp(a, b, &at, false, out)
                    }
                    (a, b) if a == b => {}
                    _ => diff(out, at, format!("`{key}` differs"), hv, dv),
                },
                "allOf" | "anyOf" | "oneOf" => self.cmp_members(key, hv, dv, &at, out),
                "$recursive" => {
                    if hv.is_none() || dv.is_none() {
                        diff(
                            out,
                            at,
                            "a recursive reference on one side only".into(),
                            hv,
                            dv,
                        );
                    }
                }
                "$unresolved" => diff(out, at, "a `$ref` that does not resolve".into(), hv, dv),
                k if NUMERIC.contains(&k) => {
                    let num = |v: Option<&Value>| v.and_then(Value::as_f64);
                    if num(hv) != num(dv) {
                        diff(out, at, format!("`{k}` differs"), hv, dv);
                    }
                }
                k if PLAIN.contains(&k) => {
                    if hv != dv {
                        let what = if k == "type" {
                            "type differs".to_owned()
                        } else {
                            format!("`{k}` differs")
                        };
                        diff(out, at, what, hv, dv);
                    }
                }
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {
                    if hv != dv {
                        diff(
                            out,
                            at,
                            format!(
                                "annotation `{k}` differs (no `annotations` equivalence declared)"
                            ),
                            hv,
                            dv,
                        );
                    }
                }
                k => diff(
                    out,
                    at,
                    format!("keyword `{k}` is not understood by the comparator"),
                    hv,
                    dv,
                ),
            }
        }
    }

    fn cmp_properties(
        &self,
        h: &Map<String, Value>,
        d: &Map<String, Value>,
        ptr: &str,
        out: &mut Vec<SchemaDiff>,
    ) {
        let empty = Map::new();
        let props = |m: &Map<String, Value>| {
            m.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let required = |m: &Map<String, Value>| string_set(m.get("required"));
        let (hp, dp) = (props(h), props(d));
        let (hr, dr) = (required(h), required(d));
        let names: BTreeSet<&String> = hp.keys().chain(dp.keys()).collect();
        for name in names {
            let at = format!("{ptr}/properties/{}", crate::document::escape(name));
            match (hp.get(name), dp.get(name)) {
                (Some(a), Some(b)) => {
                    let optional = !hr.contains(name) && !dr.contains(name);
                    self.cmp(a, b, &at, optional, out);
                }
                (Some(a), None) => out.push(SchemaDiff {
                    pointer: at,
                    message: format!("property `{name}` is in the document but not on the server"),
                    hand: Some(a.clone()),
                    derived: None,
                }),
                (None, Some(b)) => out.push(SchemaDiff {
                    pointer: at,
                    message: format!("property `{name}` is on the server but not in the document"),
                    hand: None,
                    derived: Some(b.clone()),
                }),
                (None, None) => {}
            }
        }
    }

    /// Compares `allOf`/`anyOf`/`oneOf` members as multisets: each hand member is
    /// paired with a derived member it matches exactly; what is left is reported
    /// pairwise in order.
    fn cmp_members(
        &self,
        key: &str,
        hv: Option<&Value>,
        dv: Option<&Value>,
        at: &str,
        out: &mut Vec<SchemaDiff>,
    ) {
        let (Some(Value::Array(hm)), Some(Value::Array(dm))) = (hv, dv) else {
            out.push(SchemaDiff {
                pointer: at.to_owned(),
                message: format!("`{key}` is on one side only"),
                hand: hv.cloned(),
                derived: dv.cloned(),
            });
            return;
        };
        let mut unmatched_d: Vec<usize> = (0..dm.len()).collect();
        let mut unmatched_h = Vec::new();
        for (i, a) in hm.iter().enumerate() {
            let found = unmatched_d
                .iter()
                .position(|&j| self.quietly_equal(a, &dm[j]));
            match found {
                Some(pos) => {
                    let j = unmatched_d.remove(pos);
                    // Compare again for real so that applied equivalences are counted once.
                    self.cmp(a, &dm[j], &format!("{at}/{i}"), false, &mut Vec::new());
                }
                None => unmatched_h.push(i),
            }
        }
        if unmatched_h.len() == unmatched_d.len() {
            for (i, j) in unmatched_h.into_iter().zip(unmatched_d) {
                self.cmp(&hm[i], &dm[j], &format!("{at}/{i}"), false, out);
            }
        } else {
            out.push(SchemaDiff {
                pointer: at.to_owned(),
                message: format!(
                    "`{key}` has {} member(s) in the document and {} on the server, {} and {} of them unmatched",
                    hm.len(),
                    dm.len(),
                    unmatched_h.len(),
                    unmatched_d.len()
                ),
                hand: hv.cloned(),
                derived: dv.cloned(),
            });
        }
    }

    fn quietly_equal(&self, a: &Value, b: &Value) -> bool {
        let saved = self.eq.snapshot();
        let equal = self.compare(a, b).is_empty();
        self.eq.restore(saved);
        equal
    }
}
