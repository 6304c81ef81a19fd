//! Building the HTTP request of a scenario from the document: path, query and
//! header parameters from their examples, the body from the request example,
//! then the scenario's overrides.

use std::collections::HashMap;

use quartet_contract::model::Operation;
use thiserror::Error;

use crate::scenario::{Body, Scenario, Val};

/// Why a request could not be built (a mistake in the scenario or the document).
#[derive(Debug, Error, PartialEq)]
pub enum BuildError {
    /// The scenario names an operation the document does not have.
    #[error("no operation {0} in the document")]
    UnknownOperation(String),
    /// A fixture name nothing created.
    #[error("no fixture named {0:?}")]
    UnknownFixture(String),
    /// A required parameter has neither an example nor an override.
    #[error("parameter {0:?} has no example and the scenario gives no value")]
    NoParameterValue(String),
    /// Several request examples and the scenario chose none.
    #[error("ambiguous request body: choose one of {0:?} with body_example()")]
    AmbiguousBody(Vec<String>),
    /// The scenario names a request example the document does not have.
    #[error("no request example named {0:?}")]
    UnknownBodyExample(String),
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Upper-case method.
    pub method: String,
    /// Path with parameters filled in, plus the query string.
    pub path_and_query: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

fn resolve(v: &Val, fixtures: &HashMap<String, String>) -> Result<String, BuildError> {
    match v {
        Val::Lit(s) => Ok(s.clone()),
        Val::Fixture(name) => fixtures
            .get(*name)
            .cloned()
            .ok_or_else(|| BuildError::UnknownFixture((*name).to_owned())),
        Val::Documented => Err(BuildError::NoParameterValue(
            "(a documented example outside a parameter)".into(),
        )),
    }
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the request of `scenario` against operation `op`.
pub fn build(
    op: &Operation,
    scenario: &Scenario,
    fixtures: &HashMap<String, String>,
) -> Result<Prepared, BuildError> {
    let mut path = op.key.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    for p in &op.parameters {
        let overridden = scenario
            .params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&p.name));
        let value = match overridden {
            Some((_, None)) => continue,
            Some((_, Some(Val::Documented))) => match &p.example {
                Some(e) => text_of(e),
                None => return Err(BuildError::NoParameterValue(p.name.clone())),
            },
            Some((_, Some(v))) => resolve(v, fixtures)?,
            None if p.required => match &p.example {
                Some(e) => text_of(e),
                None => return Err(BuildError::NoParameterValue(p.name.clone())),
            },
            None => continue,
        };
        match p.location.as_str() {
            "path" => path = path.replace(&format!("{{{}}}", p.name), &encode(&value)),
            "query" => query.push((p.name.clone(), value)),
            _ => headers.push((p.name.clone(), value)),
        }
    }
    for (name, value) in &scenario.params {
        let known = op
            .parameters
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name));
        if let (false, Some(v)) = (known, value) {
            // Undocumented parameters are sent as query parameters (e.g. to probe rejection).
            query.push((name.clone(), resolve(v, fixtures)?));
        }
    }
    let documented_type = op
        .request_body
        .as_ref()
        .and_then(|b| b.content.keys().next().cloned());
    let body = match &scenario.body {
        Body::Nothing => None,
        Body::Raw(bytes) => Some(bytes.clone()),
        Body::Json(v) => Some(
            serde_json::to_vec(&with_fixtures(v.clone(), fixtures)?)
                .expect("JSON values serialise"),
        ),
        Body::Form(fields) => {
            let mut pairs = Vec::new();
            for (k, v) in fields {
                pairs.push(format!("{}={}", encode(k), encode(&resolve(v, fixtures)?)));
            }
            Some(pairs.join("&").into_bytes())
        }
        Body::Documented(choice) => match &op.request_body {
            None => None,
            Some(b) => {
                let examples: Vec<_> = b.content.values().flat_map(|m| m.examples.iter()).collect();
                let chosen = match choice {
                    Some(name) => examples
                        .iter()
                        .find(|(n, _)| n == name)
                        .ok_or_else(|| BuildError::UnknownBodyExample((*name).to_owned()))?,
                    None if examples.len() == 1 => &examples[0],
                    None => {
                        return Err(BuildError::AmbiguousBody(
                            examples.iter().map(|(n, _)| n.clone()).collect(),
                        ))
                    }
                };
                Some(encode_body(documented_type.as_deref(), &chosen.1))
            }
        },
    };
    if body.is_some() {
        let ct = scenario
            .content_type
            .clone()
            .or(documented_type)
            .unwrap_or_else(|| "application/json".to_owned());
        headers.push(("content-type".to_owned(), ct));
    } else if let Some(ct) = &scenario.content_type {
        headers.push(("content-type".to_owned(), ct.clone()));
    }
    for (name, value) in &scenario.headers {
        headers.push((name.clone(), resolve(value, fixtures)?));
    }
    let mut path_and_query = path;
    if !query.is_empty() {
        let qs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        path_and_query = format!("{path_and_query}?{}", qs.join("&"));
    }
    Ok(Prepared {
        method: op.key.method.clone(),
        path_and_query,
        headers,
        body,
    })
}

/// `value` with every string `"fx:NAME"` replaced by fixture `NAME`.
fn with_fixtures(
    value: serde_json::Value,
    fixtures: &HashMap<String, String>,
) -> Result<serde_json::Value, BuildError> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) => match s.strip_prefix("fx:") {
            Some(name) => Value::String(
                fixtures
                    .get(name)
                    .cloned()
                    .ok_or_else(|| BuildError::UnknownFixture(name.to_owned()))?,
            ),
            None => Value::String(s),
        },
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| with_fixtures(v, fixtures))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, with_fixtures(v, fixtures)?)))
                .collect::<Result<_, BuildError>>()?,
        ),
        other => other,
    })
}

/// A documented example as bytes of its media type.
fn encode_body(media_type: Option<&str>, value: &serde_json::Value) -> Vec<u8> {
    match media_type {
        Some(mt) if mt.starts_with("application/x-www-form-urlencoded") => {
            let pairs: Vec<String> = value
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{}={}", encode(k), encode(&text_of(v))))
                        .collect()
                })
                .unwrap_or_default();
            pairs.join("&").into_bytes()
        }
        Some(mt) if !mt.contains("json") => text_of(value).into_bytes(),
        _ => serde_json::to_vec(value).expect("JSON values serialise"),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
