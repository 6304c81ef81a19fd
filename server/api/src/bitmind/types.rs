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

/// Liveness state reported by `/health`: `healthy` whenever the worker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
}

/// Public health report of the worker.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HealthResponse {
    /// Liveness state.
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

/// How a caller authenticates: `oauth-jwt` (bearer access token not bound to a
/// certificate), `oauth-mtls` (certificate-bound access token sent with its certificate
/// in `X-Client-Cert`), `organization-api-key` (legacy `enterprise-` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    OauthJwt,
    OauthMtls,
    OrganizationApiKey,
}

/// A permission a credential can hold, also used as OAuth scope name: `image_inference`
/// (single images), `video_inference` (single videos), `batch_processing` (batches).
/// Declaration order is the canonical order of `scope` and `permissions`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ImageInference,
    VideoInference,
    BatchProcessing,
}

/// Operating state reported by `/status`: `operational` whenever the worker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Operational,
}

/// Detailed status of the worker as seen by an authenticated caller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StatusResponse {
    /// Operating state.
    pub status: ServiceStatus,
    /// Service identifier, always `enterprise-inference-worker`.
    pub service: String,
    /// Deployment region the worker was configured with.
    pub region: String,
    /// The authenticated caller.
    pub client: ClientInfo,
    /// What the caller may do.
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
    /// How the caller authenticated.
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
    // The bounds say what the worker can decode (`server/src/oauth/certs.rs`): standard
    // base64 with `=` padding, on one line, and not empty; an empty or whitespace-only
    // value is answered 400. That the bytes are a PEM certificate is checked after decoding.
    #[serde(rename = "X-Client-Cert", default)]
    #[schemars(
        length(min = 1),
        regex(pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
    )]
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

/// Type of an issued access token: always `Bearer` (RFC 6750).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TokenType {
    Bearer,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TokenResponse {
    /// The RS256-signed JWT to send as `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
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

/// Key type of a published signing key: always `RSA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwkKeyType {
    #[serde(rename = "RSA")]
    Rsa,
}

/// Intended use of a published key: always `sig` (signature verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JwkUse {
    Sig,
}

/// Signature algorithm of a published key: always `RS256` (RSASSA-PKCS1-v1_5 with SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwkAlgorithm {
    #[serde(rename = "RS256")]
    Rs256,
}

/// One public token-signing key (RFC 7517).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct JsonWebKey {
    /// Always `RSA`.
    pub kty: JwkKeyType,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: JwkUse,
    /// Always `RS256`.
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

/// Form body of a token introspection request (RFC 7662 §2.1), from a client
/// authenticating with its secret in the form (`client_secret_post`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IntrospectionRequest {
    /// The access token to inspect.
    pub token: String,
    /// A hint about the token; only `access_token` tokens exist here, so it is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type_hint: Option<String>,
    /// The calling client (a resource server registered with `quartet admin`).
    pub client_id: String,
    /// Its secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// What introspection says about a token (RFC 7662 §2.2): `active` only, for a
/// token that is not valid now; the token's claims for one that is.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IntrospectionResponse {
    /// Whether the token is valid now: signature, issuer, `exp`/`nbf` and an unrevoked client.
    pub active: bool,
    /// Space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Subject (the client id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audiences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not-before, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Always `Bearer` for an active token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<TokenType>,
}
