//! Reading method parameters: serde for the shape (camelCase or snake_case),
//! then the rules a schema cannot say to serde (lengths, UUIDs, ranges).

use quartet_api::bindu::{MessageSendParams, PushNotificationConfig};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindu::failure::Failure;

/// Members whose values are free-form objects (any members, nulls included).
const FREE_FORM: [&str; 2] = ["metadata", "data"];

/// Members whose values are objects wherever they appear (serde would also read a
/// struct from an array of its fields, which no document allows).
const OBJECTS: [&str; 8] = [
    "message",
    "configuration",
    "pushNotificationConfig",
    "push_notification_config",
    "authentication",
    "metadata",
    "data",
    "weights",
];

/// What is wrong with `value` that serde would let through: a member set to
/// `null` outside free-form objects (the documents give no parameter a null
/// value, so an explicit null is refused rather than read as absent), or an
/// object member given another type.
fn first_null(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match v {
                Value::Null => Some(format!("{path} must not be null (leave it out instead)")),
                _ if OBJECTS.contains(&k.as_str()) && !v.is_object() => {
                    Some(format!("{path} must be an object"))
                }
                _ if FREE_FORM.contains(&k.as_str()) => None,
                _ => first_null(v, &path),
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_null(v, &format!("{at}[{i}]"))),
        _ => None,
    }
}

/// Parameters of type `P` from `params` (absent params read as `{}`).
pub fn parse<P: DeserializeOwned>(params: Option<Value>) -> Result<P, Failure> {
    let value = params.unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(problem) = first_null(&value, "") {
        return Err(Failure::invalid_params(problem));
    }
    serde_json::from_value(value).map_err(|e| Failure::invalid_params(e.to_string()))
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

/// An id a caller chose: a UUID (Bindu) or any 1 to 128 characters (A2A).
pub fn check_id(name: &str, value: &str, strict_uuid: bool) -> Result<(), Failure> {
    if strict_uuid && !is_uuid(value) {
        return Err(Failure::invalid_params(format!(
            "{name} must be a UUID, got {value:?}"
        )));
    }
    if value.is_empty() || value.chars().count() > 128 {
        return Err(Failure::invalid_params(format!(
            "{name} must have 1 to 128 characters"
        )));
    }
    Ok(())
}

/// A count that must not be negative.
pub fn check_count(name: &str, value: Option<i64>) -> Result<(), Failure> {
    match value {
        Some(n) if n < 0 => Err(Failure::invalid_params(format!("{name} must be 0 or more"))),
        _ => Ok(()),
    }
}

/// The rules of `message/send` and `message/stream` parameters.
pub fn check_message(params: &MessageSendParams, strict_uuid: bool) -> Result<(), Failure> {
    let m = &params.message;
    let len = m.message_id.chars().count();
    if !(1..=128).contains(&len) {
        return Err(Failure::invalid_params(
            "message.messageId must have 1 to 128 characters",
        ));
    }
    if m.parts.is_empty() {
        return Err(Failure::invalid_params(
            "message.parts must contain at least one part",
        ));
    }
    if let Some(c) = &m.context_id {
        check_id("message.contextId", c, strict_uuid)?;
    }
    if let Some(t) = &m.task_id {
        check_id("message.taskId", t, strict_uuid)?;
    }
    for r in m.reference_task_ids.iter().flatten() {
        check_id("message.referenceTaskIds[]", r, strict_uuid)?;
    }
    if let Some(c) = &params.configuration {
        check_count("configuration.historyLength", c.history_length)?;
    }
    Ok(())
}

/// The webhook with its id (generated when absent).
pub fn with_config_id(mut config: PushNotificationConfig) -> PushNotificationConfig {
    if config.id.as_deref().is_none_or(str::is_empty) {
        config.id = Some(uuid::Uuid::new_v4().to_string());
    }
    config
}
