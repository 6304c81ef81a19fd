//! The inference gateway: authenticates the caller (API keys need the
//! `inference` scope), resolves the deployment (path id, or the `Host`
//! subdomain / `model` field) within the caller's organization, applies the
//! per-credential rate limit and the deployment's concurrency limit, forwards
//! the request to the backend ([`forward`], [`builtin`]), streaming included,
//! and records usage in the request's path ([`usage`]).

pub mod builtin;
pub mod forward;
pub mod limits;
pub mod tokens;
pub mod usage;

use bytes::Bytes;
use dropshot::Body;
use http::{Response, StatusCode};
use quartet_api::bitstride::{
    messages, ChatCompletionRequest, DeploymentStatus, ErrorCode, ErrorEnvelope,
};
use serde::Deserialize as _;
use serde_json::Value;

pub use limits::Limits;

use super::auth::Caller;
use super::deployments::{self, Row};
use super::{err, Bitstride};
use quartet_api::bitstride::ApiKeyScope;

/// Which deployment a chat request names.
pub enum Target<'a> {
    /// `POST /v1/inference/{deployment_id}/chat`.
    Id(&'a str),
    /// `POST /v1/chat/completions` with this `Host` header.
    Host(Option<&'a str>),
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::with_content(
            serde_json::to_vec(body).unwrap_or_default(),
        ))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A 429 in the envelope with `Retry-After`.
pub fn too_many(message: &str, retry_after: u64) -> Response<Body> {
    let mut r = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &err(ErrorCode::RateLimited, message),
    );
    if let Ok(v) = http::HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    r
}

/// What the gateway checked about a request before forwarding it.
pub struct Checked {
    /// The request as sent (unknown fields kept).
    pub raw: serde_json::Map<String, Value>,
    /// The fields the gateway reads.
    pub request: ChatCompletionRequest,
}

/// The longest end-user id (`user`) a request may carry, in characters.
pub const MAX_USER_CHARS: usize = 256;

/// Whether `user` may be stored as an end-user id: at most [`MAX_USER_CHARS`]
/// characters, none of them a control character (PostgreSQL text holds no NUL).
pub fn valid_user(user: &str) -> bool {
    user.chars().count() <= MAX_USER_CHARS && !user.chars().any(char::is_control)
}

/// Parses and checks a chat body.
pub fn check_body(body: &[u8]) -> Result<Checked, ErrorEnvelope> {
    let parse_err = |e: serde_json::Error| {
        err(
            ErrorCode::InvalidJson,
            format!("unable to parse JSON body: {e}"),
        )
    };
    let value: Value = serde_json::from_slice(body).map_err(parse_err)?;
    let request = ChatCompletionRequest::deserialize(&value).map_err(parse_err)?;
    let Value::Object(raw) = value else {
        return Err(err(
            ErrorCode::InvalidJson,
            "unable to parse JSON body: expected an object",
        ));
    };
    if request.messages.is_empty() {
        return Err(err(ErrorCode::InvalidRequest, messages::EMPTY_MESSAGES));
    }
    if request
        .temperature
        .is_some_and(|t| !(0.0..=2.0).contains(&t))
    {
        return Err(err(
            ErrorCode::InvalidRequest,
            "temperature must be between 0 and 2",
        ));
    }
    if request.top_p.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(err(
            ErrorCode::InvalidRequest,
            "top_p must be between 0 and 1",
        ));
    }
    if request.user.as_ref().is_some_and(|u| !valid_user(u)) {
        return Err(err(ErrorCode::InvalidRequest, messages::USER_TOO_LONG));
    }
    if request.max_tokens.is_some_and(|m| m < 1) {
        return Err(err(
            ErrorCode::InvalidRequest,
            "max_tokens must be at least 1",
        ));
    }
    Ok(Checked { raw, request })
}

/// The subdomain a `Host` header names: the first label of a name with at least
/// three labels (`sub.gateway.example.com`); none for IPs and short names.
pub fn host_subdomain(host: &str) -> Option<&str> {
    let name = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    if name.starts_with('[') || name.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = name.split('.').collect();
    (labels.len() >= 3).then(|| labels[0])
}

impl Bitstride {
    async fn resolve(
        &self,
        caller: &Caller,
        target: Target<'_>,
        model: Option<&str>,
    ) -> Result<Row, ErrorEnvelope> {
        // `by_subdomain` reads any organization's deployment; `get` only the caller's.
        let mine = |r: Option<Row>| r.filter(|r| r.org_id == caller.org_id);
        match target {
            Target::Id(id) => deployments::get(&self.db, &caller.org_id, id)
                .await?
                .ok_or_else(|| err(ErrorCode::NotFound, messages::DEPLOYMENT_NOT_FOUND)),
            Target::Host(host) => {
                if let Some(sub) = host.and_then(host_subdomain) {
                    if let Some(r) = mine(deployments::by_subdomain(&self.db, sub).await?) {
                        return Ok(r);
                    }
                }
                if let Some(m) = model {
                    if let Some(r) = mine(deployments::by_subdomain(&self.db, m).await?) {
                        return Ok(r);
                    }
                    if let Some(r) = deployments::get(&self.db, &caller.org_id, m).await? {
                        return Ok(r);
                    }
                }
                Err(err(ErrorCode::NotFound, messages::DEPLOYMENT_UNRESOLVED))
            }
        }
    }

    /// Serves one chat request.
    pub(super) async fn chat(
        &self,
        headers: &http::HeaderMap,
        target: Target<'_>,
        body: &[u8],
    ) -> Result<Response<Body>, ErrorEnvelope> {
        let caller = self.caller(headers).await?;
        caller.require(ApiKeyScope::Inference)?;
        let checked = check_body(body)?;
        let deployment = self
            .resolve(&caller, target, checked.request.model.as_deref())
            .await?;
        match deployment.wire.status {
            DeploymentStatus::Ready => {}
            DeploymentStatus::Stopped => {
                return Err(err(ErrorCode::InvalidState, messages::DEPLOYMENT_STOPPED))
            }
            DeploymentStatus::Pending | DeploymentStatus::Failed => {
                return Err(err(ErrorCode::InvalidState, messages::DEPLOYMENT_NOT_READY))
            }
        }
        let stream = checked.request.stream == Some(true);
        if stream && !deployment.wire.capabilities.streaming {
            return Err(err(
                ErrorCode::InvalidRequest,
                messages::STREAMING_UNSUPPORTED_BY_BACKEND,
            ));
        }
        let credential = caller
            .api_key_id()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("user:{}", caller.user.id));
        if let Err(wait) = self.gateway.admit(&credential) {
            return Ok(too_many(messages::RATE_LIMITED, wait));
        }
        let Some(slot) = self
            .gateway
            .slot(&deployment.wire.id, deployment.wire.concurrency_limit)
        else {
            return Ok(too_many(messages::CONCURRENCY_LIMITED, 1));
        };
        // Written before the backend is asked: no record, no answer (503).
        let usage =
            std::sync::Arc::new(usage::Record::open(self, &caller, &deployment, &checked).await?);
        let call = forward::Call {
            deployment: &deployment.wire,
            checked,
            usage: usage.clone(),
            slot,
        };
        let served = if deployment.wire.endpoint == deployments::ECHO
            || deployment.wire.endpoint == deployments::MODEL
        {
            builtin::serve(self, &deployment, call).await
        } else {
            forward::forward(self, call).await
        };
        if served.is_err() {
            // Nothing was delivered: the request is not billed.
            usage.discard().await;
        }
        served
    }
}

/// Turns a finished body into bytes for a response.
pub fn body_bytes(b: Vec<u8>) -> Body {
    Body::with_content(Bytes::from(b))
}
