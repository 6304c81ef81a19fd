//! BitMind's token service under attack, and as a standard JWT library sees it.

use std::path::PathBuf;

use super::support::bin;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use quartet_conformance::server::{admin, stored_bytes, ServerProcess};
use quartet_server::platform::cache::REVOCATION_BOUND;
use serde_json::{json, Value};

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    server: ServerProcess,
    client_id: String,
    secret: String,
    http: reqwest::Client,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let out = admin(&bin(), &path, &["bitmind", "client", "create", "--json"])
            .await
            .unwrap();
        let created: Value = serde_json::from_str(&out).unwrap();
        let server = ServerProcess::spawn(&bin(), &path, "bitmind", &[])
            .await
            .unwrap();
        Self {
            _dir: dir,
            dir: path,
            server,
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"].as_str().unwrap().to_owned(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    async fn token(&self) -> String {
        super::support::token(
            &self.http,
            &self.server.base_url,
            &self.client_id,
            &self.secret,
        )
        .await
    }

    async fn jwks(&self) -> Value {
        self.http
            .get(format!("{}/.well-known/jwks.json", self.server.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Status code and `error_description` of `GET /status` with `Authorization: Bearer <token>`.
    async fn status_with(&self, token: &str, cert: Option<&str>) -> (u16, String) {
        let mut r = self
            .http
            .get(format!("{}/status", self.server.base_url))
            .bearer_auth(token);
        if let Some(c) = cert {
            r = r.header("X-Client-Cert", c);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        (
            status,
            body["error_description"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// Polls `/status` with `credential` until it is refused with `message`;
    /// fails if that takes longer than the documented revocation bound.
    async fn refused_within_bound(&self, credential: &str, message: &str) {
        let began = std::time::Instant::now();
        loop {
            let answer = self.status_with(credential, None).await;
            if answer == (401, message.to_owned()) {
                break;
            }
            assert_eq!(
                answer.0, 200,
                "until revoked, the credential works: {answer:?}"
            );
            assert!(
                began.elapsed() <= REVOCATION_BOUND,
                "still accepted {:?} after the revocation",
                began.elapsed()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn claims_of(token: &str) -> Value {
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_verifies_with_a_standard_library_and_only_the_published_jwks() {
    let f = Fixture::new().await;
    let token = f.token().await;
    let jwks = f.jwks().await;
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("tokens carry a kid");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published");
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&["bitmind-enterprise-auth"]);
    validation.set_audience(&["enterprise-inference-worker"]);
    let data =
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("the token verifies");
    let c = data.claims;
    assert_eq!(c["sub"], f.client_id);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(
        c["scope"],
        "image_inference video_inference batch_processing"
    );
    assert!(c["jti"].as_str().is_some_and(|j| j.len() == 36));
    assert!(
        c.get("cnf").is_none(),
        "a secret-based client's token is not bound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_tokens_are_rejected() {
    let f = Fixture::new().await;
    let good = f.token().await;
    assert_eq!(f.status_with(&good, None).await.0, 200);
    let kid = jsonwebtoken::decode_header(&good).unwrap().kid.unwrap();
    let claims = Fixture::claims_of(&good);
    let header_b64 = |h: Value| b64url(h.to_string().as_bytes());
    let payload_b64 = b64url(claims.to_string().as_bytes());

    // alg "none", no signature.
    let none = format!(
        "{}.{payload_b64}.",
        header_b64(json!({"alg": "none", "typ": "JWT", "kid": kid}))
    );
    assert_eq!(
        f.status_with(&none, None).await,
        (401, "bearer token is not a well-formed RS256 JWT".into())
    );

    // HS256 keyed with the published public key (the classic algorithm-confusion attack).
    let jwks = f.jwks().await;
    let public = jwks["keys"][0].to_string();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid.clone());
    let hs = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["n"].as_str().unwrap())
        .unwrap();
    let hs_n = jsonwebtoken::encode(&hs_header, &claims, &EncodingKey::from_secret(&n)).unwrap();
    for forged in [hs, hs_n] {
        assert_eq!(
            f.status_with(&forged, None).await,
            (401, "bearer token is not a well-formed RS256 JWT".into())
        );
    }

    // A payload changed after signing.
    let mut raised = claims.clone();
    raised["scope"] = json!("image_inference video_inference batch_processing admin");
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(raised.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        f.status_with(&tampered, None).await,
        (401, "token signature is invalid".into())
    );

    // Signed by a key the worker never published.
    let stranger = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&stranger).unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let mut rs_header = Header::new(Algorithm::RS256);
    rs_header.kid = Some("stranger".into());
    let foreign = jsonwebtoken::encode(
        &rs_header,
        &claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        f.status_with(&foreign, None).await,
        (401, "token was signed with an unknown key".into())
    );
    // … even when it claims the worker's kid.
    rs_header.kid = Some(kid.clone());
    let impostor = jsonwebtoken::encode(
        &rs_header,
        &claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        f.status_with(&impostor, None).await,
        (401, "token signature is invalid".into())
    );

    // Minted by the worker's own key but expired, for another audience, or not yet valid.
    let dir = f.dir.to_str().unwrap();
    let mint = |extra: &'static [&'static str]| {
        let id = f.client_id.clone();
        async move {
            let mut args = vec!["bitmind", "token", "mint", "--client-id", id.as_str()];
            args.extend_from_slice(extra);
            admin(&bin(), std::path::Path::new(dir), &args)
                .await
                .unwrap()
                .trim()
                .to_owned()
        }
    };
    assert_eq!(
        f.status_with(&mint(&["--lifetime", "-60"]).await, None)
            .await,
        (401, "token has expired".into())
    );
    assert_eq!(
        f.status_with(&mint(&["--lifetime", "-10"]).await, None)
            .await
            .0,
        200,
        "within the 30 s leeway"
    );
    assert_eq!(
        f.status_with(&mint(&["--audience", "another-service"]).await, None)
            .await,
        (401, "token audience does not match this worker".into())
    );
    assert_eq!(
        f.status_with(&mint(&["--not-before", "600"]).await, None)
            .await,
        (401, "token is not yet valid".into())
    );
    assert_eq!(
        f.status_with(&mint(&["--token-issuer", "someone-else"]).await, None)
            .await,
        (401, "token issuer is not trusted".into())
    );

    // Revoking the client kills its live tokens, cached ones included, within the
    // documented bound.
    assert_eq!(f.status_with(&good, None).await.0, 200);
    admin(
        &bin(),
        &f.dir,
        &["bitmind", "client", "revoke", &f.client_id],
    )
    .await
    .unwrap();
    f.refused_within_bound(&good, "client has been revoked")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_bound_tokens_need_their_certificate() {
    let f = Fixture::new().await;
    let mine = include_str!("../../../conformance/fixtures/other-client.pem");
    let cert_path = f.dir.join("mine.pem");
    std::fs::write(&cert_path, mine).unwrap();
    let out = admin(
        &bin(),
        &f.dir,
        &[
            "bitmind",
            "client",
            "create",
            "--json",
            "--mtls-cert",
            cert_path.to_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    let id = serde_json::from_str::<Value>(&out).unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine_b64 = base64::engine::general_purpose::STANDARD.encode(mine);
    let r = f
        .http
        .post(format!("{}/v1/oauth/token", f.server.base_url))
        .header("X-Client-Cert", &mine_b64)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(Fixture::claims_of(&token)["cnf"]["x5t#S256"].is_string());

    let conformance_cert = {
        let doc = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/bitmind.yaml"),
        )
        .unwrap();
        let doc: Value = serde_norway::from_str(&doc).unwrap();
        doc["paths"]["/status"]["get"]["parameters"][0]["example"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(f.status_with(&token, Some(&mine_b64)).await.0, 200);
    assert_eq!(f.status_with(&token, None).await.0, 403);
    assert_eq!(
        f.status_with(&token, Some(&conformance_cert)).await,
        (
            403,
            "X-Client-Cert does not match the certificate this token is bound to".into()
        )
    );
}

/// The document's `X-Client-Cert` schema rejects the values the worker cannot decode, the
/// empty value and one of whitespace only among them, and the worker answers each of them
/// `400 invalid_request`. Base64 that is not a PEM certificate passes the schema (no pattern
/// can tell) and is answered 400 too; the document says so in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_cert_values_the_document_rejects_are_answered_400() {
    let f = Fixture::new().await;
    let token = f.token().await;
    let doc = quartet_contract::document::Document::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/bitmind.yaml"),
    )
    .unwrap();
    let validator = quartet_contract::examples::ExampleValidator::new(&doc);
    let parameter = |path: &str, method: &str| {
        doc.value["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "X-Client-Cert")
            .unwrap()
            .clone()
    };
    let status = parameter("/status", "get");
    assert_eq!(
        status["schema"],
        parameter("/v1/oauth/token", "post")["schema"]
    );
    let documented = status["example"].as_str().unwrap().to_owned();
    let accepts = |value: &str| {
        validator
            .validate(&status["schema"], &Value::String(value.to_owned()))
            .is_empty()
    };
    let not_base64 = "X-Client-Cert is not valid base64";
    let not_pem = "X-Client-Cert does not contain a PEM-encoded certificate";
    let cases: [(&str, &str, bool, (u16, &str)); 8] = [
        ("empty", "", false, (400, not_pem)),
        ("spaces", "   ", false, (400, not_pem)),
        ("tab and space", "\t ", false, (400, not_pem)),
        ("not base64", "%%%", false, (400, not_base64)),
        ("unpadded", "aGVsbG8", false, (400, not_base64)),
        ("inner space", "aGVs bG8=", false, (400, not_base64)),
        (
            "base64, not a certificate",
            "aGVsbG8=",
            true,
            (400, not_pem),
        ),
        // An unbound token ignores a well-formed certificate.
        ("the documented certificate", &documented, true, (200, "")),
    ];
    for (what, value, schema_accepts, answer) in cases {
        assert_eq!(accepts(value), schema_accepts, "{what}: document schema");
        let (code, description) = f.status_with(&token, Some(value)).await;
        assert_eq!((code, description.as_str()), answer, "{what}: worker");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_old_tokens_valid_and_publishes_both_keys() {
    let f = Fixture::new().await;
    let before = f.token().await;
    let old_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();
    let out = admin(&bin(), &f.dir, &["bitmind", "rotate-key"])
        .await
        .unwrap();
    assert!(out.contains(&old_kid), "{out}");
    let jwks = f.jwks().await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "{jwks}");
    assert_eq!(kids[1], old_kid, "the current key comes first");
    let after = f.token().await;
    assert_eq!(
        jsonwebtoken::decode_header(&after).unwrap().kid.unwrap(),
        kids[0]
    );
    assert_eq!(
        f.status_with(&before, None).await.0,
        200,
        "tokens of the retired key still work"
    );
    assert_eq!(f.status_with(&after, None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_keys_work_until_revoked_and_are_stored_hashed() {
    let f = Fixture::new().await;
    let key = admin(
        &bin(),
        &f.dir,
        &[
            "bitmind",
            "org-key",
            "create",
            "--permissions",
            "video_inference",
        ],
    )
    .await
    .unwrap();
    let key = key.trim().to_owned();
    assert!(key.starts_with("enterprise-"));
    let r = f
        .http
        .get(format!("{}/status", f.server.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["client"]["auth_method"], "organization-api-key");
    assert_eq!(body["client"]["permissions"], json!(["video_inference"]));
    assert!(body["client"].get("token_expires_at").is_none());

    let secret = key.rsplit('.').next().unwrap();
    let stored = stored_bytes(&f.dir).await.unwrap();
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is not stored in clear"
    );
    let wrong = format!("{}x", key);
    assert_eq!(
        f.status_with(&wrong, None).await,
        (401, "unknown organization API key".into())
    );

    let id = key
        .trim_start_matches("enterprise-")
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(f.status_with(&key, None).await.0, 200);
    admin(&bin(), &f.dir, &["bitmind", "org-key", "revoke", &id])
        .await
        .unwrap();
    f.refused_within_bound(&key, "organization API key has been revoked")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_a_4xx_oauth_error() {
    let f = Fixture::new().await;
    let token_url = format!("{}/v1/oauth/token", f.server.base_url);
    let form = "application/x-www-form-urlencoded";
    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        ("empty", form, Vec::new()),
        ("garbage", form, vec![0xff, 0x00, 0x25, 0x25]),
        (
            "duplicate field",
            form,
            b"grant_type=client_credentials&grant_type=password&client_id=x".to_vec(),
        ),
        (
            "oversized",
            form,
            format!(
                "grant_type=client_credentials&client_id={}",
                "a".repeat(200_000)
            )
            .into_bytes(),
        ),
        (
            "json",
            "application/json",
            br#"{"grant_type":"client_credentials","client_id":"x"}"#.to_vec(),
        ),
        (
            "no content type",
            "",
            b"grant_type=client_credentials&client_id=x".to_vec(),
        ),
    ];
    for (what, content_type, body) in bodies {
        let mut r = f.http.post(&token_url).body(body);
        if !content_type.is_empty() {
            r = r.header("content-type", content_type);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
        assert!((400..500).contains(&status), "{what}: {status} {body}");
        assert!(
            body["error"].is_string() && body["error_description"].is_string(),
            "{what}: {body}"
        );
    }
    let long = "A".repeat(50_000);
    let credentials = [
        "Bearer ".to_owned(),
        "Bearer a.b.c.d".to_owned(),
        format!("Bearer {long}.{long}.{long}"),
        "Bearer enterprise-".to_owned(),
        "Bearer enterprise-..".to_owned(),
        "bearer    spaced".to_owned(),
        "Token abc".to_owned(),
    ];
    for credential in credentials {
        let r = f
            .http
            .get(format!("{}/status", f.server.base_url))
            .header("authorization", &credential)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 401, "{credential:.40}: {body}");
        assert_eq!(body["error"], "invalid_token", "{credential:.40}: {body}");
    }
    let r = f
        .http
        .get(format!("{}/status", f.server.base_url))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    // dropshot's header extractor refuses header values that are not UTF-8.
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}
