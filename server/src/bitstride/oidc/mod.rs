//! OAuth 2.0 / OpenID Connect sign-in with configured providers.
//!
//! `GET /v1/auth/login/{provider}` stores a one-time `state` (10 minutes) with
//! a PKCE verifier and a nonce, and redirects to the provider's authorization
//! endpoint (`response_type=code`, `code_challenge_method=S256`);
//! `POST /v1/auth/link/{provider}` does the same for a signed-in session and
//! binds the state to it. The callback checks and spends the state, exchanges
//! the code at the token endpoint, reads the ID token (RS256, verified against
//! the provider's JWKS: issuer, audience = client id, expiry, nonce) or else the
//! userinfo endpoint, and hands the provider's (subject, email) to [`linking`],
//! which decides which account that reaches.
//!
//! Providers come from a TOML file (`--bitstride-oauth-config`):
//!
//! ```toml
//! [providers.github]
//! discovery_url = "https://idp.example.com/.well-known/openid-configuration"  # or issuer = "…"
//! client_id = "…"
//! client_secret = "…"
//! scopes = ["openid", "email", "profile"]
//! ```

pub mod identities;
mod linking;
mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, IdentityLinkStart, LoginResponse,
};
use serde::Deserialize;
use serde_json::Value;

use super::store::spend_once;
use super::{err, Bitstride};
use crate::platform::secrets::{random_hex, random_secret, sha256, sha256_hex};
use crate::platform::storage::now;
use linking::Reported;
use store::LinkOwner;

/// Lifetime of a `state`, seconds.
pub const STATE_SECS: i64 = 600;

/// One configured provider.
#[derive(Debug, Clone, Deserialize)]
pub struct Provider {
    /// Issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    #[serde(default)]
    pub issuer: Option<String>,
    /// Discovery document URL.
    #[serde(default)]
    pub discovery_url: Option<String>,
    /// Client id at the provider.
    pub client_id: String,
    /// Client secret at the provider.
    pub client_secret: String,
    /// Requested scopes.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    providers: BTreeMap<String, Provider>,
}

/// The configured providers.
#[derive(Debug, Default)]
pub struct Providers {
    providers: BTreeMap<String, Provider>,
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

impl Providers {
    /// Reads the providers file, if one is configured.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let file: File = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))?;
        for (name, p) in &file.providers {
            if p.issuer.is_none() && p.discovery_url.is_none() {
                anyhow::bail!("provider {name}: set issuer or discovery_url");
            }
        }
        Ok(Self {
            providers: file.providers,
        })
    }

    /// The provider called `name`, or the documented 404.
    fn get(&self, name: &str) -> Result<&Provider, ErrorEnvelope> {
        self.providers
            .get(name)
            .ok_or_else(|| err(ErrorCode::NotFound, messages::UNKNOWN_PROVIDER))
    }
}

fn upstream() -> ErrorEnvelope {
    err(ErrorCode::UpstreamError, messages::OAUTH_EXCHANGE_FAILED)
}

/// How long a call to a provider may take.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends a request to a provider and reads its JSON answer; any failure is a 502.
async fn provider_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, ErrorEnvelope> {
    let r = request
        .timeout(PROVIDER_TIMEOUT)
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|_| upstream())?;
    if !r.status().is_success() {
        return Err(upstream());
    }
    r.json().await.map_err(|_| upstream())
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Bitstride {
    async fn discover(&self, p: &Provider) -> Result<Discovery, ErrorEnvelope> {
        let url = match (&p.discovery_url, &p.issuer) {
            (Some(d), _) => d.clone(),
            (None, Some(i)) => format!(
                "{}/.well-known/openid-configuration",
                i.trim_end_matches('/')
            ),
            (None, None) => return Err(upstream()),
        };
        provider_json(self.http.get(url)).await
    }

    fn redirect_uri(&self, provider: &str) -> String {
        format!("{}/v1/auth/callback/{provider}", self.public_url)
    }

    /// `GET /v1/auth/login/{provider}`: the provider's authorize URL.
    pub(super) async fn oauth_start(&self, provider: &str) -> Result<String, ErrorEnvelope> {
        self.authorize(provider, None).await
    }

    /// `POST /v1/auth/link/{provider}`: an authorize URL whose state is bound to
    /// the caller's session.
    pub(super) async fn link_start(
        &self,
        caller: &super::auth::Caller,
        provider: &str,
    ) -> Result<IdentityLinkStart, ErrorEnvelope> {
        let session_id = caller.session()?.to_owned();
        self.oidc.get(provider)?;
        let linked = identities::of_user(&self.db, &caller.user.id).await?;
        if linked.iter().any(|i| i.provider == provider) {
            return Err(err(ErrorCode::Conflict, messages::PROVIDER_ALREADY_LINKED));
        }
        let owner = LinkOwner {
            user_id: caller.user.id.clone(),
            session_id,
        };
        let authorize_url = self.authorize(provider, Some(&owner)).await?;
        Ok(IdentityLinkStart {
            object: "identity_link".into(),
            provider: provider.to_owned(),
            authorize_url,
            expires_at: now() + STATE_SECS,
        })
    }

    /// Records a new state (for a sign-in, or a link flow of `link`) and builds
    /// the provider's authorize URL around it.
    async fn authorize(
        &self,
        provider: &str,
        link: Option<&LinkOwner>,
    ) -> Result<String, ErrorEnvelope> {
        let p = self.oidc.get(provider)?;
        let d = self.discover(p).await?;
        let state = format!("st_{}", random_hex(16));
        let verifier = random_secret();
        let nonce = random_hex(16);
        store::insert(
            &self.db,
            &sha256_hex(state.as_bytes()),
            provider,
            &verifier,
            &nonce,
            link,
        )
        .await?;
        let mut url = url::Url::parse(&d.authorization_endpoint).map_err(|_| upstream())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &p.client_id)
            .append_pair("redirect_uri", &self.redirect_uri(provider))
            .append_pair("scope", &p.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &b64url(&sha256(verifier.as_bytes())))
            .append_pair("code_challenge_method", "S256");
        Ok(url.to_string())
    }

    /// `GET /v1/auth/callback/{provider}`: signs in with the provider, or, for
    /// the state of a link flow, links the identity to the account that started
    /// it (the request must carry that session's token) and then signs in.
    pub(super) async fn oauth_finish(
        &self,
        provider: &str,
        code: &str,
        state: &str,
        headers: &http::HeaderMap,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        let p = self.oidc.get(provider)?;
        let bad_state = || err(ErrorCode::InvalidRequest, messages::INVALID_OAUTH_STATE);
        let hash = sha256_hex(state.as_bytes());
        let Some(found) = store::unused(&self.db, &hash).await? else {
            return Err(bad_state());
        };
        if found.provider != provider || found.created_at + STATE_SECS < now() {
            return Err(bad_state());
        }
        if let Some(owner) = &found.link {
            self.check_link_session(headers, owner).await?;
        }
        if !spend_once(&self.db, "bitstride_oauth_states", "state_hash", &hash).await? {
            return Err(bad_state());
        }
        let d = self.discover(p).await?;
        let tokens: Value = provider_json(self.http.post(&d.token_endpoint).form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri(provider)),
            ("client_id", &p.client_id),
            ("client_secret", &p.client_secret),
            ("code_verifier", &found.code_verifier),
        ]))
        .await?;
        let claims = match tokens.get("id_token").and_then(Value::as_str) {
            Some(id_token) => self.verify_id_token(p, &d, id_token, &found.nonce).await?,
            None => self.userinfo(&d, &tokens).await?,
        };
        let who = Reported::from_claims(&claims).ok_or_else(upstream)?;
        match &found.link {
            Some(owner) => self.link_and_sign_in(provider, &who, owner).await,
            None => self.provider_sign_in(provider, &who).await,
        }
    }

    /// 403 unless `headers` carry a token of the live session that started the link flow.
    async fn check_link_session(
        &self,
        headers: &http::HeaderMap,
        owner: &LinkOwner,
    ) -> Result<(), ErrorEnvelope> {
        let refused = || err(ErrorCode::Forbidden, messages::LINK_SESSION_REQUIRED);
        if !headers.contains_key(http::header::AUTHORIZATION) {
            return Err(refused());
        }
        let caller = self.caller(headers).await?;
        match caller.session() {
            Ok(sid) if sid == owner.session_id && caller.user.id == owner.user_id => Ok(()),
            _ => Err(refused()),
        }
    }

    async fn verify_id_token(
        &self,
        p: &Provider,
        d: &Discovery,
        token: &str,
        nonce: &str,
    ) -> Result<Value, ErrorEnvelope> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| upstream())?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(upstream());
        }
        let jwks_uri = d.jwks_uri.as_deref().ok_or_else(upstream)?;
        let jwks: jsonwebtoken::jwk::JwkSet = provider_json(self.http.get(jwks_uri)).await?;
        let jwk = match &header.kid {
            Some(kid) => jwks.find(kid),
            None => jwks.keys.first(),
        }
        .ok_or_else(upstream)?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| upstream())?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[&d.issuer]);
        validation.set_audience(&[&p.client_id]);
        validation.leeway = 30;
        let data =
            jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|_| upstream())?;
        if data.claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(upstream());
        }
        Ok(data.claims)
    }

    async fn userinfo(&self, d: &Discovery, tokens: &Value) -> Result<Value, ErrorEnvelope> {
        let endpoint = d.userinfo_endpoint.as_deref().ok_or_else(upstream)?;
        let access = tokens
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(upstream)?;
        provider_json(self.http.get(endpoint).bearer_auth(access)).await
    }
}
