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
    /// Only count requests answered by this model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub model: Option<String>,
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
    /// Cost at list price, USD.
    pub cost_usd: f64,
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
    /// Tokens in the window.
    pub total_tokens: i64,
    /// Cost in the window, USD.
    pub total_cost_usd: f64,
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
    /// Amount due, USD.
    pub amount_usd: f64,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

list_envelope!(
    /// A page of invoices.
    InvoiceList, Invoice
);
