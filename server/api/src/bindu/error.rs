//! The single error envelope of the Bindu surface: a JSON-RPC 2.0 error response.
//!
//! Every failure on every Bindu path, REST routes included, is answered as
//! `{"jsonrpc": "2.0", "id": <string|integer|null>, "error": {code, message, data?}}`
//! with an HTTP status that follows from the code (see [`ErrorCode::http_status`]).
//! The server, the conformance scenarios and the client helpers share the codes
//! and the exact messages defined here.

use std::fmt;

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::types::{JsonRpcId, JsonRpcVersion};
use crate::extractor::ExtractorFailure;

/// Largest request body (bytes) any Bindu endpoint reads; larger bodies get 413 with -32600.
pub const BODY_LIMIT_BYTES: usize = 1_048_576;

/// Every error code the Bindu surface defines, with its HTTP status and message.
///
/// Some codes exist for protocol completeness and are never produced by this
/// agent (push notifications and streaming are supported, there is no extended
/// card); they are kept so clients can name every code they may meet elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// -32700: the body is not valid JSON.
    ParseError,
    /// -32600: JSON, but not a JSON-RPC 2.0 request (also used for oversized bodies, with 413).
    InvalidRequest,
    /// -32601: the `method` is not one this agent serves.
    MethodNotFound,
    /// -32602: `params` (or a REST body/query) is missing, mistyped or out of range.
    InvalidParams,
    /// -32603: a fault inside the server.
    InternalError,
    /// -32001: the task (or its push configuration) does not exist or is not the caller's.
    TaskNotFound,
    /// -32002: the task is already in a terminal state and cannot be canceled.
    TaskNotCancelable,
    /// -32003: push notifications unsupported (never produced: this agent supports them).
    PushNotificationNotSupported,
    /// -32004: operation unsupported (never produced: streaming is supported).
    UnsupportedOperation,
    /// -32005: requested output modes or supplied part kinds do not fit the agent.
    ContentTypeNotSupported,
    /// -32006: the agent handler produced an unusable result.
    InvalidAgentResponse,
    /// -32007: extended card requested but not configured (never produced).
    AuthenticatedExtendedCardNotConfigured,
    /// -32008: a message tried to continue a task that has already finished.
    TaskImmutable,
    /// -32009: no bearer token on a protected method.
    AuthenticationRequired,
    /// -32010: the bearer token is malformed, badly signed or from the wrong issuer.
    InvalidToken,
    /// -32011: the bearer token's `exp` is in the past.
    TokenExpired,
    /// -32012: the DID request signature is missing or does not verify.
    InvalidTokenSignature,
    /// -32013: the token lacks the scope the method needs.
    InsufficientPermissions,
    /// -32020: the context does not exist or is not the caller's.
    ContextNotFound,
    /// -32021: the context still has unfinished tasks.
    ContextNotCancelable,
    /// -32030: no skill with that id.
    SkillNotFound,
}

impl ErrorCode {
    /// Every code, in numeric order of definition.
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::InternalError,
        ErrorCode::TaskNotFound,
        ErrorCode::TaskNotCancelable,
        ErrorCode::PushNotificationNotSupported,
        ErrorCode::UnsupportedOperation,
        ErrorCode::ContentTypeNotSupported,
        ErrorCode::InvalidAgentResponse,
        ErrorCode::AuthenticatedExtendedCardNotConfigured,
        ErrorCode::TaskImmutable,
        ErrorCode::AuthenticationRequired,
        ErrorCode::InvalidToken,
        ErrorCode::TokenExpired,
        ErrorCode::InvalidTokenSignature,
        ErrorCode::InsufficientPermissions,
        ErrorCode::ContextNotFound,
        ErrorCode::ContextNotCancelable,
        ErrorCode::SkillNotFound,
    ];

    /// The numeric JSON-RPC code sent in `error.code`.
    pub const fn code(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::InternalError => -32603,
            ErrorCode::TaskNotFound => -32001,
            ErrorCode::TaskNotCancelable => -32002,
            ErrorCode::PushNotificationNotSupported => -32003,
            ErrorCode::UnsupportedOperation => -32004,
            ErrorCode::ContentTypeNotSupported => -32005,
            ErrorCode::InvalidAgentResponse => -32006,
            ErrorCode::AuthenticatedExtendedCardNotConfigured => -32007,
            ErrorCode::TaskImmutable => -32008,
            ErrorCode::AuthenticationRequired => -32009,
            ErrorCode::InvalidToken => -32010,
            ErrorCode::TokenExpired => -32011,
            ErrorCode::InvalidTokenSignature => -32012,
            ErrorCode::InsufficientPermissions => -32013,
            ErrorCode::ContextNotFound => -32020,
            ErrorCode::ContextNotCancelable => -32021,
            ErrorCode::SkillNotFound => -32030,
        }
    }

    /// The code for a numeric value, if it is one of ours.
    pub fn from_code(code: i64) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The HTTP status that accompanies this code (an oversized body is the one
    /// exception: -32600 with 413, see [`JsonRpcErrorResponse::payload_too_large`]).
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::MethodNotFound
            | ErrorCode::TaskNotFound
            | ErrorCode::ContextNotFound
            | ErrorCode::SkillNotFound => 404,
            ErrorCode::AuthenticationRequired
            | ErrorCode::InvalidToken
            | ErrorCode::TokenExpired => 401,
            ErrorCode::InvalidTokenSignature | ErrorCode::InsufficientPermissions => 403,
            ErrorCode::InternalError | ErrorCode::InvalidAgentResponse => 500,
            _ => 400,
        }
    }

    /// The exact `error.message` the server sends for this code.
    pub const fn message(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "Parse error",
            ErrorCode::InvalidRequest => "Invalid request",
            ErrorCode::MethodNotFound => "Method not found",
            ErrorCode::InvalidParams => "Invalid params",
            ErrorCode::InternalError => "Internal error",
            ErrorCode::TaskNotFound => "Task not found",
            ErrorCode::TaskNotCancelable => "Task cannot be canceled",
            ErrorCode::PushNotificationNotSupported => "Push notifications are not supported",
            ErrorCode::UnsupportedOperation => "Operation not supported",
            ErrorCode::ContentTypeNotSupported => "Content type not supported",
            ErrorCode::InvalidAgentResponse => "Invalid agent response",
            ErrorCode::AuthenticatedExtendedCardNotConfigured => {
                "Authenticated extended card not configured"
            }
            ErrorCode::TaskImmutable => "Task is immutable",
            ErrorCode::AuthenticationRequired => "Authentication required",
            ErrorCode::InvalidToken => "Invalid token",
            ErrorCode::TokenExpired => "Token expired",
            ErrorCode::InvalidTokenSignature => "Invalid DID signature",
            ErrorCode::InsufficientPermissions => "Insufficient permissions",
            ErrorCode::ContextNotFound => "Context not found",
            ErrorCode::ContextNotCancelable => "Context cannot be cleared",
            ErrorCode::SkillNotFound => "Skill not found",
        }
    }
}

/// `error.message` for -32001 when the task exists but has no push configuration.
pub const PUSH_CONFIG_NOT_FOUND_MESSAGE: &str = "Push notification config not found";

/// Why a DID request signature was refused (`error.data.reason` of -32012).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DidFailureReason {
    // The token names a DID client but X-DID, X-DID-Timestamp or X-DID-Signature is absent.
    MissingSignatureHeaders,
    // X-DID differs from the token's `client_id`.
    DidMismatch,
    // No Ed25519 public key is registered for the DID client.
    PublicKeyUnavailable,
    // X-DID-Timestamp is more than 300 seconds away from the server clock.
    TimestampOutOfWindow,
    // The signature is well formed but does not verify over the signed payload.
    CryptoMismatch,
    // The timestamp is not an integer or the signature is not base58 of 64 bytes.
    MalformedInput,
    // The same signed request was already accepted once.
    Replayed,
}

/// The `error` member of a JSON-RPC error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JsonRpcError {
    /// Numeric code; see [`ErrorCode`].
    pub code: i64,
    /// Short fixed text for the code.
    pub message: String,
    /// Details: a string or an object, depending on the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// The Bindu error envelope: a JSON-RPC 2.0 error response, used on every path.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct JsonRpcErrorResponse {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// The request's id, or null when it could not be read (and on REST paths).
    pub id: JsonRpcId,
    /// What went wrong.
    pub error: JsonRpcError,
    /// HTTP status to answer with; not part of the body.
    #[serde(skip)]
    #[schemars(skip)]
    status: Option<ErrorStatusCode>,
}

impl JsonRpcErrorResponse {
    /// An error for `code` with its standard message and HTTP status.
    pub fn new(code: ErrorCode, id: JsonRpcId, data: Option<Value>) -> Self {
        Self::with_message(code, code.message(), id, data)
    }

    /// An error for `code` with a specific message (e.g. [`PUSH_CONFIG_NOT_FOUND_MESSAGE`]).
    pub fn with_message(
        code: ErrorCode,
        message: &str,
        id: JsonRpcId,
        data: Option<Value>,
    ) -> Self {
        JsonRpcErrorResponse {
            jsonrpc: JsonRpcVersion::V2,
            id,
            error: JsonRpcError {
                code: code.code(),
                message: message.to_string(),
                data,
            },
            status: None,
        }
    }

    /// The 413 answer for a body over [`BODY_LIMIT_BYTES`]: -32600 with the limit in `data`.
    pub fn payload_too_large() -> Self {
        let mut e = Self::new(
            ErrorCode::InvalidRequest,
            JsonRpcId::Null,
            Some(Value::String(format!(
                "request body exceeds the limit of {BODY_LIMIT_BYTES} bytes"
            ))),
        );
        e.status = ErrorStatusCode::from_u16(413).ok();
        e
    }

    /// Overrides the HTTP status (must be 4xx or 5xx).
    pub fn with_status(mut self, status: ErrorStatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// The HTTP status as a number.
    pub fn http_status(&self) -> u16 {
        self.status_code().as_u16()
    }
}

impl fmt::Display for JsonRpcErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JSON-RPC error {}: {}",
            self.error.code, self.error.message
        )
    }
}

impl From<HttpError> for JsonRpcErrorResponse {
    /// Maps dropshot extractor and internal failures into the envelope: an
    /// oversized body becomes 413/-32600, any other 4xx keeps its status as
    /// -32602 with dropshot's explanation in `data`, and a 5xx becomes -32603
    /// with a generic message and no detail.
    fn from(e: HttpError) -> Self {
        let status = e.status_code;
        if status.is_client_error() {
            if ExtractorFailure::classify(&e) == ExtractorFailure::BodyTooLarge {
                return Self::payload_too_large();
            }
            let code = if status.as_u16() == 400 {
                ErrorCode::InvalidParams
            } else {
                ErrorCode::InvalidRequest
            };
            Self::new(
                code,
                JsonRpcId::Null,
                Some(Value::String(e.external_message)),
            )
            .with_status(status)
        } else {
            Self::new(ErrorCode::InternalError, JsonRpcId::Null, None).with_status(status)
        }
    }
}

impl HttpResponseError for JsonRpcErrorResponse {
    fn status_code(&self) -> ErrorStatusCode {
        if let Some(status) = &self.status {
            return *status;
        }
        let status = ErrorCode::from_code(self.error.code)
            .map(ErrorCode::http_status)
            .unwrap_or(500);
        ErrorStatusCode::from_u16(status).unwrap_or(ErrorStatusCode::INTERNAL_SERVER_ERROR)
    }
}
