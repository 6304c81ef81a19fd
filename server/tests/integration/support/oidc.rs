//! A loopback OpenID Connect provider for tests: discovery, JWKS and a token
//! endpoint that answers with an RS256 ID token. Each sign-in's claims (`sub`,
//! `email`, `email_verified`, …) are chosen by the test: [`Provider::code`]
//! registers them under a fresh authorization code, bound to the nonce of the
//! authorize URL the server issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use quartet_conformance::mock::{Mock, MockReply};
use serde_json::{json, Value};

/// Claims waiting for their code: code → (nonce, claims).
type Pending = Arc<Mutex<HashMap<String, (String, Value)>>>;

/// The running provider.
pub struct Provider {
    mock: Mock,
    pending: Pending,
    counter: Mutex<u64>,
}

/// An RSA key: the signing key and its public JWK.
fn key() -> (jsonwebtoken::EncodingKey, Value) {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let public = pair.public_key();
    let jwk = json!({"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero())});
    (
        jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk,
    )
}

impl Provider {
    /// Starts a provider whose client is `client-1`.
    pub async fn start() -> Self {
        let (key, jwk) = key();
        let pending: Pending = Arc::default();
        let base: Arc<Mutex<String>> = Arc::default();
        let (codes, issuer) = (pending.clone(), base.clone());
        let mock = Mock::start(move |r| {
            let base = issuer.lock().unwrap().clone();
            match r.path.split('?').next().unwrap_or("") {
                "/.well-known/openid-configuration" => MockReply::json(
                    200,
                    json!({"issuer": base, "authorization_endpoint": format!("{base}/authorize"),
                        "token_endpoint": format!("{base}/token"), "jwks_uri": format!("{base}/jwks")})
                    .to_string(),
                ),
                "/jwks" => MockReply::json(200, json!({"keys": [jwk]}).to_string()),
                "/token" => {
                    let form: HashMap<String, String> =
                        url::form_urlencoded::parse(&r.body).into_owned().collect();
                    let code = form.get("code").cloned().unwrap_or_default();
                    // A code works once.
                    let Some((nonce, mut claims)) = codes.lock().unwrap().remove(&code) else {
                        return MockReply::json(400, r#"{"error":"invalid_grant"}"#);
                    };
                    let now = chrono::Utc::now().timestamp();
                    for (k, v) in [
                        ("iss", json!(base)),
                        ("aud", json!("client-1")),
                        ("nonce", json!(nonce)),
                        ("iat", json!(now)),
                        ("exp", json!(now + 300)),
                    ] {
                        claims[k] = v;
                    }
                    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                    header.kid = Some("k1".into());
                    let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
                    MockReply::json(
                        200,
                        json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token})
                            .to_string(),
                    )
                }
                _ => MockReply::json(404, "{}"),
            }
        })
        .await
        .unwrap();
        *base.lock().unwrap() = mock.url("");
        Self {
            mock,
            pending,
            counter: Mutex::new(0),
        }
    }

    /// The `[providers.NAME]` section of a `--bitstride-oauth-config` file for this provider.
    pub fn config(&self, name: &str) -> String {
        format!(
            "[providers.{name}]\nissuer = \"{}\"\nclient_id = \"client-1\"\nclient_secret = \"s\"\n",
            self.mock.url("")
        )
    }

    /// A fresh authorization code for the authorize URL `authorize` (the server's
    /// redirect): the ID token it yields carries `claims` and the URL's nonce.
    /// Returns (code, state).
    pub fn code(&self, authorize: &str, claims: Value) -> (String, String) {
        let url = url::Url::parse(authorize).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let code = {
            let mut n = self.counter.lock().unwrap();
            *n += 1;
            format!("code-{n}")
        };
        self.pending
            .lock()
            .unwrap()
            .insert(code.clone(), (q["nonce"].clone(), claims));
        (code, q["state"].clone())
    }
}

/// A Bitstride server's OAuth routes, driven like a client that follows redirects by hand.
pub struct Flow<'a> {
    /// The server's base URL.
    pub base: &'a str,
    /// The provider's name in the server's configuration.
    pub name: &'a str,
    /// The provider.
    pub provider: &'a Provider,
}

/// The answer of one HTTP exchange: status and JSON body.
pub type Answer = (u16, Value);

async fn send(r: reqwest::RequestBuilder) -> Answer {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl Flow<'_> {
    fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// `GET /v1/auth/callback/{name}` with `code` and `state`, bearing `token` if given.
    pub async fn callback(&self, code: &str, state: &str, token: Option<&str>) -> Answer {
        let mut r = Self::http()
            .get(format!("{}/v1/auth/callback/{}", self.base, self.name))
            .query(&[("code", code), ("state", state)]);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        send(r).await
    }

    /// A whole provider sign-in in which the provider reports `claims`.
    pub async fn sign_in(&self, claims: Value) -> Answer {
        let r = Self::http()
            .get(format!("{}/v1/auth/login/{}", self.base, self.name))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "login_with_provider");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let (code, state) = self.provider.code(&location, claims);
        self.callback(&code, &state, None).await
    }

    /// `POST /v1/auth/link/{name}` with `token`: the answer, and (code, state) for
    /// `claims` when it succeeded.
    pub async fn link_start(
        &self,
        token: &str,
        claims: Value,
    ) -> (Answer, Option<(String, String)>) {
        let answer = send(
            Self::http()
                .post(format!("{}/v1/auth/link/{}", self.base, self.name))
                .bearer_auth(token),
        )
        .await;
        let pair = answer.1["authorize_url"]
            .as_str()
            .map(|u| self.provider.code(u, claims));
        (answer, pair)
    }

    /// A whole link flow of the session `token`: start, provider reports `claims`, callback.
    pub async fn link(&self, token: &str, claims: Value) -> Answer {
        let (started, pair) = self.link_start(token, claims).await;
        let Some((code, state)) = pair else {
            return started;
        };
        self.callback(&code, &state, Some(token)).await
    }
}
