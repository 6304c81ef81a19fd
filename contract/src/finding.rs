//! What the checks report: one finding per problem, naming the surface, the
//! operation and a JSON pointer into the hand-written document.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// Which check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// The document on its own (syntax, refs, examples, generator limits).
    Lint,
    /// The document against the server trait.
    Drift,
}

/// One problem found by a check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The check that found it.
    pub check: Check,
    /// The surface (`bindu`, …).
    pub surface: String,
    /// `METHOD path (operationId)`, when the problem belongs to an operation.
    pub operation: Option<String>,
    /// JSON pointer into the hand-written document (through resolved `$ref`s).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// The hand-written value, when there is one to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand: Option<Value>,
    /// The server-derived value, when there is one to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<Value>,
}

impl Finding {
    /// A finding with nothing to show side by side.
    pub fn new(
        check: Check,
        surface: &str,
        operation: Option<String>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            check,
            surface: surface.to_owned(),
            operation,
            pointer: pointer.into(),
            message: message.into(),
            hand: None,
            derived: None,
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(157).map(|(i, _)| i).unwrap_or(s.len())]
        )
    } else {
        s
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let check = match self.check {
            Check::Lint => "lint ",
            Check::Drift => "drift",
        };
        match &self.operation {
            Some(op) => writeln!(f, "{check}  {}: {op}", self.surface)?,
            None => writeln!(f, "{check}  {}", self.surface)?,
        }
        if !self.pointer.is_empty() {
            writeln!(f, "       at {}", self.pointer)?;
        }
        writeln!(f, "       {}", self.message)?;
        if self.hand.is_some() || self.derived.is_some() {
            let show =
                |v: &Option<Value>| v.as_ref().map(short).unwrap_or_else(|| "(absent)".into());
            writeln!(f, "         document: {}", show(&self.hand))?;
            writeln!(f, "         server:   {}", show(&self.derived))?;
        }
        Ok(())
    }
}
