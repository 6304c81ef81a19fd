//! Listing the response examples a document promises.

use quartet_contract::document::Document;
use quartet_contract::model::Contract;
use serde_json::Value;

/// One documented response example.
#[derive(Debug, Clone)]
pub struct DocExample {
    /// The operation's id.
    pub operation_id: String,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Status key as documented (`200`, `404`).
    pub status: String,
    /// Media type of the example.
    pub media_type: String,
    /// `example` for the single form, else the key under `examples`.
    pub name: String,
    /// The example value.
    pub value: Value,
    /// The response schema as written (its `$ref`s point into the document's components).
    pub schema: Option<Value>,
}

impl DocExample {
    /// `operationId status name`, the way reports name an example.
    pub fn id(&self) -> String {
        format!("{} {} {}", self.operation_id, self.status, self.name)
    }
}

/// Every response example of `doc`, in document order of paths and statuses.
pub fn enumerate(doc: &Document) -> Vec<DocExample> {
    let contract = Contract::from_document(doc);
    let mut out = Vec::new();
    // Keep the document's path order rather than the model's sorted order.
    let order: Vec<String> = doc
        .value
        .get("paths")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut ops: Vec<_> = contract.operations.values().collect();
    ops.sort_by_key(|o| {
        order
            .iter()
            .position(|p| p == &o.key.path)
            .unwrap_or(usize::MAX)
    });
    for op in ops {
        let operation_id = op.operation_id.clone().unwrap_or_default();
        for (status, response) in &op.responses {
            for (media_type, media) in &response.content {
                for (name, value) in &media.examples {
                    out.push(DocExample {
                        operation_id: operation_id.clone(),
                        method: op.key.method.clone(),
                        path: op.key.path.clone(),
                        status: status.clone(),
                        media_type: media_type.clone(),
                        name: name.clone(),
                        value: value.clone(),
                        schema: media.schema_as_written.clone(),
                    });
                }
            }
        }
    }
    out
}
