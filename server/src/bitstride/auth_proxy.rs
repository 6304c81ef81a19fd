//! The auth-service split: with `--bitstride-auth-service-url` (or
//! `AUTH_SERVICE_URL`) the control plane serves `/v1/auth/*` and
//! `/v1/api_keys/*` by forwarding them there (method, path, query, headers,
//! body), and relays the status and body it gets back. An auth service that
//! cannot be reached, or answers something that is not this API, is 502
//! `upstream_error`.

use std::time::Duration;

use quartet_api::bitstride::{messages, ErrorCode, ErrorEnvelope};
use serde::de::DeserializeOwned;

use super::{err, Bitstride};

/// How long the control plane waits for the auth service.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Headers not forwarded (hop-by-hop, or set by the client library).
const SKIPPED: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "accept-encoding",
];

fn unreachable() -> ErrorEnvelope {
    err(ErrorCode::UpstreamError, messages::AUTH_SERVICE_UNREACHABLE)
}

/// The auth service's answer.
pub enum Proxied<T> {
    /// A 2xx with a body (or none, for 204).
    Ok(T),
    /// A redirect, with its `Location`.
    Found(String),
}

impl Bitstride {
    /// Forwards the request to the auth service, if one is configured.
    pub(super) async fn proxy<T: DeserializeOwned>(
        &self,
        request: &dropshot::RequestInfo,
        body: Option<Vec<u8>>,
    ) -> Option<Result<Proxied<T>, ErrorEnvelope>> {
        let base = self.config.bitstride_auth_service_url.as_deref()?;
        Some(self.forward_auth(base, request, body).await)
    }

    async fn forward_auth<T: DeserializeOwned>(
        &self,
        base: &str,
        request: &dropshot::RequestInfo,
        body: Option<Vec<u8>>,
    ) -> Result<Proxied<T>, ErrorEnvelope> {
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let mut out = self
            .http
            .request(request.method().clone(), url)
            .timeout(TIMEOUT);
        for (name, value) in request.headers() {
            if !SKIPPED.contains(&name.as_str()) {
                out = out.header(name, value);
            }
        }
        if let Some(b) = body {
            out = out
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(b);
        }
        let response = out.send().await.map_err(|_| unreachable())?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(unreachable)?
                .to_owned();
            return Ok(Proxied::Found(location));
        }
        let bytes = response.bytes().await.map_err(|_| unreachable())?;
        if status.is_success() {
            let bytes = if bytes.is_empty() {
                &b"null"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes)
                .map(Proxied::Ok)
                .map_err(|_| unreachable());
        }
        match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(e) if e.error.code.status().as_u16() == status.as_u16() => Err(e),
            _ => Err(unreachable()),
        }
    }
}
