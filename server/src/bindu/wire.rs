//! The A2A 0.3 reading of Bindu's answers: the same objects with camelCase
//! member names (`context_id` → `contextId`). Free-form objects (`metadata`,
//! `data`, extension `params`) are passed through unchanged.

use serde_json::{Map, Value};

/// Members whose values are free-form and keep their keys.
const OPAQUE: [&str; 3] = ["metadata", "data", "params"];

/// `snake_case` → `camelCase`.
pub fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` with every member name in camelCase, free-form objects excepted.
pub fn to_a2a(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if OPAQUE.contains(&k.as_str()) {
                        v
                    } else {
                        to_a2a(v)
                    };
                    (camel(&k), v)
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(to_a2a).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_names_become_camel_case_except_in_free_form_objects() {
        let task = json!({"id": "t", "context_id": "c", "history": [{"message_id": "m", "reference_task_ids": [],
            "metadata": {"keep_me": 1}, "parts": [{"kind": "data", "data": {"snake_key": 2}}]}],
            "artifacts": [{"artifact_id": "a", "last_chunk": true}]});
        assert_eq!(
            to_a2a(task),
            json!({"id": "t", "contextId": "c", "history": [{"messageId": "m", "referenceTaskIds": [],
            "metadata": {"keep_me": 1}, "parts": [{"kind": "data", "data": {"snake_key": 2}}]}],
            "artifacts": [{"artifactId": "a", "lastChunk": true}]})
        );
        assert_eq!(camel("did.message.signature"), "did.message.signature");
    }
}
