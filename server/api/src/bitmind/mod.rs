//! BitMind enterprise inference worker: the control endpoints.
//!
//! The contract is `openapi/bitmind.yaml`; this trait is checked against it. It
//! covers health, status, the OAuth 2.0 client-credentials token endpoint and
//! the JWK Set of the token-signing keys. The inference routes (`/image`,
//! `/video`, `/batch_*`) take multipart uploads and are not part of it.
//!
//! Credentials (`Authorization: Bearer <JWT>` or `Bearer enterprise-<KEY>`) are
//! security schemes, read from the request by an auth helper in each handler.
//! `X-Client-Cert` is the one exception modelled as a parameter: it is proof of
//! possession of a certificate, not a bearer credential.
//!
//! Every error is an [`OAuthError`] `{error, error_description}`.

use dropshot::{Header, HttpResponseHeaders, HttpResponseOk, RequestContext, TypedBody};

pub mod error;
pub mod types;

pub use error::{messages, OAuthError, OAuthErrorCode};
pub use types::*;

/// The BitMind surface.
#[dropshot::api_description]
pub trait BitmindApi {
    /// Server state.
    type Context: Send + Sync + 'static;

    /// Report that the worker is up.
    ///
    /// Public: no credentials needed.
    #[endpoint { method = GET, path = "/health", tags = ["status"] }]
    async fn get_health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<HealthResponse>, OAuthError>;

    /// Describe the worker and the authenticated caller.
    ///
    /// Accepts a bearer access token (bound tokens also need `X-Client-Cert`) or an
    /// organization API key.
    #[endpoint { method = GET, path = "/status", tags = ["status"] }]
    async fn get_status(
        rqctx: RequestContext<Self::Context>,
        headers: Header<ClientCertHeader>,
    ) -> Result<HttpResponseOk<StatusResponse>, OAuthError>;

    /// Issue an access token with the client-credentials grant.
    ///
    /// The client authenticates with `client_secret`, or, when registered for mTLS, with
    /// its certificate in `X-Client-Cert`.
    #[endpoint {
        method = POST,
        path = "/v1/oauth/token",
        tags = ["oauth"],
        content_type = "application/x-www-form-urlencoded",
    }]
    async fn issue_token(
        rqctx: RequestContext<Self::Context>,
        headers: Header<ClientCertHeader>,
        body: TypedBody<TokenRequest>,
    ) -> Result<HttpResponseHeaders<HttpResponseOk<TokenResponse>, TokenResponseHeaders>, OAuthError>;

    /// Introspect an access token (RFC 7662).
    ///
    /// The caller authenticates as a registered client with `client_id` and `client_secret`
    /// in the form.
    #[endpoint {
        method = POST,
        path = "/v1/oauth/introspect",
        tags = ["oauth"],
        content_type = "application/x-www-form-urlencoded",
    }]
    async fn introspect_token(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<IntrospectionRequest>,
    ) -> Result<HttpResponseOk<IntrospectionResponse>, OAuthError>;

    /// Publish the public keys that verify access tokens.
    ///
    /// Public: no credentials needed.
    #[endpoint { method = GET, path = "/.well-known/jwks.json", tags = ["oauth"] }]
    async fn get_jwks(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<JsonWebKeySet>, OAuthError>;
}
