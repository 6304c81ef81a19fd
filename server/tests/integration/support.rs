//! What the test modules share: the binary under test, an HTTP client, a
//! client-credentials token, the helpers of Bindu ([`bindu`]) and Bitstride
//! ([`bitstride`]), and a loopback OIDC provider ([`oidc`]).

pub mod bindu;
pub mod bitstride;
pub mod oidc;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// The `quartet` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_quartet"))
}

/// An HTTP client that ignores proxy settings (every server here is on loopback).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A client-credentials access token from the BitMind token endpoint at `bitmind`.
pub async fn token(http: &reqwest::Client, bitmind: &str, id: &str, secret: &str) -> String {
    let r = http
        .post(format!("{bitmind}/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
