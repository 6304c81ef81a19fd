//! The single error envelope of the BitMind surface.
//!
//! Every 4xx/5xx answer of the worker, on the token endpoint and on protected
//! routes alike, is an OAuth 2.0 error object `{error, error_description}`:
//! RFC 6749 §5.2 codes for the token endpoint, RFC 6750 §3.1 codes for bearer
//! tokens, plus two codes for certificate-bound tokens (RFC 8705). The exact
//! `error_description` strings live in [`messages`] so that the server and the
//! conformance scenarios agree on them.

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};

use crate::extractor::ExtractorFailure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Machine-readable error code of an [`OAuthError`], with its HTTP status:
/// `invalid_request` (400: missing or duplicated form field, body not form-encoded,
/// `X-Client-Cert` not a base64 PEM certificate), `invalid_client` (401: client
/// authentication failed on the token endpoint), `unsupported_grant_type` (400),
/// `invalid_token` (401: bearer credential missing, malformed, expired, not issued for
/// this worker or revoked), `insufficient_scope` (403: valid credential without the
/// permission a route needs; used by the inference routes only), `certificate_required`
/// (403: bound token without `X-Client-Cert`), `certificate_mismatch` (403: bound token
/// with another certificate), `temporarily_unavailable` (503: the worker's storage cannot
/// be reached; retry later), `server_error` (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    UnsupportedGrantType,
    InvalidToken,
    InsufficientScope,
    CertificateRequired,
    CertificateMismatch,
    TemporarilyUnavailable,
    ServerError,
}

impl OAuthErrorCode {
    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::CertificateRequired => "certificate_required",
            Self::CertificateMismatch => "certificate_mismatch",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }

    /// The HTTP status the worker answers with for this code (5xx codes default to 500).
    pub fn status(self) -> ErrorStatusCode {
        match self {
            Self::InvalidRequest | Self::UnsupportedGrantType => ErrorStatusCode::BAD_REQUEST,
            Self::InvalidClient | Self::InvalidToken => ErrorStatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::CertificateRequired | Self::CertificateMismatch => {
                ErrorStatusCode::FORBIDDEN
            }
            Self::TemporarilyUnavailable => ErrorStatusCode::SERVICE_UNAVAILABLE,
            Self::ServerError => ErrorStatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The exact `error_description` strings the worker sends, shared by server and tests.
pub mod messages {
    /// `unsupported_grant_type`: any `grant_type` other than `client_credentials`.
    pub const UNSUPPORTED_GRANT_TYPE: &str = "grant_type must be client_credentials";
    /// `invalid_request`: `X-Client-Cert` is not standard base64.
    pub const CLIENT_CERT_NOT_BASE64: &str = "X-Client-Cert is not valid base64";
    /// `invalid_request`: `X-Client-Cert` decodes to something other than a PEM certificate.
    pub const CLIENT_CERT_NOT_PEM: &str =
        "X-Client-Cert does not contain a PEM-encoded certificate";
    /// `invalid_client`: no client is registered under `client_id`.
    pub const UNKNOWN_CLIENT: &str = "unknown client_id";
    /// `invalid_client`: a secret-based client sent no `client_secret` (or an empty one).
    pub const CLIENT_SECRET_REQUIRED: &str = "client_secret is required for this client";
    /// `invalid_client`: the `client_secret` is wrong.
    pub const CLIENT_SECRET_MISMATCH: &str = "client_secret is incorrect";
    /// `invalid_client` (token endpoint) and `invalid_token` (protected routes): the client was revoked.
    pub const CLIENT_REVOKED: &str = "client has been revoked";
    /// `invalid_client`: an mTLS client sent no `X-Client-Cert`.
    pub const CLIENT_CERT_REQUIRED: &str =
        "this client authenticates with a certificate: send it in X-Client-Cert";
    /// `invalid_client`: an mTLS client sent a certificate other than its registered one.
    pub const CLIENT_CERT_MISMATCH: &str =
        "X-Client-Cert does not match the certificate registered for this client";
    /// `invalid_token`: no `Authorization` header.
    pub const AUTHORIZATION_MISSING: &str = "Authorization header is missing";
    /// `invalid_token`: `Authorization` uses a scheme other than `Bearer`, or has no credential.
    pub const AUTHORIZATION_NOT_BEARER: &str = "Authorization header must use the Bearer scheme";
    /// `invalid_token`: an `enterprise-` key that is not registered.
    pub const UNKNOWN_API_KEY: &str = "unknown organization API key";
    /// `invalid_token`: an `enterprise-` key that was revoked.
    pub const API_KEY_REVOKED: &str = "organization API key has been revoked";
    /// `invalid_token`: the bearer token is not a compact RS256 JWT with a JSON header and payload.
    pub const TOKEN_MALFORMED: &str = "bearer token is not a well-formed RS256 JWT";
    /// `invalid_token`: the JWT header names a `kid` the worker does not publish (or none).
    pub const TOKEN_UNKNOWN_KID: &str = "token was signed with an unknown key";
    /// `invalid_token`: the RS256 signature does not verify.
    pub const TOKEN_BAD_SIGNATURE: &str = "token signature is invalid";
    /// `invalid_token`: `iss` is not this worker's issuer.
    pub const TOKEN_WRONG_ISSUER: &str = "token issuer is not trusted";
    /// `invalid_token`: `aud` is not this worker's audience.
    pub const TOKEN_WRONG_AUDIENCE: &str = "token audience does not match this worker";
    /// `invalid_token`: `exp` is in the past.
    pub const TOKEN_EXPIRED: &str = "token has expired";
    /// `invalid_token`: `nbf` is in the future.
    pub const TOKEN_NOT_YET_VALID: &str = "token is not yet valid";
    /// `certificate_required`: a bound token came without `X-Client-Cert`.
    pub const BOUND_TOKEN_CERT_REQUIRED: &str =
        "this token is bound to a client certificate: send it in X-Client-Cert";
    /// `certificate_mismatch`: a bound token came with a different certificate.
    pub const BOUND_TOKEN_CERT_MISMATCH: &str =
        "X-Client-Cert does not match the certificate this token is bound to";
    /// `server_error`: the description of every 5xx answer.
    pub const INTERNAL: &str = "internal server error";
    /// `temporarily_unavailable`: the worker's storage cannot be reached (or is too busy).
    pub const UNAVAILABLE: &str = "storage is temporarily unavailable; retry later";
}

/// OAuth 2.0 error object (RFC 6749 §5.2, RFC 6750 §3.1): the body of every error the
/// BitMind worker returns.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OAuthError {
    /// The machine-readable error code.
    pub error: OAuthErrorCode,
    /// Human-readable explanation; the exact strings are listed in the document.
    pub error_description: String,
    #[serde(skip)]
    status: ErrorStatusCode,
}

impl OAuthError {
    /// An error with the status that belongs to `code`.
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            error: code,
            error_description: description.into(),
            status: code.status(),
        }
    }

    /// `invalid_request` (400).
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` (401).
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            OAuthErrorCode::UnsupportedGrantType,
            messages::UNSUPPORTED_GRANT_TYPE,
        )
    }

    /// `invalid_token` (401).
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidToken, description)
    }

    /// `certificate_required` (403).
    pub fn certificate_required() -> Self {
        Self::new(
            OAuthErrorCode::CertificateRequired,
            messages::BOUND_TOKEN_CERT_REQUIRED,
        )
    }

    /// `certificate_mismatch` (403).
    pub fn certificate_mismatch() -> Self {
        Self::new(
            OAuthErrorCode::CertificateMismatch,
            messages::BOUND_TOKEN_CERT_MISMATCH,
        )
    }

    /// `server_error` (500) with the generic description.
    pub fn internal() -> Self {
        Self::new(OAuthErrorCode::ServerError, messages::INTERNAL)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.error_description)
    }
}

impl std::error::Error for OAuthError {}

/// Extractor and framework failures: a 4xx keeps its status and dropshot's message
/// (e.g. "unable to parse URL-encoded body: missing field `client_id`") as an
/// `invalid_request`; a 5xx keeps its status with the generic `server_error` description.
impl From<HttpError> for OAuthError {
    fn from(e: HttpError) -> Self {
        if !matches!(ExtractorFailure::classify(&e), ExtractorFailure::Server(_)) {
            Self {
                error: OAuthErrorCode::InvalidRequest,
                error_description: e.external_message,
                status: e.status_code,
            }
        } else {
            Self {
                error: OAuthErrorCode::ServerError,
                error_description: messages::INTERNAL.to_string(),
                status: e.status_code,
            }
        }
    }
}

impl HttpResponseError for OAuthError {
    fn status_code(&self) -> ErrorStatusCode {
        self.status
    }
}
