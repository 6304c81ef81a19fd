//! BitMind: one scenario per documented example of `openapi/bitmind.yaml`.
//!
//! Fixtures reproduce the clients the examples show: a secret-based client
//! `dae11660…` with every permission, an mTLS client `5f0c2a9e…` registered
//! with the document's own `X-Client-Cert` example, and organization key
//! `3e9b71c0…`. Tokens for the attack examples (expired, wrong audience,
//! tampered payload, unknown `kid`, revoked client) are minted with
//! `quartet admin bitmind token mint` and edited here.

use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use quartet_contract::document::Document;
use serde_json::{json, Value};

use super::LocalSetup;
use crate::scenario::{fx, lit, Scenario, Val};
use crate::server::admin;

/// The secret-based client of the examples.
pub const SECRET_CLIENT: &str = "dae11660b4da11f08a03cb03e6b22977";
/// The mTLS client of the examples.
pub const MTLS_CLIENT: &str = "5f0c2a9e8b7d4c31a6e2f9d08c4b7e15";
/// The organization key of the examples.
pub const ORG_KEY_ID: &str = "3e9b71c04d2a4f6b8c15a7e2d9f03b64";
/// A certificate registered for no client.
pub const OTHER_CERT_PEM: &str = include_str!("../../fixtures/other-client.pem");

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn b64url(s: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// A token whose segment `index` (0 header, 1 payload) was rewritten by `edit`, signature kept.
fn tamper(token: &str, index: usize, edit: impl FnOnce(&mut Value)) -> Result<String> {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[index])?;
    let mut value: Value = serde_json::from_slice(&bytes)?;
    edit(&mut value);
    parts[index] = b64url(&serde_json::to_vec(&value)?);
    Ok(parts.join("."))
}

async fn bitmind(bin: &Path, data_dir: &Path, args: &[&str]) -> Result<String> {
    let mut full = vec!["bitmind"];
    full.extend_from_slice(args);
    Ok(admin(bin, data_dir, &full).await?.trim().to_owned())
}

/// `quartet admin bitmind token mint --client-id CLIENT EXTRA…`: a token signed with the server's key.
pub(super) async fn mint(
    bin: &Path,
    data_dir: &Path,
    client: &str,
    extra: &[&str],
) -> Result<String> {
    let mut args = vec!["token", "mint", "--client-id", client];
    args.extend_from_slice(extra);
    bitmind(bin, data_dir, &args).await
}

async fn secret_client(bin: &Path, data_dir: &Path, id: &str) -> Result<String> {
    let out = bitmind(bin, data_dir, &["client", "create", "--id", id, "--json"]).await?;
    let v: Value = serde_json::from_str(&out)?;
    v["client_secret"]
        .as_str()
        .map(str::to_owned)
        .context("a secret-based client has a secret")
}

/// Clients, keys and tokens the examples need.
pub async fn local_setup(bin: &Path, data_dir: &Path, doc: &Document) -> Result<LocalSetup> {
    let cert_b64 = doc
        .value
        .pointer("/paths/~1status/get/parameters/0/example")
        .and_then(Value::as_str)
        .context("the document's X-Client-Cert example")?;
    let cert_pem = base64::engine::general_purpose::STANDARD.decode(cert_b64)?;
    let cert_path = data_dir.join("mtls-client.pem");
    std::fs::write(&cert_path, cert_pem)?;

    let mut setup = LocalSetup::default();
    let mut put = |k: &str, v: String| {
        setup.fixtures.insert(k.to_owned(), v);
    };
    put(
        "secret_dae",
        secret_client(bin, data_dir, SECRET_CLIENT).await?,
    );
    bitmind(
        bin,
        data_dir,
        &[
            "client",
            "create",
            "--id",
            MTLS_CLIENT,
            "--permissions",
            "image_inference,video_inference",
            "--mtls-cert",
            cert_path.to_str().unwrap_or(""),
        ],
    )
    .await?;
    let revoked = "0badc0de0badc0de0badc0de0badc0de";
    put(
        "secret_revoked",
        secret_client(bin, data_dir, revoked).await?,
    );
    let jwt_revoked = mint(bin, data_dir, revoked, &[]).await?;
    bitmind(bin, data_dir, &["client", "revoke", revoked]).await?;
    put("jwt_revoked", jwt_revoked);

    put(
        "org_key",
        bitmind(
            bin,
            data_dir,
            &[
                "org-key",
                "create",
                "--id",
                ORG_KEY_ID,
                "--permissions",
                "image_inference",
            ],
        )
        .await?,
    );
    let gone = bitmind(
        bin,
        data_dir,
        &[
            "org-key",
            "create",
            "--id",
            "0000000000000000000000000000dead",
        ],
    )
    .await?;
    bitmind(
        bin,
        data_dir,
        &["org-key", "revoke", "0000000000000000000000000000dead"],
    )
    .await?;
    put("org_key_revoked", gone);

    let jwt = mint(bin, data_dir, SECRET_CLIENT, &[]).await?;
    put(
        "jwt_tampered",
        tamper(&jwt, 1, |claims| {
            claims["scope"] = json!("image_inference video_inference batch_processing admin")
        })?,
    );
    put(
        "jwt_unknown_kid",
        tamper(&jwt, 0, |header| header["kid"] = json!("no-such-key"))?,
    );
    put("jwt_dae", jwt);
    put("jwt_mtls", mint(bin, data_dir, MTLS_CLIENT, &[]).await?);
    put(
        "jwt_expired",
        mint(bin, data_dir, SECRET_CLIENT, &["--lifetime", "-120"]).await?,
    );
    put(
        "jwt_wrong_aud",
        mint(
            bin,
            data_dir,
            SECRET_CLIENT,
            &["--audience", "someone-else"],
        )
        .await?,
    );
    put("other_cert", b64(OTHER_CERT_PEM.as_bytes()));
    add_bearer_fixtures(&mut setup);
    setup.variants.push(("default", Vec::new()));
    setup.variants.push(super::storage_down_variant());
    Ok(setup)
}

fn bearer(name: &'static str) -> impl Fn(Scenario) -> Scenario {
    move |s: Scenario| s.header("authorization", Val::Fixture(name))
}

/// Every BitMind scenario.
pub fn scenarios() -> Vec<Scenario> {
    let status = |example| {
        Scenario::new("get_status", "200", example)
            .volatile(&["/client/token_expires_at", "/timestamp"])
    };
    let unauthorized = |example| Scenario::new("get_status", "401", example);
    let token = |status, example| Scenario::new("issue_token", status, example);
    let secret_form = |secret: Val| {
        [
            ("grant_type", lit("client_credentials")),
            ("client_id", lit(SECRET_CLIENT)),
            ("client_secret", secret),
        ]
    };
    let introspect = |status, example| Scenario::new("introspect_token", status, example);
    let introspect_form = |token: Val, secret: Val| {
        [
            ("token", token),
            ("client_id", lit(SECRET_CLIENT)),
            ("client_secret", secret),
        ]
    };
    let down = |s: Scenario| {
        s.variant("storage-down")
            .local_only(super::NEEDS_STORAGE_DOWN)
    };
    vec![
        down(Scenario::new("get_health", "503", "example")),
        down(Scenario::new("get_jwks", "503", "example")),
        down(bearer("bearer_dae")(Scenario::new(
            "get_status",
            "503",
            "example",
        ))),
        down(token("503", "example").form(&secret_form(fx("secret_dae")))),
        down(introspect("503", "example").form(&introspect_form(fx("jwt_dae"), fx("secret_dae")))),
        Scenario::new("get_health", "200", "example").volatile(&["/timestamp"]),
        Scenario::new("get_jwks", "200", "example").volatile(&["/keys/0/kid", "/keys/0/n"]),
        status("oauth_jwt").header("authorization", fx("bearer_dae")),
        status("oauth_mtls")
            .header("authorization", fx("bearer_mtls"))
            .param("X-Client-Cert", Val::Documented),
        status("organization_api_key").header("authorization", fx("bearer_org_key")),
        Scenario::new("get_status", "400", "certificate_not_base64")
            .param("X-Client-Cert", lit("%%%")),
        Scenario::new("get_status", "400", "certificate_not_pem")
            .param("X-Client-Cert", lit(b64(b"hello"))),
        unauthorized("authorization_missing"),
        unauthorized("not_bearer").header("authorization", lit("Basic ZGFlOnNlY3JldA==")),
        unauthorized("malformed_token").header("authorization", lit("Bearer not-a-jwt")),
        bearer("bearer_unknown_kid")(unauthorized("unknown_key_id")),
        bearer("bearer_tampered")(unauthorized("invalid_signature")),
        bearer("bearer_wrong_aud")(unauthorized("wrong_audience")),
        bearer("bearer_expired")(unauthorized("expired_token")),
        bearer("bearer_revoked")(unauthorized("client_revoked")),
        unauthorized("unknown_api_key").header(
            "authorization",
            lit("Bearer enterprise-00000000000000000000000000000000.nope"),
        ),
        bearer("bearer_org_key_revoked")(unauthorized("revoked_api_key")),
        bearer("bearer_mtls")(Scenario::new("get_status", "403", "certificate_required")),
        bearer("bearer_mtls")(Scenario::new("get_status", "403", "certificate_mismatch"))
            .param("X-Client-Cert", fx("other_cert")),
        token("200", "client_secret")
            .form(&secret_form(fx("secret_dae")))
            .volatile(&["/access_token"]),
        token("200", "client_certificate")
            .body_example("client_certificate")
            .param("X-Client-Cert", Val::Documented)
            .volatile(&["/access_token"]),
        token("400", "missing_client_id").form(&[("grant_type", lit("client_credentials"))]),
        token("400", "missing_grant_type").form(&[("client_id", lit(SECRET_CLIENT))]),
        token("400", "json_body")
            .json(json!({"grant_type": "client_credentials", "client_id": SECRET_CLIENT}))
            .content_type("application/json"),
        token("400", "unsupported_grant_type").form(&[
            ("grant_type", lit("password")),
            ("client_id", lit(SECRET_CLIENT)),
        ]),
        token("400", "certificate_not_base64")
            .body_example("client_certificate")
            .param("X-Client-Cert", lit("%%%")),
        token("400", "certificate_not_pem")
            .body_example("client_certificate")
            .param("X-Client-Cert", lit(b64(b"hello"))),
        token("401", "unknown_client").form(&[
            ("grant_type", lit("client_credentials")),
            ("client_id", lit("ffffffffffffffffffffffffffffffff")),
            ("client_secret", lit("whatever")),
        ]),
        token("401", "client_secret_missing").form(&[
            ("grant_type", lit("client_credentials")),
            ("client_id", lit(SECRET_CLIENT)),
        ]),
        // The documented request carries a secret this server never issued.
        token("401", "client_secret_incorrect").body_example("client_secret"),
        token("401", "certificate_missing").body_example("client_certificate"),
        token("401", "certificate_mismatch")
            .body_example("client_certificate")
            .param("X-Client-Cert", fx("other_cert")),
        introspect("200", "active")
            .form(&introspect_form(fx("jwt_dae"), fx("secret_dae")))
            .volatile(&["/exp", "/iat", "/nbf", "/jti"]),
        introspect("200", "inactive").form(&introspect_form(fx("jwt_expired"), fx("secret_dae"))),
        introspect("400", "example").form(&[
            ("client_id", lit(SECRET_CLIENT)),
            ("client_secret", fx("secret_dae")),
        ]),
        introspect("401", "unknown_client").form(&[
            ("token", fx("jwt_dae")),
            ("client_id", lit("ffffffffffffffffffffffffffffffff")),
            ("client_secret", lit("whatever")),
        ]),
        // The documented request carries a secret this server never issued.
        introspect("401", "client_secret_incorrect"),
        token("401", "client_revoked").form(&[
            ("grant_type", lit("client_credentials")),
            ("client_id", lit("0badc0de0badc0de0badc0de0badc0de")),
            ("client_secret", fx("secret_revoked")),
        ]),
    ]
}

/// `Bearer <fixture>` values for every token and key fixture.
fn add_bearer_fixtures(setup: &mut LocalSetup) {
    let names: Vec<(String, String)> = setup
        .fixtures
        .iter()
        .filter(|(k, _)| k.starts_with("jwt_") || k.starts_with("org_key"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in names {
        let name = k.strip_prefix("jwt_").unwrap_or(&k);
        setup
            .fixtures
            .insert(format!("bearer_{name}"), format!("Bearer {v}"));
    }
}
