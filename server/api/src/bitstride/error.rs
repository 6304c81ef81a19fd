//! The Bitstride error envelope, `{"error": {"code", "message"}}`.
//!
//! Every 4xx/5xx answer of every Bitstride operation carries this body. The
//! `code` is one of a closed set ([`ErrorCode`]); each code always travels with
//! the same HTTP status ([`ErrorCode::status`]), so clients may branch on
//! either. Extractor failures raised by dropshot (bad JSON, bad query string,
//! oversized body) are folded into the same envelope by `From<HttpError>`.

use std::fmt;

use dropshot::{ErrorStatusCode, HttpError, HttpResponseError};

use crate::extractor::ExtractorFailure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Machine-readable error code carried in `error.code`.
///
/// The set is closed; each code maps to exactly one HTTP status:
/// `invalid_request` 400 (a parameter or field is missing, malformed or out of
/// range), `invalid_json` 400 (the body is not JSON or does not have the
/// expected shape), `unauthorized` 401 (missing, malformed, expired or revoked
/// token), `invalid_credentials` 401 (wrong email or password),
/// `invalid_mfa_code` 401 (wrong or stale TOTP or recovery code), `forbidden`
/// 403 (the credential is valid but may not do this), `not_found` 404,
/// `conflict` 409 (a unique name, email or subdomain is taken), `invalid_state`
/// 409 (the resource is in a state that does not allow the action),
/// `identity_link_required` 409 (an OAuth sign-in found an account with the
/// provider's email that it may not link on its own),
/// `payload_too_large` 413, `rate_limited` 429 (too many requests or failed
/// attempts; `Retry-After` says when to try again), `upstream_error` 502 (a
/// deployment backend, OAuth provider or auth service failed),
/// `upstream_timeout` 504 (a deployment backend did not answer in time),
/// `not_ready` 503 (readiness probe failed or storage unavailable),
/// `internal_error` 500 (never documented per operation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400
    InvalidRequest,
    // 400
    InvalidJson,
    // 401
    Unauthorized,
    // 401
    InvalidCredentials,
    // 401
    InvalidMfaCode,
    // 403
    Forbidden,
    // 404
    NotFound,
    // 409
    Conflict,
    // 409
    InvalidState,
    // 409
    IdentityLinkRequired,
    // 413
    PayloadTooLarge,
    // 429
    RateLimited,
    // 502
    UpstreamError,
    // 504
    UpstreamTimeout,
    // 503
    NotReady,
    // 500
    InternalError,
}

impl ErrorCode {
    /// The HTTP status that always accompanies this code.
    pub fn status(self) -> ErrorStatusCode {
        match self {
            ErrorCode::InvalidRequest | ErrorCode::InvalidJson => ErrorStatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized | ErrorCode::InvalidCredentials | ErrorCode::InvalidMfaCode => {
                ErrorStatusCode::UNAUTHORIZED
            }
            ErrorCode::Forbidden => ErrorStatusCode::FORBIDDEN,
            ErrorCode::NotFound => ErrorStatusCode::NOT_FOUND,
            ErrorCode::Conflict | ErrorCode::InvalidState | ErrorCode::IdentityLinkRequired => {
                ErrorStatusCode::CONFLICT
            }
            ErrorCode::PayloadTooLarge => ErrorStatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => ErrorStatusCode::TOO_MANY_REQUESTS,
            ErrorCode::UpstreamError => ErrorStatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamTimeout => ErrorStatusCode::GATEWAY_TIMEOUT,
            ErrorCode::NotReady => ErrorStatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalError => ErrorStatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The snake_case wire spelling of this code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidMfaCode => "invalid_mfa_code",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::IdentityLinkRequired => "identity_link_required",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::InternalError => "internal_error",
        }
    }
}

/// The inner object of the error envelope: a code and a human-readable message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Machine-readable code from the closed set; see `ErrorCode`.
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show to the caller.
    pub message: String,
}

/// Bitstride's single error envelope, `{"error": {"code", "message"}}`, used by
/// every 4xx/5xx response of the surface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

impl ErrorEnvelope {
    /// Builds an envelope from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code,
                message: message.into(),
            },
        }
    }
}

impl fmt::Display for ErrorEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error.code.as_str(), self.error.message)
    }
}

impl std::error::Error for ErrorEnvelope {}

impl HttpResponseError for ErrorEnvelope {
    fn status_code(&self) -> ErrorStatusCode {
        self.error.code.status()
    }
}

impl From<HttpError> for ErrorEnvelope {
    /// Folds dropshot's own errors (extractors, serialization) into the
    /// envelope: 4xx keep their meaning with the caller-facing message, an
    /// oversized body becomes `payload_too_large` (413), and every 5xx becomes
    /// `internal_error` with a generic message.
    fn from(e: HttpError) -> Self {
        let code = match ExtractorFailure::classify(&e) {
            ExtractorFailure::Server(503) => {
                return ErrorEnvelope::new(ErrorCode::NotReady, messages::NOT_READY)
            }
            ExtractorFailure::Server(_) => {
                return ErrorEnvelope::new(ErrorCode::InternalError, messages::INTERNAL_ERROR)
            }
            ExtractorFailure::OtherClient(401) => ErrorCode::Unauthorized,
            ExtractorFailure::OtherClient(403) => ErrorCode::Forbidden,
            ExtractorFailure::OtherClient(409) => ErrorCode::Conflict,
            ExtractorFailure::NotFound => ErrorCode::NotFound,
            ExtractorFailure::BodyTooLarge => ErrorCode::PayloadTooLarge,
            ExtractorFailure::MalformedJson | ExtractorFailure::UnsupportedMediaType => {
                ErrorCode::InvalidJson
            }
            _ => ErrorCode::InvalidRequest,
        };
        ErrorEnvelope::new(code, e.external_message)
    }
}

/// Fixed messages the server sends (the documented examples quote them verbatim).
pub mod messages {
    /// 400 `invalid_request`: `limit` outside 1..=100.
    pub const LIMIT_OUT_OF_RANGE: &str = "limit must be between 1 and 100";
    /// 400 `invalid_request`: `after` does not name an item of the list.
    pub const UNKNOWN_AFTER: &str = "after does not name an item of this list";
    /// 400 `invalid_request`: an API key's `expires_at` is not in the future.
    pub const EXPIRY_IN_PAST: &str = "expires_at must be in the future";
    /// 400 `invalid_request`: a TOTP code that is not 6 digits.
    pub const MFA_CODE_FORMAT: &str = "code must be exactly 6 digits";
    /// 400 `invalid_request`: a subdomain that is not a DNS label.
    pub const SUBDOMAIN_FORMAT: &str =
        "subdomain must be 1 to 63 lowercase letters, digits or inner hyphens";
    /// 400 `invalid_request`: usage window longer than 366 days.
    pub const TIME_RANGE_TOO_LONG: &str = "the usage window may span at most 366 days";
    /// 400 `invalid_request`: a `name` field outside 1..=100 characters (projects, models, datasets, keys, deployments).
    pub const NAME_LENGTH: &str = "name must be between 1 and 100 characters";
    /// 401 `unauthorized`: no `Authorization: Bearer` header.
    pub const MISSING_TOKEN: &str = "missing bearer token in the Authorization header";
    /// 401 `unauthorized`: the bearer token is unknown, malformed, expired or revoked.
    pub const INVALID_TOKEN: &str = "invalid or expired bearer token";
    /// 403 `forbidden`: an API key was sent to a session-only route.
    pub const SESSION_REQUIRED: &str =
        "this operation requires a session token; API keys are not accepted";
    /// 403 `forbidden`: the API key lacks the scope the route needs (`{scope}` is filled in;
    /// see [`missing_scope`]).
    pub const MISSING_SCOPE_TEMPLATE: &str = "this API key lacks the \"{scope}\" scope";

    /// The 403 message for an API key without `scope` (`read`, `write` or `inference`).
    pub fn missing_scope(scope: &str) -> String {
        MISSING_SCOPE_TEMPLATE.replace("{scope}", scope)
    }
    /// 401 `invalid_credentials`: wrong email or password.
    pub const INVALID_CREDENTIALS: &str = "incorrect email or password";
    /// 409 `conflict`: registration with an email that already has an account.
    pub const EMAIL_TAKEN: &str = "an account with this email already exists";
    /// 400 `invalid_request`: password shorter than 8 characters.
    pub const PASSWORD_TOO_SHORT: &str = "password must be at least 8 characters long";
    /// 401 `unauthorized`: unknown, used or expired refresh token.
    pub const INVALID_REFRESH_TOKEN: &str = "invalid or expired refresh token";
    /// 400 `invalid_request`: an email verification token that is unknown, spent or expired.
    pub const INVALID_VERIFICATION_TOKEN: &str =
        "invalid, used or expired email verification token";
    /// 400 `invalid_request`: a password reset token that is unknown, spent or expired.
    pub const INVALID_RESET_TOKEN: &str = "invalid, used or expired password reset token";
    /// 400 `invalid_request`: `new_password` shorter than 8 characters.
    pub const NEW_PASSWORD_TOO_SHORT: &str = "new_password must be at least 8 characters long";
    /// 400 `invalid_request`: `new_password` longer than 128 characters.
    pub const NEW_PASSWORD_TOO_LONG: &str = "new_password must be at most 128 characters long";
    /// 401 `invalid_credentials`: a password change with the wrong current password.
    pub const WRONG_CURRENT_PASSWORD: &str = "the current password is incorrect";
    /// 409 `invalid_state`: a verification link asked for an account already verified.
    pub const EMAIL_ALREADY_VERIFIED: &str =
        "the email address of this account is already verified";
    /// 429 `rate_limited`: the account was sent as many emails of this kind as an hour allows.
    pub const MAIL_THROTTLED: &str =
        "too many emails of this kind were sent to this account recently; try again later";
    /// 502 `upstream_error`: the SMTP relay refused the message or did not answer.
    pub const MAIL_FAILED: &str = "the mail server did not accept the message; try again later";
    /// 202 message of `POST /v1/auth/verify-email/resend`.
    pub const VERIFICATION_SENT: &str =
        "a new verification link has been sent to the account's email address";
    /// 202 message of `POST /v1/auth/password/forgot` (whether or not the account exists).
    pub const RESET_REQUESTED: &str =
        "if an account uses this email address, a password reset link has been sent to it";
    /// 401 `unauthorized`: unknown, used or expired MFA token.
    pub const INVALID_MFA_TOKEN: &str = "invalid or expired MFA token";
    /// 401 `invalid_mfa_code`: the TOTP code does not match.
    pub const INVALID_MFA_CODE: &str = "the MFA code is incorrect or has expired";
    /// 409 `invalid_state`: enrolment while MFA is already on.
    pub const MFA_ALREADY_ENABLED: &str = "MFA is already enabled for this account";
    /// 409 `invalid_state`: confirmation without a pending enrolment.
    pub const MFA_NOT_ENROLLING: &str =
        "no MFA enrollment is pending; call /v1/auth/mfa/enroll first";
    /// 409 `invalid_state`: disabling MFA that is off.
    pub const MFA_NOT_ENABLED: &str = "MFA is not enabled for this account";
    /// 404 `not_found`: unknown or unconfigured OAuth provider.
    pub const UNKNOWN_PROVIDER: &str = "OAuth provider not found";
    /// 400 `invalid_request`: OAuth `state` not issued by this server, used, or expired.
    pub const INVALID_OAUTH_STATE: &str = "invalid or expired OAuth state";
    /// 502 `upstream_error`: the OAuth provider's token exchange failed.
    pub const OAUTH_EXCHANGE_FAILED: &str =
        "the OAuth provider rejected or did not answer the code exchange";
    /// 409 `identity_link_required`: an OAuth sign-in with a new provider identity whose
    /// email belongs to an account it may not be linked to automatically.
    pub const IDENTITY_LINK_REQUIRED: &str = "an account with this email already exists; sign in with its password and link this provider from the account settings";
    /// 409 `conflict`: the provider identity is linked to another account.
    pub const IDENTITY_TAKEN: &str = "this provider account is already linked to another account";
    /// 409 `conflict`: the account already has an identity of this provider.
    pub const PROVIDER_ALREADY_LINKED: &str =
        "this account already has an identity of this provider; unlink it first";
    /// 404 `not_found`: no identity of this provider is linked to the account.
    pub const IDENTITY_NOT_FOUND: &str = "no identity of this provider is linked to this account";
    /// 409 `invalid_state`: unlinking the account's only way to sign in.
    pub const LAST_SIGN_IN_METHOD: &str = "this identity is the only way to sign in to this account; link another provider or set a password first";
    /// 403 `forbidden`: the callback of a link flow without the session that started it.
    pub const LINK_SESSION_REQUIRED: &str =
        "this OAuth state links a provider to an account; send the token of the session that started it";
    /// 404 `not_found` messages, one per resource kind.
    pub const API_KEY_NOT_FOUND: &str = "API key not found";
    /// 404 `not_found` for projects.
    pub const PROJECT_NOT_FOUND: &str = "project not found";
    /// 404 `not_found` for models.
    pub const MODEL_NOT_FOUND: &str = "model not found";
    /// 404 `not_found` for datasets.
    pub const DATASET_NOT_FOUND: &str = "dataset not found";
    /// 404 `not_found` for fine-tuning jobs.
    pub const FINE_TUNING_JOB_NOT_FOUND: &str = "fine-tuning job not found";
    /// 404 `not_found` for RL jobs.
    pub const RL_JOB_NOT_FOUND: &str = "RL job not found";
    /// 404 `not_found` for deployments.
    pub const DEPLOYMENT_NOT_FOUND: &str = "deployment not found";
    /// 404 `not_found`: `/v1/chat/completions` could not resolve a deployment.
    pub const DEPLOYMENT_UNRESOLVED: &str =
        "no deployment matches the request host or the \"model\" field";
    /// 409 `conflict`: project name already used in the organization.
    pub const PROJECT_NAME_TAKEN: &str = "a project with this name already exists";
    /// 409 `conflict`: deployment subdomain already used.
    pub const SUBDOMAIN_TAKEN: &str = "this subdomain is already in use";
    /// 400 `invalid_request`: `project_id` in a body does not name a project of the organization.
    pub const UNKNOWN_PROJECT_REF: &str = "project_id does not name a project in this organization";
    /// 400 `invalid_request`: a dataset id in a job body does not name a dataset of the organization.
    pub const UNKNOWN_DATASET_REF: &str = "dataset id does not name a dataset in this organization";
    /// 409 `invalid_state`: a job referenced a dataset that has not passed validation.
    pub const DATASET_NOT_VALID: &str = "the dataset has not passed validation";
    /// 409 `invalid_state`: a dataset of the wrong purpose was given to a job.
    pub const DATASET_WRONG_PURPOSE: &str = "the dataset's purpose does not match this kind of job";
    /// 409 `invalid_state`: validate before any upload.
    pub const DATASET_NOT_UPLOADED: &str = "no file has been uploaded to this dataset";
    /// 400 `invalid_request`: empty upload body.
    pub const EMPTY_UPLOAD: &str = "the uploaded file is empty";
    /// 413 `payload_too_large`: upload over the limit.
    pub const UPLOAD_TOO_LARGE: &str = "request body exceeded maximum size of 16777216 bytes";
    /// 409 `invalid_state`: cancel of a finished job.
    pub const JOB_FINISHED: &str = "the job has already finished and cannot be cancelled";
    /// 400 `invalid_request`: replica bounds out of order.
    pub const REPLICAS_OUT_OF_ORDER: &str = "min_replicas must not exceed max_replicas";
    /// 409 `invalid_state`: inference against a stopped deployment.
    pub const DEPLOYMENT_STOPPED: &str = "the deployment is stopped";
    /// 400 `invalid_request`: chat request without messages.
    pub const EMPTY_MESSAGES: &str = "messages must contain at least one message";
    /// 502 `upstream_error`: the deployment backend failed or answered garbage.
    pub const BACKEND_FAILED: &str = "the deployment backend did not return a valid response";
    /// 400 `invalid_request`: usage window in the wrong order.
    pub const TIME_RANGE_INVERTED: &str = "start_time must be earlier than end_time";
    /// 404 `not_found`: a control-plane route on a gateway-mode server.
    pub const GATEWAY_MODE: &str =
        "this server runs in gateway mode and serves only health, readiness, metrics and inference";
    /// 503 `not_ready`: the database cannot be reached.
    pub const STORAGE_UNAVAILABLE: &str = "storage is temporarily unavailable; try again shortly";
    /// 503 `not_ready`: the gateway could not write the request's usage record, so
    /// it serves no answer (nothing is delivered that is not billed).
    pub const USAGE_UNRECORDED: &str =
        "usage could not be recorded, so no answer was delivered; try again shortly";
    /// 400 `invalid_request`: an end-user id (`user`) too long or with control characters.
    pub const USER_TOO_LONG: &str =
        "user must be at most 256 characters, none of them a control character";
    /// 429 `rate_limited`: too many failed sign-ins for this email.
    pub const LOGIN_THROTTLED: &str = "too many failed sign-in attempts; try again later";
    /// 429 `rate_limited`: too many wrong MFA codes for this account.
    pub const MFA_LOCKED: &str = "too many wrong MFA codes for this account; try again later";
    /// 429 `rate_limited`: the credential exceeded the gateway's request rate.
    pub const RATE_LIMITED: &str = "rate limit exceeded for this credential; try again later";
    /// 429 `rate_limited`: the deployment is serving `concurrency_limit` requests already.
    pub const CONCURRENCY_LIMITED: &str =
        "the deployment is at its concurrency limit; try again shortly";
    /// 504 `upstream_timeout`: the backend did not answer in time.
    pub const BACKEND_TIMEOUT: &str = "the deployment backend did not answer in time";
    /// 502 `upstream_error`: the auth service could not be reached.
    pub const AUTH_SERVICE_UNREACHABLE: &str = "the auth service could not be reached";
    /// 400 `invalid_request`: `stream: true` on a deployment that declared no streaming.
    pub const STREAMING_UNSUPPORTED_BY_BACKEND: &str =
        "this deployment does not support streaming; omit \"stream\" or set it to false";
    /// 409 `invalid_state`: inference on a deployment whose probe has not passed.
    pub const DEPLOYMENT_NOT_READY: &str =
        "the deployment is not ready: its health probe has not passed";
    /// 400 `invalid_request`: a base model no configured trainer can start from.
    pub const UNSUPPORTED_BASE_MODEL: &str =
        "base_model is not one the configured trainer supports; see GET /v1/models";
    /// 400 `invalid_request`: a backend URL that points at a refused address.
    pub const PRIVATE_BACKEND: &str =
        "endpoint must be a public http(s) URL (private, loopback and link-local addresses are refused)";
    /// 400 `invalid_request`: an endpoint that is not an http(s) or builtin URL.
    pub const BAD_ENDPOINT: &str =
        "endpoint must be an http(s) URL, builtin://echo or builtin://model";
    /// 400 `invalid_request`: MFA verify-login with neither or both of code and recovery_code.
    pub const MFA_CODE_OR_RECOVERY: &str = "give exactly one of code and recovery_code";
    /// 400 `invalid_request`: row format not allowed for the dataset's purpose.
    pub const ROW_FORMAT_PURPOSE: &str = "row_format does not fit the dataset's purpose";
    /// 400 `invalid_request`: a malformed email address.
    pub const EMAIL_FORMAT: &str = "email must be a valid email address";
    /// 400 `invalid_request`: password longer than 128 characters.
    pub const PASSWORD_TOO_LONG: &str = "password must be at most 128 characters long";
    /// 400 `invalid_request`: OAuth provider answered with an error on the callback.
    pub const OAUTH_NO_VERIFIED_EMAIL: &str = "the OAuth provider did not report a verified email";
    /// 503 `not_ready`: readiness probe failed.
    pub const NOT_READY: &str = "the server is not ready to accept traffic";
    /// 500 `internal_error`: generic message for every server fault.
    pub const INTERNAL_ERROR: &str = "internal server error";
}
