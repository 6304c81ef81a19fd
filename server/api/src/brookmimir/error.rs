//! Brookmimir's one envelope for errors (and for the greeting of `GET /`).

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};

use crate::extractor::ExtractorFailure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `{status, message}`: every Brookmimir error body, and the greeting of `GET /`.
///
/// `status` repeats the HTTP status code so clients that only look at the body
/// still see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusMessage {
    /// The HTTP status code of the response.
    pub status: i64,
    /// What happened, for people; see [`messages`] for the fixed strings.
    pub message: String,
}

/// The exact message strings the server sends, shared by server and tests.
pub mod messages {
    /// `GET /` greeting.
    pub const GREETING: &str = "please choose an endpoint";
    /// `GET /profile` message.
    pub const USER_PROFILE: &str = "User Profile";
    /// `GET /credits` message.
    pub const CREDITS_RETRIEVED: &str = "Credits retrieved";
    /// 400: no `x-api-key` header.
    pub const MISSING_API_KEY: &str = "Missing x-api-key header";
    /// 400: `x-api-key` is not 64 hexadecimal characters.
    pub const MALFORMED_API_KEY: &str = "Malformed x-api-key: expected 64 hexadecimal characters";
    /// 404: well-formed key that no account holds.
    pub const UNKNOWN_TOKEN: &str = "Unknown token";
    /// 402: the key's balance is zero.
    pub const NO_CREDITS: &str = "Insufficient credits: purchase more credits to continue";
    /// 404: `GET /document` with an id the corpus does not hold.
    pub const DOCUMENT_NOT_FOUND: &str = "Document not found";
    /// 400: `size` outside 1..=100.
    pub const QUERY_SIZE_OUT_OF_RANGE: &str = "size must be between 1 and 100";
    /// 400: `from` outside 0..=9900.
    pub const QUERY_FROM_OUT_OF_RANGE: &str = "from must be between 0 and 9900";
    /// 400: empty text query or DSL object without a clause.
    pub const QUERY_EMPTY: &str = "query must not be empty";
    /// 400 prefix: a DSL clause the server does not implement; the clause name follows.
    pub const UNSUPPORTED_CLAUSE_PREFIX: &str = "unsupported query clause: ";
    /// 400 prefix: a supported clause with an unusable argument; the clause name follows.
    pub const MALFORMED_CLAUSE_PREFIX: &str = "malformed query clause: ";
    /// 400: `image_base64` is empty.
    pub const IMAGE_EMPTY: &str = "image_base64 must not be empty";
    /// 400: `image_base64` is not standard base64.
    pub const IMAGE_NOT_BASE64: &str = "image_base64 is not valid base64";
    /// 400: the decoded image exceeds 5 MiB.
    pub const IMAGE_TOO_LARGE: &str = "image_base64 decodes to more than 5242880 bytes";
    /// 400: `top_k` outside 1..=10.
    pub const TOP_K_OUT_OF_RANGE: &str = "top_k must be between 1 and 10";
    /// 502: no face-search URL configured (no credit charged).
    pub const FACE_NOT_CONFIGURED: &str = "face search service not configured";
    /// 502: the face-search service refused or dropped the connection.
    pub const FACE_UNREACHABLE: &str = "face search service unreachable";
    /// 502: the face-search service did not answer in time.
    pub const FACE_TIMED_OUT: &str = "face search service timed out";
    /// 502 prefix: the face-search service answered non-2xx; its status code follows.
    pub const FACE_BAD_STATUS_PREFIX: &str = "face search service returned HTTP ";
    /// 502: the face-search service answered 2xx with a body that is not a `FaceSearchResponse`.
    pub const FACE_INVALID_ANSWER: &str = "face search service returned an invalid response";
    /// 415: a POST body declared as something other than JSON.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "Content-Type must be application/json";
    /// 5xx raised by dropshot itself (never expected).
    pub const INTERNAL: &str = "Internal server error";
    /// 503: the database cannot be reached (or is too busy); nothing was charged or changed.
    pub const UNAVAILABLE: &str =
        "Service temporarily unavailable: storage is not reachable, retry later";
}

impl StatusMessage {
    /// An envelope with `status` and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        StatusMessage {
            status: i64::from(status),
            message: message.into(),
        }
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 402: the balance is zero.
    pub fn no_credits() -> Self {
        Self::new(402, messages::NO_CREDITS)
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// 502 with `message`.
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(502, message)
    }

    /// 400 naming a DSL clause the server does not implement.
    pub fn unsupported_clause(clause: &str) -> Self {
        Self::bad_request(format!("{}{clause}", messages::UNSUPPORTED_CLAUSE_PREFIX))
    }

    /// 502 for a non-2xx answer of the face-search service.
    pub fn face_bad_status(upstream_status: u16) -> Self {
        Self::bad_gateway(format!(
            "{}{upstream_status}",
            messages::FACE_BAD_STATUS_PREFIX
        ))
    }
}

impl fmt::Display for StatusMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl HttpResponseError for StatusMessage {
    fn status_code(&self) -> ErrorStatusCode {
        u16::try_from(self.status)
            .ok()
            .and_then(|s| ErrorStatusCode::from_u16(s).ok())
            .unwrap_or(ErrorStatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Extractor failures keep their 4xx status and dropshot's message, except
/// that an oversized body becomes 413 and a non-JSON `Content-Type` becomes
/// 415 (dropshot reports both as 400). 5xx get a generic message.
impl From<HttpError> for StatusMessage {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        match ExtractorFailure::classify(&e) {
            ExtractorFailure::Server(_) => Self::new(status, messages::INTERNAL),
            ExtractorFailure::BodyTooLarge => Self::new(413, e.external_message),
            ExtractorFailure::UnsupportedMediaType => {
                Self::new(415, messages::UNSUPPORTED_MEDIA_TYPE)
            }
            _ => Self::new(status, e.external_message),
        }
    }
}
