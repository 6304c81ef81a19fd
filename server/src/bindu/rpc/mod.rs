//! `POST /`: the JSON-RPC request read in stages, each with its own error code
//! (authentication, JSON, envelope, method, scope, parameters), then the
//! method. The answer is built by hand: JSON with the status of the error code
//! (Bindu) or 200 (A2A), or an event stream.

mod methods;
pub mod params;

use std::sync::Arc;

use dropshot::Body;
use http::Response;
use quartet_api::bindu::{ErrorCode, JsonRpcErrorResponse, JsonRpcId, JsonRpcMethod};
use serde_json::{json, Value};

use super::config::Protocol;
use super::failure::Failure;
use super::Bindu;

/// A JSON answer with `status`.
pub fn json_response(status: u16, value: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .expect("a static response builds")
}

/// The JSON-RPC answer carrying `result` to request `id` (HTTP 200).
pub fn result_response(id: &JsonRpcId, result: &Value) -> Response<Body> {
    json_response(200, &json!({"jsonrpc": "2.0", "id": id, "result": result}))
}

/// `response` with header `name` set to `value` (left out when `value` is not a
/// valid header value).
pub fn with_header(
    mut response: Response<Body>,
    name: &'static str,
    value: &str,
) -> Response<Body> {
    if let Ok(v) = http::HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
    response
}

/// How one request ended.
pub enum Answer {
    /// A JSON-RPC result.
    Result(Value),
    /// A hand-built response (an event stream, a result with a settlement header).
    Raw(Response<Body>),
}

/// The request as far as it could be read.
struct Envelope {
    id: JsonRpcId,
    method: JsonRpcMethod,
    params: Option<Value>,
}

fn invalid_request(detail: &str) -> Failure {
    Failure::rpc(
        ErrorCode::InvalidRequest,
        Some(Value::String(detail.to_owned())),
    )
}

/// Reads the envelope; on failure, the id if one could be read.
fn envelope(value: Value, protocol: Protocol) -> Result<Envelope, (JsonRpcId, Failure)> {
    let Value::Object(mut object) = value else {
        let detail = if value.is_array() {
            "batch requests are not supported: send one request object"
        } else {
            "the request must be a JSON object"
        };
        return Err((JsonRpcId::Null, invalid_request(detail)));
    };
    let id = match object.remove("id") {
        Some(Value::String(s)) => Some(JsonRpcId::String(s)),
        Some(Value::Number(n)) if n.is_i64() => Some(JsonRpcId::Integer(n.as_i64().unwrap_or(0))),
        Some(Value::Null) => Some(JsonRpcId::Null),
        None => None,
        Some(_) => {
            return Err((
                JsonRpcId::Null,
                invalid_request("id must be a string, an integer or null"),
            ))
        }
    };
    let echo = id.clone().unwrap_or(JsonRpcId::Null);
    if object.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err((echo, invalid_request("jsonrpc must be \"2.0\"")));
    }
    let Some(Value::String(name)) = object.remove("method") else {
        return Err((echo, invalid_request("method must be a string")));
    };
    if id.is_none() && protocol == Protocol::Bindu {
        return Err((
            echo,
            invalid_request("notifications are not supported: the request needs an id"),
        ));
    }
    let Some(method) = JsonRpcMethod::from_name(&name) else {
        return Err((
            echo,
            Failure::rpc(
                ErrorCode::MethodNotFound,
                Some(Value::String(format!("unknown method: {name}"))),
            ),
        ));
    };
    let params = object.remove("params");
    if params.as_ref().is_some_and(|p| !p.is_object()) {
        return Err((echo, Failure::invalid_params("params must be an object")));
    }
    Ok(Envelope {
        id: echo,
        method,
        params,
    })
}

impl Bindu {
    /// The error answer for `failure` to request `id`.
    fn error_response(&self, id: JsonRpcId, failure: Failure) -> Response<Body> {
        self.metrics.error(&failure.error_type());
        if let Failure::PaymentRequired(body) = &failure {
            return super::payment::payment_required_response(body);
        }
        let error: JsonRpcErrorResponse = failure.response(id);
        let mut status = dropshot::HttpResponseError::status_code(&error).as_u16();
        if self.config.bindu_protocol == Protocol::A2a && !matches!(status, 401 | 403 | 503) {
            status = 200;
        }
        json_response(status, &serde_json::to_value(&error).unwrap_or(Value::Null))
    }

    /// Answers one JSON-RPC request.
    pub async fn json_rpc(
        self: &Arc<Self>,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Response<Body> {
        let caller = match self.authenticate(headers, body).await {
            Ok(c) => c,
            Err(f) => {
                let mut r = self.error_response(JsonRpcId::Null, f);
                if r.status() == 401 {
                    r.headers_mut().insert(
                        http::header::WWW_AUTHENTICATE,
                        http::HeaderValue::from_static("Bearer realm=\"bindu\""),
                    );
                }
                return r;
            }
        };
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return self.error_response(
                    JsonRpcId::Null,
                    Failure::rpc(ErrorCode::ParseError, Some(Value::String(e.to_string()))),
                )
            }
        };
        let envelope = match envelope(value, self.config.bindu_protocol) {
            Ok(e) => e,
            Err((id, f)) => return self.error_response(id, f),
        };
        if !caller.may(envelope.method) {
            return self.error_response(envelope.id, caller.refused(envelope.method));
        }
        let id = envelope.id.clone();
        match self
            .call(&caller, headers, envelope.method, envelope.params, &id)
            .await
        {
            Ok(Answer::Result(result)) => result_response(&id, &result),
            Ok(Answer::Raw(response)) => response,
            Err(f) => self.error_response(id, f),
        }
    }
}
