//! One classified change between two versions of a contract.

use crate::model::OpKey;

use super::rules::{Rule, Severity, Side};

/// A change found by the comparison, classified by a [`Rule`].
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The rule that classifies it.
    pub rule: Rule,
    /// Where it happened: request or response.
    pub side: Side,
    /// The operation it belongs to (method and path as in the new document; as in the old
    /// one when the operation was removed).
    pub operation: OpKey,
    /// The operation's operationId (new document first, old one when removed).
    pub operation_id: Option<String>,
    /// JSON pointer into the new document (into the old one for what was removed), through
    /// resolved `$ref`s, as the drift check reports them.
    pub pointer: String,
    /// What changed, in words.
    pub message: String,
    /// The reason from the acknowledgement file, when a reviewer accepted the change.
    pub accepted: Option<String>,
}

impl Change {
    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    /// `METHOD path (operationId)`, the way every report names an operation.
    pub fn operation_label(&self) -> String {
        match &self.operation_id {
            Some(id) => format!("{} ({id})", self.operation),
            None => self.operation.to_string(),
        }
    }
}

/// A change found inside one operation, before it is attached to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub rule: Rule,
    pub side: Side,
    pub pointer: String,
    pub message: String,
}

impl Found {
    pub fn new(
        rule: Rule,
        side: Side,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            side,
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
