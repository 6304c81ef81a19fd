//! Bindu wire types: Payments.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// State of a payment session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PaymentSessionStatus {
    // Waiting for the payer.
    Pending,
    // Paid; `payment_token` is available.
    Completed,
    // The payment was refused.
    Failed,
    // Not paid in time.
    Expired,
}

/// Answer of `POST /api/start-payment-session`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSession {
    /// Session id.
    pub session_id: String,
    /// Page the payer opens in a browser.
    pub browser_url: String,
    /// Answered once: present it as `X-Payment-Session-Secret` to read the
    /// session's `payment_token`.
    pub session_secret: String,
    /// When an unpaid session expires (RFC 3339).
    pub expires_at: String,
    /// Always "pending" at creation.
    pub status: PaymentSessionStatus,
}

/// Optional header of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
pub struct PaymentSessionSecretHeader {
    /// The `session_secret` answered when the session was opened; without it
    /// the status carries no `payment_token`.
    #[serde(rename = "X-Payment-Session-Secret", default)]
    pub secret: Option<String>,
}

/// Path of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSessionPath {
    /// Session id.
    #[serde(rename = "sessionId")]
    pub session_id: String,
}

/// Query of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentStatusQuery {
    /// Hold the answer until the session leaves `pending` (at most 60 s); default false.
    #[serde(default)]
    pub wait: bool,
}

/// Answer of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentStatus {
    /// Session id.
    pub session_id: String,
    /// Current state.
    pub status: PaymentSessionStatus,
    /// Why the payment failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Base64 x402 payment payload, to send as X-PAYMENT (completed sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<String>,
}

/// Query of `GET /payment-capture`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentCaptureQuery {
    /// Session id from `browser_url`.
    pub session_id: String,
}
