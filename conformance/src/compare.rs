//! Comparing a live answer with a documented example: same keys, same JSON
//! types, same values, except at pointers declared volatile.

use serde_json::Value;

/// One difference between the example and the answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mismatch {
    /// JSON pointer into the body.
    pub pointer: String,
    /// What differs.
    pub message: String,
    /// The documented value, when there is one.
    pub expected: Option<Value>,
    /// The value the server sent, when there is one.
    pub actual: Option<Value>,
}

/// Whether `pointer` matches a volatile pattern (`*` matches one segment).
pub fn is_volatile(pointer: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| {
        let a: Vec<&str> = p.split('/').collect();
        let b: Vec<&str> = pointer.split('/').collect();
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "*" || x == y)
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every difference between `expected` (the example) and `actual` (the answer).
pub fn compare(expected: &Value, actual: &Value, volatile: &[&str]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    walk(expected, actual, "", volatile, &mut out);
    out
}

fn walk(expected: &Value, actual: &Value, at: &str, volatile: &[&str], out: &mut Vec<Mismatch>) {
    let mismatch = |out: &mut Vec<Mismatch>, message: String| {
        out.push(Mismatch {
            pointer: at.to_owned(),
            message,
            expected: Some(expected.clone()),
            actual: Some(actual.clone()),
        })
    };
    if is_volatile(at, volatile) {
        // The value may differ; its JSON type may not (null stands in for "absent").
        if !expected.is_null() && !actual.is_null() && type_name(expected) != type_name(actual) {
            mismatch(
                out,
                format!(
                    "type differs: expected {}, got {}",
                    type_name(expected),
                    type_name(actual)
                ),
            );
        }
        return;
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let child = format!("{at}/{}", quartet_contract::document::escape(k));
                match a.get(k) {
                    Some(av) => walk(ev, av, &child, volatile, out),
                    None => out.push(Mismatch {
                        pointer: child,
                        message: "missing from the answer".into(),
                        expected: Some(ev.clone()),
                        actual: None,
                    }),
                }
            }
            for (k, av) in a {
                if !e.contains_key(k) {
                    let child = format!("{at}/{}", quartet_contract::document::escape(k));
                    out.push(Mismatch {
                        pointer: child,
                        message: "not in the example".into(),
                        expected: None,
                        actual: Some(av.clone()),
                    });
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                mismatch(
                    out,
                    format!(
                        "array length differs: expected {}, got {}",
                        e.len(),
                        a.len()
                    ),
                );
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                walk(ev, av, &format!("{at}/{i}"), volatile, out);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            if e.as_f64() != a.as_f64() {
                mismatch(out, "value differs".into());
            }
        }
        (e, a) if type_name(e) != type_name(a) => {
            mismatch(
                out,
                format!(
                    "type differs: expected {}, got {}",
                    type_name(e),
                    type_name(a)
                ),
            );
        }
        (e, a) => {
            if e != a {
                mismatch(out, "value differs".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_types_and_values_are_compared() {
        let e = json!({"a": 1, "b": {"c": "x"}, "d": [1, 2]});
        assert!(compare(&e, &e, &[]).is_empty());
        let a = json!({"a": "1", "b": {"c": "y"}, "d": [1], "z": true});
        let m = compare(&e, &a, &[]);
        let pointers: Vec<&str> = m.iter().map(|m| m.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a", "/b/c", "/d", "/z"]);
    }

    #[test]
    fn volatile_pointers_keep_their_type() {
        let e = json!({"id": "a", "hits": [{"score": 1.5}, {"score": 2.0}]});
        let a = json!({"id": "b", "hits": [{"score": 0.3}, {"score": 9.0}]});
        assert!(compare(&e, &a, &["/id", "/hits/*/score"]).is_empty());
        let wrong = json!({"id": 7, "hits": [{"score": 0.3}, {"score": 9.0}]});
        assert_eq!(compare(&e, &wrong, &["/id", "/hits/*/score"]).len(), 1);
    }

    #[test]
    fn a_missing_key_is_reported_even_when_volatile_below() {
        let e = json!({"a": {"b": 1}});
        let m = compare(&e, &json!({}), &["/a/b"]);
        assert_eq!(m[0].pointer, "/a");
    }
}
