//! Validating examples against OpenAPI 3.0 schemas with a real JSON Schema validator.
//!
//! OpenAPI 3.0 schemas are a dialect of JSON Schema draft 4 (`nullable`, no
//! `type: null`). They are translated once per document and validated with
//! `jsonschema` in draft-4 mode; `$ref`s point into the translated components.
//!
//! `nullable` has the meaning OpenAPI 3.0.3 gives it (and the OAI proposal "Clarify
//! Semantics of `nullable`" spells out): `nullable: true` adds null to the `type` of the
//! same schema object and does nothing else. Without a `type` beside it, it has no effect;
//! every other keyword still applies to null, so an `enum` without null, a `$ref`
//! sibling or an `allOf` member that is not itself nullable rejects it. This is what
//! Spectral (ajv) and openapi-schema-validator do.

use serde_json::{json, Map, Value};

use crate::document::Document;

/// Validates instances against schemas of one document.
pub struct ExampleValidator {
    components: Value,
}

impl ExampleValidator {
    /// Prepares the document's components for validation.
    pub fn new(doc: &Document) -> Self {
        Self {
            components: translate_components(doc),
        }
    }

    /// Every error of `instance` against the (unresolved) OpenAPI `schema`, as
    /// `(instance pointer, message)`. An unusable schema is reported as one error.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<(String, String)> {
        let mut root = match translate(schema) {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([other]));
                m
            }
        };
        root.insert("components".into(), self.components.clone());
        let root = Value::Object(root);
        let validator = match jsonschema::draft4::options()
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
        {
            Ok(v) => v,
            Err(e) => return vec![(String::new(), format!("schema cannot be compiled: {e}"))],
        };
        validator
            .iter_errors(instance)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }
}

/// Translates an OpenAPI 3.0 schema to draft 4: `type: T` with `nullable: true` becomes
/// `type: [T, "null"]`, `nullable` is dropped everywhere else (it has no effect without a
/// `type`); documentation-only keywords are dropped.
fn translate(v: &Value) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let translated = match (k.as_str(), v) {
            ("properties", Value::Object(props)) => Value::Object(
                props
                    .iter()
                    .map(|(n, s)| (n.clone(), translate(s)))
                    .collect(),
            ),
            ("items" | "additionalProperties" | "not", Value::Object(_)) => translate(v),
            ("allOf" | "anyOf" | "oneOf", Value::Array(members)) => {
                Value::Array(members.iter().map(translate).collect())
            }
            (
                "example" | "examples" | "discriminator" | "xml" | "externalDocs" | "deprecated"
                | "readOnly" | "writeOnly" | "nullable",
                _,
            ) => continue,
            (k, _) if k.starts_with("x-") => continue,
            _ => v.clone(),
        };
        out.insert(k.clone(), translated);
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(t)) = map.get("type") {
            out.insert("type".into(), json!([t, "null"]));
        }
    }
    Value::Object(out)
}

/// The document's `components.schemas`, translated, under the same pointer.
fn translate_components(doc: &Document) -> Value {
    let schemas: Map<String, Value> = doc
        .value
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(n, s)| (n.clone(), translate(s))).collect())
        .unwrap_or_default();
    json!({ "schemas": schemas })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document::parse(
            "t",
            r#"
components:
  schemas:
    Item:
      type: object
      required: [id]
      properties:
        id: {type: integer, format: int64}
        note: {type: string, nullable: true}
"#,
        )
        .unwrap()
    }

    #[test]
    fn refs_and_nullable_are_understood() {
        let v = ExampleValidator::new(&doc());
        let schema = json!({"$ref": "#/components/schemas/Item"});
        assert!(v
            .validate(&schema, &json!({"id": 1, "note": null}))
            .is_empty());
        let errors = v.validate(&schema, &json!({"id": "1"}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "/id");
        assert!(!v.validate(&schema, &json!({"note": "x"})).is_empty());
    }

    /// The cases below were run through Spectral 6 (`oas3-valid-media-example`, ajv) too,
    /// which accepts and rejects exactly the same nulls.
    #[test]
    fn nullable_only_widens_a_type_in_the_same_schema_object() {
        let doc = Document::parse(
            "t",
            r#"
components:
  schemas:
    Thing:
      type: object
      properties:
        a: {type: string}
    Id:
      oneOf:
        - {type: string}
        - {type: integer, format: int64}
"#,
        )
        .unwrap();
        let v = ExampleValidator::new(&doc);
        let accepts_null = |schema: Value| v.validate(&schema, &Value::Null).is_empty();
        // `type` beside `nullable`: null is one more value of the type.
        assert!(accepts_null(json!({"type": "string", "nullable": true})));
        assert!(accepts_null(
            json!({"type": "string", "format": "date-time", "nullable": true})
        ));
        assert!(!accepts_null(json!({"type": "string"})));
        assert!(!accepts_null(json!({"type": "string", "nullable": false})));
        // Other keywords still apply to null: an `enum` must list it.
        assert!(!accepts_null(
            json!({"type": "string", "enum": ["a", "b"], "nullable": true})
        ));
        assert!(accepts_null(
            json!({"type": "string", "enum": ["a", null], "nullable": true})
        ));
        // Without `type`, `nullable` widens nothing: the `allOf` member or the
        // referenced schema decides, and rejects null.
        assert!(!accepts_null(
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Id"}]})
        ));
        assert!(!accepts_null(
            json!({"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Thing"}]})
        ));
        assert!(!accepts_null(
            json!({"$ref": "#/components/schemas/Thing", "nullable": true})
        ));
        // A typed, nullable `oneOf` member admits null; two of them make it ambiguous.
        assert!(accepts_null(
            json!({"oneOf": [{"type": "string", "nullable": true}, {"type": "integer"}]})
        ));
        assert!(!accepts_null(json!({"oneOf": [
            {"type": "string", "nullable": true},
            {"type": "integer", "nullable": true}
        ]})));
        // The null-only member (`enum: [null]`) beside a reference to the present value.
        let id_or_null = json!({"oneOf": [
            {"$ref": "#/components/schemas/Id"},
            {"type": "string", "nullable": true, "enum": [null]}
        ]});
        assert!(accepts_null(id_or_null.clone()));
        for present in [json!("a"), json!(7)] {
            assert!(v.validate(&id_or_null, &present).is_empty(), "{present}");
        }
        assert!(!v.validate(&id_or_null, &json!(1.5)).is_empty());
    }
}
