//! Wire types of the BitMind surface. Names match the component schemas of
//! `openapi/bitmind.yaml`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Value of the `service` field on `/health` and `/status`.
pub const SERVICE_NAME: &str = "enterprise-inference-worker";
/// Region reported when none is configured.
pub const DEFAULT_REGION: &str = "eu-west";
/// Value of the `privacy` field on `/health`.
pub const PRIVACY: &str = "zero-data-retention";
/// Value of the `authentication` field on `/health`.
pub const AUTHENTICATION: &str = "enterprise-only";
/// Lifetime of an access token, in seconds (`expires_in`, `exp - iat`).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;
/// The only grant type the token endpoint accepts.
pub const GRANT_TYPE_CLIENT_CREDENTIALS: &str = "client_credentials";
/// Prefix that marks a bearer credential as an organization API key.
pub const ORG_KEY_PREFIX: &str = "enterprise-";
/// Default `iss` claim of issued tokens.
pub const DEFAULT_ISSUER: &str = "bitmind-enterprise-auth";
/// Default `aud` claim of issued tokens.
pub const DEFAULT_AUDIENCE: &str = "enterprise-inference-worker";
/// Prefix of `client.name` for OAuth clients (followed by the first 8 characters of the id).
pub const OAUTH_CLIENT_NAME_PREFIX: &str = "OAuth Client ";
/// Prefix of `client.name` for organization API keys (followed by the first 8 characters of the key id).
pub const ORG_KEY_NAME_PREFIX: &str = "Organization Key ";

/// Liveness state reported by `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The worker is up and answering.
    Healthy,
}

/// Public health report of the worker.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HealthResponse {
    // Liveness state (a `$ref`, so described on the type).
    pub status: HealthStatus,
    /// Service identifier, always `enterprise-inference-worker`.
    pub service: String,
    /// Deployment region the worker was configured with.
    pub region: String,
    /// Data-handling guarantee, always `zero-data-retention`.
    pub privacy: String,
    /// Who may call the protected routes, always `enterprise-only`.
    pub authentication: String,
    /// Authentication methods the protected routes accept.
    pub auth_methods: Vec<AuthMethod>,
    /// Time of the answer, in Unix seconds with a fractional part.
    pub timestamp: f64,
}

/// How a caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// Bearer RS256 access token that is not bound to a certificate.
    OauthJwt,
    /// Bearer RS256 access token bound to the client certificate sent alongside it.
    OauthMtls,
    /// Legacy `enterprise-` organization API key.
    OrganizationApiKey,
}

/// A permission a credential can hold; also the OAuth scope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// May submit single images.
    ImageInference,
    /// May submit single videos.
    VideoInference,
    /// May submit image and video batches.
    BatchProcessing,
}

/// Operating state reported by `/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// The worker accepts authenticated requests.
    Operational,
}

/// Detailed status of the worker as seen by an authenticated caller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatusResponse {
    // Operating state (a `$ref`, so described on the type).
    pub status: ServiceStatus,
    /// Service identifier, always `enterprise-inference-worker`.
    pub service: String,
    /// Deployment region the worker was configured with.
    pub region: String,
    // The authenticated caller (a `$ref`, so described on the type).
    pub client: ClientInfo,
    // What the caller may do (a `$ref`, so described on the type).
    pub features: Features,
    /// Routes this worker serves, by name.
    pub endpoints: BTreeMap<String, String>,
    /// Time of the answer, in Unix seconds with a fractional part.
    pub timestamp: f64,
}

/// The caller behind the credential of a `/status` request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ClientInfo {
    /// Display name derived from the identifier.
    pub name: String,
    /// OAuth client id (token `sub`) or organization key id.
    pub client_id: String,
    /// Service tier the client or key was registered with.
    pub tier: String,
    // How the caller authenticated (a `$ref`, so described on the type).
    pub auth_method: AuthMethod,
    /// Permissions the credential carries.
    pub permissions: Vec<Permission>,
    /// Expiry of the access token (its `exp` claim), in Unix seconds; absent for organization keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<i64>,
}

/// Feature switches for the caller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Features {
    /// The credential holds `image_inference`.
    pub image_inference: bool,
    /// The credential holds `video_inference`.
    pub video_inference: bool,
    /// The credential holds `batch_processing`.
    pub batch_processing: bool,
    /// Inputs are processed in memory and never stored; always true.
    pub zero_data_retention: bool,
}

/// Optional client certificate header of the token endpoint and protected routes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ClientCertHeader {
    /// Base64 (standard alphabet) of the client's PEM certificate: proof of possession
    /// for mTLS clients and certificate-bound tokens.
    #[serde(rename = "X-Client-Cert", default)]
    pub x_client_cert: Option<String>,
}

/// Form body of a client-credentials token request.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// Identifier of the registered client.
    pub client_id: String,
    /// Secret of a secret-based client; omitted by mTLS clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Type of an issued access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TokenType {
    /// RFC 6750 bearer token.
    Bearer,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TokenResponse {
    /// The RS256-signed JWT to send as `Authorization: Bearer`.
    pub access_token: String,
    // Always `Bearer` (a `$ref`, so described on the type).
    pub token_type: TokenType,
    /// Seconds until the token expires; always 3600.
    pub expires_in: i64,
    /// Space-separated permissions the token carries.
    pub scope: String,
}

/// Headers of a successful token response.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TokenResponseHeaders {
    /// Always `no-store`: tokens must not be cached (RFC 6749 §5.1).
    #[serde(rename = "Cache-Control")]
    pub cache_control: String,
}

/// Key type of a published signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwkKeyType {
    /// An RSA public key.
    #[serde(rename = "RSA")]
    Rsa,
}

/// Intended use of a published key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JwkUse {
    /// Verifying signatures.
    Sig,
}

/// Signature algorithm of a published key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwkAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
}

/// One public token-signing key (RFC 7517).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonWebKey {
    // Always `RSA` (a `$ref`, so described on the type).
    pub kty: JwkKeyType,
    // Always `sig` (a `$ref`, so described on the type).
    #[serde(rename = "use")]
    pub key_use: JwkUse,
    // Always `RS256` (a `$ref`, so described on the type).
    pub alg: JwkAlgorithm,
    /// Key id, the RFC 7638 SHA-256 thumbprint of the key; matches the `kid` header of tokens.
    pub kid: String,
    /// RSA modulus, base64url without padding.
    pub n: String,
    /// RSA public exponent, base64url without padding.
    pub e: String,
}

/// The worker's public token-signing keys (RFC 7517 JWK Set).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonWebKeySet {
    /// Current key first, then any previous key still inside its tokens' lifetime.
    pub keys: Vec<JsonWebKey>,
}
