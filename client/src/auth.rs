//! Clients that carry credentials.
//!
//! The documents describe credentials as security schemes, and progenitor
//! ignores those; these helpers build a `reqwest::Client` that sends the
//! credential as a default header, and hand it to the generated client.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue, AUTHORIZATION};

/// A `reqwest::Client` that sends `headers` on every request, with a sane timeout.
fn http_client(headers: HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("a client with default headers and a timeout always builds")
}

/// Headers carrying `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> Result<HeaderMap, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    Ok(headers)
}

/// Headers carrying one API-key header, e.g. `x-api-key`.
pub fn api_key(header: &'static str, key: &str) -> Result<HeaderMap, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(key)?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static(header), value);
    Ok(headers)
}

/// A Brookmimir client that sends `x-api-key` on every request.
pub fn brookmimir(
    base_url: &str,
    api_key: &str,
) -> Result<crate::brookmimir::Client, InvalidHeaderValue> {
    let headers = self::api_key("x-api-key", api_key)?;
    Ok(crate::brookmimir::Client::new_with_client(
        base_url,
        http_client(headers),
    ))
}

/// A BitMind client that sends `Authorization: Bearer <token>` (a JWT or `enterprise-<key>`).
pub fn bitmind(base_url: &str, token: &str) -> Result<crate::bitmind::Client, InvalidHeaderValue> {
    Ok(crate::bitmind::Client::new_with_client(
        base_url,
        http_client(bearer(token)?),
    ))
}

/// A Bitstride client that sends `Authorization: Bearer <session token or API key>`.
pub fn bitstride(
    base_url: &str,
    token: &str,
) -> Result<crate::bitstride::Client, InvalidHeaderValue> {
    Ok(crate::bitstride::Client::new_with_client(
        base_url,
        http_client(bearer(token)?),
    ))
}

/// A Bindu client that sends `Authorization: Bearer <token>`.
pub fn bindu(base_url: &str, token: &str) -> Result<crate::bindu::Client, InvalidHeaderValue> {
    Ok(crate::bindu::Client::new_with_client(
        base_url,
        http_client(bearer(token)?),
    ))
}
