//! Reading a resolved schema for comparison: the keyword classes both comparators share
//! (the drift check's [`crate::schema::SchemaComparator`] and the diff's directional
//! walk), set-valued keywords read as sets, and `allOf` flattened into one view.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Keywords that only document a schema.
pub const ANNOTATIONS: [&str; 11] = [
    "description",
    "title",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "discriminator",
    "xml",
];

/// Keywords compared as numbers.
pub const NUMERIC: [&str; 9] = [
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
];

/// Keywords compared for plain equality.
pub const PLAIN: [&str; 5] = [
    "type",
    "pattern",
    "uniqueItems",
    "exclusiveMinimum",
    "exclusiveMaximum",
];

/// The strings of an array-valued keyword (`required`, `enum` of strings) as a set;
/// empty when the keyword is absent. Non-string members are written as JSON.
pub fn string_set(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The schema with its `allOf` members merged into it, recursively: `properties` are
/// united (a property named by several members becomes an `allOf` of its schemas),
/// `required` is united, `enum` is intersected, and any other keyword is taken from the
/// schema itself first, then from the members in order. A property moved into an `allOf`
/// member therefore reads exactly as before. Non-object schemas read as empty.
pub fn flatten_all_of(schema: &Value) -> Map<String, Value> {
    let Value::Object(map) = schema else {
        return Map::new();
    };
    let Some(Value::Array(members)) = map.get("allOf") else {
        return map.clone();
    };
    let mut out: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for member in members {
        for (k, v) in flatten_all_of(member) {
            merge_keyword(&mut out, k, v);
        }
    }
    out
}

fn merge_keyword(out: &mut Map<String, Value>, key: String, value: Value) {
    let Some(existing) = out.get_mut(&key) else {
        out.insert(key, value);
        return;
    };
    match (key.as_str(), existing, value) {
        ("properties", Value::Object(mine), Value::Object(theirs)) => {
            for (name, schema) in theirs {
                match mine.get_mut(&name) {
                    None => {
                        mine.insert(name, schema);
                    }
                    Some(current) if *current == schema => {}
                    Some(current) => {
                        let both = serde_json::json!({ "allOf": [current.clone(), schema] });
                        *current = both;
                    }
                }
            }
        }
        ("required", Value::Array(mine), Value::Array(theirs)) => {
            for name in theirs {
                if !mine.contains(&name) {
                    mine.push(name);
                }
            }
        }
        ("enum", Value::Array(mine), Value::Array(theirs)) => mine.retain(|v| theirs.contains(v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_property_moved_into_all_of_reads_the_same() {
        let before = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
        let after = json!({"allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            {"properties": {"b": {"type": "integer"}}}
        ]});
        assert_eq!(flatten_all_of(&before), flatten_all_of(&after));
    }

    #[test]
    fn own_keywords_win_and_enums_intersect() {
        let s = json!({"description": "mine", "allOf": [
            {"description": "theirs", "type": "string", "enum": ["a", "b"]},
            {"enum": ["b", "c"]}
        ]});
        let flat = flatten_all_of(&s);
        assert_eq!(flat["description"], json!("mine"));
        assert_eq!(flat["type"], json!("string"));
        assert_eq!(flat["enum"], json!(["b"]));
    }
}
