//! Wire types of usage reporting and invoices.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::list_envelope;

/// Query of `GET /v1/usage`: a time window and an optional model filter.
///
/// Optional query parameters are documented without `nullable`, hence `schemars(with = ...)`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UsageParams {
    /// Window start, Unix seconds (inclusive); 30 days before `end_time` when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub start_time: Option<i64>,
    /// Window end, Unix seconds (exclusive); now when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub end_time: Option<i64>,
    /// Only count usage billed under this model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub model: Option<String>,
    /// Only count completions whose request carried this `user` (exact match, at most 256
    /// characters and no control characters; otherwise 400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = 256))]
    pub user: Option<String>,
}

/// Usage of one model on one UTC day.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UsageBucket {
    /// Always `usage.bucket`.
    pub object: String,
    /// Start of the UTC day, Unix seconds.
    pub bucket_start: i64,
    /// Model that answered.
    pub model: String,
    /// Completions served.
    pub requests: i64,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Generated tokens.
    pub output_tokens: i64,
    /// Sum of the two.
    pub total_tokens: i64,
    /// Tokens of training data processed by training jobs that finished that day (model:
    /// the job's base model; see `trained_tokens` of the job).
    pub trained_tokens: i64,
    /// Cost at list price, in micro-dollars (1 USD = 1 000 000), rounded half up per bucket.
    pub cost_micros: i64,
}

/// Usage of the organization over a window, by day and model.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct UsageReport {
    /// Always `usage`.
    pub object: String,
    /// Window start, Unix seconds.
    pub start_time: i64,
    /// Window end, Unix seconds.
    pub end_time: i64,
    /// One bucket per day and model that saw traffic, oldest first.
    pub data: Vec<UsageBucket>,
    /// Completions served in the window.
    pub total_requests: i64,
    /// Tokens in the window (input, output and trained).
    pub total_tokens: i64,
    /// Cost in the window, micro-dollars: the sum of the buckets' `cost_micros`.
    pub total_cost_micros: i64,
}

/// Invoice lifecycle: `draft` (current month, still growing), `open` (period
/// closed, awaiting payment), `paid`, `void`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Void,
}

/// A monthly invoice of the organization.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Invoice {
    /// Always `invoice`.
    pub object: String,
    /// Invoice id (`inv_` prefix).
    pub id: String,
    /// Where the invoice is in its lifecycle.
    pub status: InvoiceStatus,
    /// ISO 4217 currency code, lowercase; always `usd`.
    pub currency: String,
    /// First second of the billed month (UTC), Unix seconds.
    pub period_start: i64,
    /// First second after the billed month, Unix seconds.
    pub period_end: i64,
    /// Completions billed.
    pub total_requests: i64,
    /// Tokens billed.
    pub total_tokens: i64,
    /// The charges, one per model and kind of token; their amounts add up to `amount_micros`.
    pub line_items: Vec<InvoiceLineItem>,
    /// Amount due, micro-dollars (1 USD = 1 000 000): the sum of the line items.
    pub amount_micros: i64,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// What a line of an invoice charges for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    InputTokens,
    OutputTokens,
    TrainedTokens,
}

/// One charge of an invoice: a quantity of tokens of one kind and model at a list price.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct InvoiceLineItem {
    /// Model the tokens were processed by (for training: the job's base model).
    pub model: String,
    /// Kind of tokens.
    pub kind: UsageKind,
    /// Number of tokens.
    pub quantity: i64,
    /// List price per million tokens, micro-dollars.
    pub unit_price_micros: i64,
    /// `quantity × unit_price_micros / 1 000 000`, rounded half up, micro-dollars.
    pub amount_micros: i64,
}

list_envelope!(
    /// A page of invoices.
    InvoiceList, Invoice
);
