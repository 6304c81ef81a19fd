//! Wire types of authentication, MFA, API keys and the organization.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{list_envelope, ObjectOnly};

/// An account. Every account belongs to exactly one organization, created with it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct User {
    /// Always `user`.
    pub object: String,
    /// Account id (`user_` prefix).
    pub id: String,
    /// Sign-in email address, unique across the service.
    pub email: String,
    /// Display name, when one was given.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub name: Option<String>,
    /// The organization this account belongs to (`org_` prefix).
    pub org_id: String,
    /// Whether sign-in asks for a TOTP code.
    pub mfa_enabled: bool,
    /// When the account proved that it receives mail at `email` (a verification
    /// link, a password reset, or a provider that vouched for the address), Unix
    /// seconds; absent while it has not.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub email_verified_at: Option<i64>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// Token type of a session; always `Bearer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TokenType {
    Bearer,
}

/// A signed-in session: a short-lived JWT access token plus a one-time refresh token.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Session {
    /// JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Opaque token (`rt_` prefix) for `POST /v1/auth/refresh`; valid once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The signed-in account.
    pub user: User,
}

/// Answer of a sign-in step: either a full session (`mfa_required: false`) or,
/// for accounts with MFA, only an `mfa_token` to finish with `/v1/auth/mfa/verify-login`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LoginResponse {
    /// True when a TOTP code is still needed; the session fields are then absent.
    pub mfa_required: bool,
    /// Short-lived token (`mfa_` prefix) for the second step; only when `mfa_required`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub mfa_token: Option<String>,
    /// JWT access token; only when `mfa_required` is false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub access_token: Option<String>,
    /// Refresh token; only when `mfa_required` is false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub refresh_token: Option<String>,
    /// `Bearer`; only when `mfa_required` is false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub token_type: Option<TokenType>,
    /// Seconds until the access token expires; only when `mfa_required` is false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub expires_in: Option<i64>,
    /// The signed-in account; only when `mfa_required` is false.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub user: Option<User>,
}

/// Body of `POST /v1/auth/register`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RegisterRequest {
    /// Sign-in email address.
    pub email: String,
    /// Password, 8 to 128 characters.
    #[schemars(length(min = 8, max = 128))]
    pub password: String,
    /// Display name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub name: Option<String>,
    /// Name of the organization created with the account; defaults to the email address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub organization_name: Option<String>,
}

/// Body of `POST /v1/auth/login`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LoginRequest {
    /// Sign-in email address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Body of `POST /v1/auth/verify-email`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct VerifyEmailRequest {
    /// The token of the verification link (`evt_` prefix).
    pub token: String,
}

/// Body of `POST /v1/auth/password/forgot`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ForgotPasswordRequest {
    /// The sign-in email address of the account to recover.
    pub email: String,
}

/// Body of `POST /v1/auth/password/reset`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ResetPasswordRequest {
    /// The token of the reset link (`prt_` prefix).
    pub token: String,
    /// The new password, 8 to 128 characters.
    #[schemars(length(min = 8, max = 128))]
    pub password: String,
}

/// Body of `POST /v1/auth/password`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChangePasswordRequest {
    /// The account's password now.
    pub current_password: String,
    /// The password to set, 8 to 128 characters.
    #[schemars(length(min = 8, max = 128))]
    pub new_password: String,
}

/// Answer of a request that mails something: what happens next.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Accepted {
    /// Always `accepted`.
    pub object: String,
    /// What was done, in words.
    pub message: String,
}

/// Body of `POST /v1/auth/refresh`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RefreshRequest {
    /// The refresh token of the session being renewed.
    pub refresh_token: String,
}

/// Path parameter `{provider}` of the OAuth routes.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProviderPath {
    /// OAuth provider name: `github` or `google`.
    pub provider: String,
}

/// Query of the OAuth callback, as the provider sends it back.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct OAuthCallbackParams {
    /// Authorization code issued by the provider.
    pub code: String,
    /// The `state` this server put in the authorize URL.
    pub state: String,
}

/// An external sign-in linked to an account: one provider account, known by the
/// provider's stable subject id. Sign-in with the provider finds the account by
/// (`provider`, `subject`), never by email.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    /// Always `identity`.
    pub object: String,
    /// Name of the configured provider.
    pub provider: String,
    /// The provider's subject id (`sub`) of the linked account.
    pub subject: String,
    /// Email the provider reported at the last sign-in, for display only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub email: Option<String>,
    /// When it was linked, Unix seconds.
    pub created_at: i64,
    /// Last sign-in through it, Unix seconds; absent if never used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub last_used_at: Option<i64>,
}

/// The identities linked to the caller's account (at most one per provider).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct IdentityList {
    /// Always `list`.
    pub object: String,
    /// The linked identities, newest first.
    pub data: Vec<Identity>,
    /// Always false: the whole list fits in one answer.
    pub has_more: bool,
}

/// Answer of `POST /v1/auth/link/{provider}`: where to send the user to link
/// the provider to the signed-in account.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct IdentityLinkStart {
    /// Always `identity_link`.
    pub object: String,
    /// Name of the provider.
    pub provider: String,
    /// The provider's authorize URL (with `state`, nonce and PKCE challenge); the
    /// provider then redirects to `GET /v1/auth/callback/{provider}`.
    pub authorize_url: String,
    /// When the `state` in the URL expires, Unix seconds.
    pub expires_at: i64,
}

/// Kind of credential a request was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiKey,
}

/// What an API key may do: `read` (GET routes), `write` (create/update/delete,
/// uploads, job control) and `inference` (the gateway chat routes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyScope {
    Read,
    Write,
    Inference,
}

/// Introspection of the credential that made the request (`GET /v1/auth/verify`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TokenInfo {
    /// Always `token_info`.
    pub object: String,
    /// Always true: an inactive credential gets 401 instead.
    pub active: bool,
    /// Whether the request used a session JWT or an API key.
    pub credential: CredentialKind,
    /// The account behind the credential.
    pub user: User,
    /// Organization the credential acts for.
    pub org_id: String,
    /// What the credential may do; sessions have every scope.
    pub scopes: Vec<ApiKeyScope>,
    /// Id of the API key (`key_` prefix); only for API keys.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub api_key_id: Option<String>,
    /// Expiry time, Unix seconds; absent for API keys without expiry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub expires_at: Option<i64>,
}

/// Answer of `POST /v1/auth/mfa/enroll`: the TOTP secret to load into an authenticator.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct MfaEnrollment {
    /// Base32 TOTP secret (RFC 6238, SHA-1, 6 digits, 30-second step).
    pub secret: String,
    /// `otpauth://totp/...` URI carrying the same secret, for QR codes.
    pub otpauth_uri: String,
    /// Ten one-time recovery codes, shown only here; each can replace a TOTP code
    /// once in `POST /v1/auth/mfa/verify-login` after MFA is turned on.
    pub recovery_codes: Vec<String>,
}

/// Body carrying a 6-digit TOTP code (`/v1/auth/mfa/verify`, `/v1/auth/mfa/disable`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct MfaCodeRequest {
    /// Current 6-digit code from the authenticator.
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    pub code: String,
}

/// Body of `POST /v1/auth/mfa/verify-login`: the second sign-in step, with
/// either a current TOTP `code` or an unused `recovery_code`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct MfaLoginRequest {
    /// The `mfa_token` from the login answer.
    pub mfa_token: String,
    /// Current 6-digit code from the authenticator.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    pub code: Option<String>,
    /// One of the recovery codes given at enrolment (spent by this use).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub recovery_code: Option<String>,
}

/// An API key as listed: never contains the secret, only its `prefix`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ApiKey {
    /// Always `api_key`.
    pub object: String,
    /// Key id (`key_` prefix), used in the management routes.
    pub id: String,
    /// Human-readable label.
    pub name: String,
    /// First 12 characters of the secret (`bsk_` + 8), to recognise the key.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last time the key authenticated a request, Unix seconds; absent if never used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub last_used_at: Option<i64>,
    /// Expiry time, Unix seconds; absent for keys that never expire.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub expires_at: Option<i64>,
}

/// An API key right after creation: the only answer that carries the secret.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreatedApiKey {
    /// Always `api_key`.
    pub object: String,
    /// Key id (`key_` prefix).
    pub id: String,
    /// Human-readable label.
    pub name: String,
    /// The full secret (`bsk_` + 40 characters). It is shown once and cannot be retrieved later.
    pub key: String,
    /// First 12 characters of the secret.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Expiry time, Unix seconds; absent for keys that never expire.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub expires_at: Option<i64>,
}

/// Body of `POST /v1/api_keys`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyCreate {
    /// Human-readable label, 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Scopes to grant; all three when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub scopes: Option<Vec<ApiKeyScope>>,
    /// Expiry time, Unix seconds in the future; the key never expires when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub expires_at: Option<i64>,
}

/// Body of `PUT /v1/api_keys/{id}`: fields to change; omitted fields stay as they are.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyUpdate {
    /// New label, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New scope set (replaces the old one).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub scopes: Option<Vec<ApiKeyScope>>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

list_envelope!(
    /// A page of API keys.
    ApiKeyList, ApiKey
);

/// The caller's organization.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Organization {
    /// Always `organization`.
    pub object: String,
    /// Organization id (`org_` prefix).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where invoices are sent, when set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub billing_email: Option<String>,
    /// The account that owns the organization (`user_` prefix).
    pub owner_user_id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// Body of `PUT /v1/orgs/current`: fields to change; omitted fields stay as they are.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct OrganizationUpdate {
    /// New display name, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New billing address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub billing_email: Option<String>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}
