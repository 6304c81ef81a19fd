//! The `BitmindApi` trait implemented over [`Bitmind`]: one thin method per operation.

use std::collections::BTreeMap;
use std::sync::Arc;

use dropshot::{
    ApiDescription, Header, HttpResponseHeaders, HttpResponseOk, RequestContext, TypedBody,
};
use quartet_api::bitmind::*;

use super::permissions::permissions;
use super::Bitmind;

/// The BitMind API description, ready to serve.
pub fn api() -> ApiDescription<Arc<Bitmind>> {
    bitmind_api_mod::api_description::<BitmindImpl>()
        .expect("the BitMind trait describes a valid API")
}

/// Marker type carrying the trait implementation.
enum BitmindImpl {}

type Ctx = RequestContext<Arc<Bitmind>>;

fn timestamp() -> f64 {
    let now = chrono::Utc::now();
    now.timestamp() as f64 + f64::from(now.timestamp_subsec_micros()) / 1e6
}

/// The routes this worker serves, as `/status` lists them.
fn endpoints() -> BTreeMap<String, String> {
    [
        ("health", "/health"),
        ("status", "/status"),
        ("token", "/v1/oauth/token"),
        ("jwks", "/.well-known/jwks.json"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl BitmindApi for BitmindImpl {
    type Context = Arc<Bitmind>;

    async fn get_health(rqctx: Ctx) -> Result<HttpResponseOk<HealthResponse>, OAuthError> {
        let bm = rqctx.context();
        // Healthy means able to serve: a worker whose storage is down answers 503
        // (probed at most once a second, not on every request).
        bm.db.health().await?;
        Ok(HttpResponseOk(HealthResponse {
            status: HealthStatus::Healthy,
            service: SERVICE_NAME.to_owned(),
            region: bm.config.bitmind_region.clone(),
            privacy: PRIVACY.to_owned(),
            authentication: AUTHENTICATION.to_owned(),
            auth_methods: vec![
                AuthMethod::OauthJwt,
                AuthMethod::OauthMtls,
                AuthMethod::OrganizationApiKey,
            ],
            timestamp: timestamp(),
        }))
    }

    async fn get_status(
        rqctx: Ctx,
        headers: Header<ClientCertHeader>,
    ) -> Result<HttpResponseOk<StatusResponse>, OAuthError> {
        let bm = rqctx.context();
        let caller = bm
            .authenticate(rqctx.request.headers(), &headers.into_inner())
            .await?;
        let granted = permissions(&caller.scopes);
        let has = |p: Permission| granted.contains(&p);
        let prefix = match caller.method {
            AuthMethod::OrganizationApiKey => ORG_KEY_NAME_PREFIX,
            _ => OAUTH_CLIENT_NAME_PREFIX,
        };
        Ok(HttpResponseOk(StatusResponse {
            status: ServiceStatus::Operational,
            service: SERVICE_NAME.to_owned(),
            region: bm.config.bitmind_region.clone(),
            client: ClientInfo {
                name: format!("{prefix}{}", caller.id.get(..8).unwrap_or(&caller.id)),
                client_id: caller.id,
                tier: caller.tier,
                auth_method: caller.method,
                permissions: granted.clone(),
                token_expires_at: caller.expires_at,
            },
            features: Features {
                image_inference: has(Permission::ImageInference),
                video_inference: has(Permission::VideoInference),
                batch_processing: has(Permission::BatchProcessing),
                zero_data_retention: true,
            },
            endpoints: endpoints(),
            timestamp: timestamp(),
        }))
    }

    async fn issue_token(
        rqctx: Ctx,
        headers: Header<ClientCertHeader>,
        body: TypedBody<TokenRequest>,
    ) -> Result<HttpResponseHeaders<HttpResponseOk<TokenResponse>, TokenResponseHeaders>, OAuthError>
    {
        let bm = rqctx.context();
        let token = bm
            .issue_token(&headers.into_inner(), body.into_inner())
            .await?;
        Ok(HttpResponseHeaders::new(
            HttpResponseOk(token),
            TokenResponseHeaders {
                cache_control: "no-store".to_owned(),
            },
        ))
    }

    async fn introspect_token(
        rqctx: Ctx,
        body: TypedBody<IntrospectionRequest>,
    ) -> Result<HttpResponseOk<IntrospectionResponse>, OAuthError> {
        let bm = rqctx.context();
        Ok(HttpResponseOk(bm.introspect(body.into_inner()).await?))
    }

    async fn get_jwks(rqctx: Ctx) -> Result<HttpResponseOk<JsonWebKeySet>, OAuthError> {
        let bm = rqctx.context();
        if let Err(e) = bm.tokens.refresh_keys().await {
            // Keys already read stay published while storage is away; none read yet is a 503.
            if bm.tokens.keyring().published().is_empty() {
                return Err(e.into());
            }
        }
        let keys = bm
            .tokens
            .keyring()
            .published()
            .iter()
            .map(|k| JsonWebKey {
                kty: JwkKeyType::Rsa,
                key_use: JwkUse::Sig,
                alg: JwkAlgorithm::Rs256,
                kid: k.kid.clone(),
                n: k.n.clone(),
                e: k.e.clone(),
            })
            .collect();
        Ok(HttpResponseOk(JsonWebKeySet { keys }))
    }
}
