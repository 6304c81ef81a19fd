//! Line-by-line validation of a dataset file against its row format.

use quartet_api::bitstride::{DatasetRowFormat, DatasetValidationError};
use serde_json::Value;

/// Problems reported at most.
pub const MAX_ERRORS: usize = 20;

/// The outcome of reading a file.
pub struct Outcome {
    /// Non-empty lines.
    pub rows: i64,
    /// Lines that failed.
    pub invalid: i64,
    /// The first problems, by 1-based line number.
    pub errors: Vec<DatasetValidationError>,
}

/// Non-empty lines of a file with their 1-based numbers.
pub fn lines(data: &[u8]) -> impl Iterator<Item = (i64, &[u8])> {
    data.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as i64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
}

fn non_empty_string(v: &Value, field: &str) -> Result<(), String> {
    match v.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        _ => Err(format!("missing a non-empty \"{field}\" string")),
    }
}

fn check_chat(v: &Value) -> Result<(), String> {
    let Some(Value::Array(messages)) = v.get("messages") else {
        return Err("missing a non-empty \"messages\" array".into());
    };
    if messages.is_empty() {
        return Err("missing a non-empty \"messages\" array".into());
    }
    let mut assistant = false;
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        if !matches!(role, Some("system" | "user" | "assistant" | "tool")) {
            return Err(format!(
                "messages[{i}].role must be system, user, assistant or tool"
            ));
        }
        if !matches!(m.get("content"), Some(Value::String(_))) {
            return Err(format!("messages[{i}].content must be a string"));
        }
        assistant |= role == Some("assistant");
    }
    if !assistant {
        return Err("messages has no assistant message to learn from".into());
    }
    Ok(())
}

/// Why one parsed line does not fit `format`, if it does not.
pub fn check_row(format: DatasetRowFormat, v: &Value) -> Result<(), String> {
    if !v.is_object() {
        return Err("line is not a JSON object".into());
    }
    match format {
        DatasetRowFormat::Chat => check_chat(v),
        DatasetRowFormat::Preference => non_empty_string(v, "prompt")
            .and_then(|_| non_empty_string(v, "chosen"))
            .and_then(|_| non_empty_string(v, "rejected")),
        DatasetRowFormat::PromptCompletion => {
            non_empty_string(v, "prompt").and_then(|_| non_empty_string(v, "completion"))
        }
        DatasetRowFormat::Prompt => {
            non_empty_string(v, "prompt").and_then(|_| match v.get("answer") {
                None | Some(Value::String(_)) => Ok(()),
                Some(_) => Err("\"answer\" must be a string".into()),
            })
        }
    }
}

/// Reads every non-empty line of `data` as a row of `format`.
pub fn validate(format: DatasetRowFormat, data: &[u8]) -> Outcome {
    let mut out = Outcome {
        rows: 0,
        invalid: 0,
        errors: Vec::new(),
    };
    for (line, bytes) in lines(data) {
        out.rows += 1;
        let problem = match serde_json::from_slice::<Value>(bytes) {
            Err(_) => Some("line is not valid JSON".to_owned()),
            Ok(v) => check_row(format, &v).err(),
        };
        if let Some(message) = problem {
            out.invalid += 1;
            if out.errors.len() < MAX_ERRORS {
                out.errors.push(DatasetValidationError { line, message });
            }
        }
    }
    out
}

/// The training text of one valid row (what the reference trainer learns from).
pub fn training_text(format: DatasetRowFormat, v: &Value) -> String {
    let s = |f: &str| {
        v.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match format {
        DatasetRowFormat::Chat => v
            .get("messages")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|m| m.get("content").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        DatasetRowFormat::Preference => format!("{}\n{}", s("prompt"), s("chosen")),
        DatasetRowFormat::PromptCompletion => format!("{}\n{}", s("prompt"), s("completion")),
        DatasetRowFormat::Prompt => s("prompt"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_checked_against_the_row_format() {
        let file = b"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n\nnot json\n{\"messages\":[]}\n";
        let out = validate(DatasetRowFormat::Chat, file);
        assert_eq!((out.rows, out.invalid), (3, 2));
        assert_eq!(out.errors[0].line, 3);
        assert_eq!(out.errors[0].message, "line is not valid JSON");
        assert_eq!(out.errors[1].line, 4);
        let pairs = b"{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n{\"prompt\":\"p\",\"chosen\":\"a\"}";
        let out = validate(DatasetRowFormat::Preference, pairs);
        assert_eq!((out.rows, out.invalid), (2, 1));
        assert!(out.errors[0].message.contains("rejected"));
        let pc = b"{\"prompt\":\"p\",\"completion\":\"c\"}";
        assert_eq!(validate(DatasetRowFormat::PromptCompletion, pc).invalid, 0);
        assert_eq!(
            validate(
                DatasetRowFormat::Prompt,
                b"{\"prompt\":\"2+2\",\"answer\":\"4\"}"
            )
            .invalid,
            0
        );
    }
}
