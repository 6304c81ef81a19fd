//! One classified change between two versions of a contract.

use std::fmt;

use crate::model::{OpKey, Operation};

use super::rules::{Rule, Severity, Side};

/// An operation as reports name it: method and path, and its operationId.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpRef {
    /// Method and path.
    pub key: OpKey,
    /// The operationId, if any.
    pub id: Option<String>,
}

impl OpRef {
    /// The reference to `op`.
    pub fn of(op: &Operation) -> Self {
        Self {
            key: op.key.clone(),
            id: op.operation_id.clone(),
        }
    }

    /// `METHOD path (operationId)`, the way every report names an operation.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({id})", self.key),
            None => self.key.to_string(),
        }
    }
}

impl fmt::Display for OpRef {
    /// `METHOD path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.key.fmt(f)
    }
}

/// A change found by the comparison, classified by a [`Rule`].
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The rule that classifies it.
    pub rule: Rule,
    /// Where it happened: request or response.
    pub side: Side,
    /// The operation it belongs to (as in the new document; as in the old one when the
    /// operation was removed). `None` for a document-level change: one to something
    /// operations share (a security scheme, a server list), reported once, with the
    /// operations concerned in [`Change::used_by`].
    pub operation: Option<OpRef>,
    /// For a document-level change, the operations that use what changed, in path order
    /// (empty when none does); empty for an operation's own change.
    pub used_by: Vec<OpRef>,
    /// JSON pointer into the new document (into the old one for what was removed), through
    /// resolved `$ref`s, as the drift check reports them.
    pub pointer: String,
    /// What changed, in words.
    pub message: String,
    /// The reason from the acknowledgement file, when a reviewer accepted the change.
    pub accepted: Option<String>,
}

/// How reports name the place of a document-level change.
pub const DOCUMENT: &str = "document";

impl Change {
    /// The rule's severity.
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    /// `METHOD path (operationId)`, or [`DOCUMENT`] for a document-level change.
    pub fn operation_label(&self) -> String {
        match &self.operation {
            Some(op) => op.label(),
            None => DOCUMENT.to_owned(),
        }
    }

    /// The operation's method and path, unless the change is document-level.
    pub fn operation_key(&self) -> Option<&OpKey> {
        self.operation.as_ref().map(|op| &op.key)
    }
}

/// A change found inside one operation, or in what operations share, before it is
/// attached to its place.
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

    /// A change on the request side (servers, security, parameters, request bodies).
    pub fn request(rule: Rule, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(rule, Side::Request, pointer, message)
    }

    /// The change of operation `op`.
    pub fn on(self, op: &Operation) -> Change {
        self.placed(Some(OpRef::of(op)), Vec::new())
    }

    /// A document-level change, concerning the operations in `used_by`.
    pub fn shared(self, used_by: Vec<OpRef>) -> Change {
        self.placed(None, used_by)
    }

    fn placed(self, operation: Option<OpRef>, used_by: Vec<OpRef>) -> Change {
        Change {
            rule: self.rule,
            side: self.side,
            operation,
            used_by,
            pointer: self.pointer,
            message: self.message,
            accepted: None,
        }
    }
}
