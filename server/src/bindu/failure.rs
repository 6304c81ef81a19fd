//! Why a Bindu request failed, before it is written as a JSON-RPC error: a
//! documented code, or a [`Fault`] (storage down: 503; a bug: 500).

use quartet_api::bindu::{ErrorCode, JsonRpcErrorResponse, JsonRpcId};
use serde_json::Value;

use super::metrics::error_type;
use crate::platform::{DbError, Fault};

/// `error.message` of -32603 when storage (or another dependency) is unavailable.
pub const UNAVAILABLE_MESSAGE: &str = "Service unavailable";

/// A failed request.
#[derive(Debug)]
pub enum Failure {
    /// A documented error code, its message (`None`: the code's standard one) and detail.
    Rpc {
        /// The code.
        code: ErrorCode,
        /// A message other than the code's standard one.
        message: Option<&'static str>,
        /// Detail.
        data: Option<Value>,
        /// An HTTP status other than the code's (503 for a dependency that is down).
        status: Option<dropshot::ErrorStatusCode>,
    },
    /// Not the caller's fault.
    Fault(Fault),
    /// A paid agent without a usable payment: HTTP 402 with this x402 `PaymentRequired`.
    PaymentRequired(Value),
}

impl Failure {
    /// `code` with its standard message and `data`.
    pub fn rpc(code: ErrorCode, data: Option<Value>) -> Self {
        Failure::Rpc {
            code,
            message: None,
            data,
            status: None,
        }
    }

    /// -32602 with an explanation.
    pub fn invalid_params(detail: impl Into<String>) -> Self {
        Self::rpc(ErrorCode::InvalidParams, Some(Value::String(detail.into())))
    }

    /// -32602 answered with HTTP 404: a REST parameter that names nothing (another
    /// DID, an unknown payment session).
    pub fn names_nothing(detail: impl Into<String>) -> Self {
        Failure::Rpc {
            code: ErrorCode::InvalidParams,
            message: None,
            data: Some(Value::String(detail.into())),
            status: Some(dropshot::ErrorStatusCode::NOT_FOUND),
        }
    }

    /// `code` with a specific message.
    pub fn with_message(code: ErrorCode, message: &'static str, data: Option<Value>) -> Self {
        Failure::Rpc {
            code,
            message: Some(message),
            data,
            status: None,
        }
    }

    /// The same failure, answered with 503 (a dependency is down).
    pub fn into_unavailable(self) -> Self {
        match self {
            Failure::Rpc {
                code,
                message,
                data,
                ..
            } => Failure::Rpc {
                code,
                message,
                data,
                status: Some(dropshot::ErrorStatusCode::SERVICE_UNAVAILABLE),
            },
            other => other,
        }
    }

    /// The `error_type` label this failure counts under in `agent_errors_total`
    /// (x402's 402 has no JSON-RPC code).
    pub fn error_type(&self) -> String {
        match self {
            Failure::Rpc { code, .. } => error_type(code.code()),
            Failure::Fault(_) => error_type(ErrorCode::InternalError.code()),
            Failure::PaymentRequired(_) => "payment_required".into(),
        }
    }

    /// The error response for request `id`.
    pub fn response(self, id: JsonRpcId) -> JsonRpcErrorResponse {
        match self {
            Failure::Rpc {
                code,
                message,
                data,
                status,
            } => {
                let e = JsonRpcErrorResponse::with_message(
                    code,
                    message.unwrap_or(code.message()),
                    id,
                    data,
                );
                match status {
                    Some(s) => e.with_status(s),
                    None => e,
                }
            }
            Failure::Fault(f) if f.is_unavailable() => JsonRpcErrorResponse::with_message(
                ErrorCode::InternalError,
                UNAVAILABLE_MESSAGE,
                id,
                Some(Value::String(
                    "storage is unavailable; try again shortly".into(),
                )),
            )
            .with_status(dropshot::ErrorStatusCode::SERVICE_UNAVAILABLE),
            Failure::Fault(_) => JsonRpcErrorResponse::new(ErrorCode::InternalError, id, None),
            // Only the JSON-RPC endpoint answers 402, with the x402 body (see `rpc`).
            Failure::PaymentRequired(body) => {
                JsonRpcErrorResponse::new(ErrorCode::InvalidRequest, id, Some(body))
            }
        }
    }
}

impl From<Fault> for Failure {
    fn from(f: Fault) -> Self {
        Failure::Fault(f)
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Fault(Fault::from(e))
    }
}

impl From<Failure> for JsonRpcErrorResponse {
    fn from(f: Failure) -> Self {
        f.response(JsonRpcId::Null)
    }
}
