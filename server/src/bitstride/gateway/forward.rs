//! Forwarding to an OpenAI-compatible backend: `POST <endpoint>/v1/chat/completions`
//! with the caller's JSON (fields the gateway does not know included), within
//! `--bitstride-backend-timeout-ms`. A JSON answer must look like a chat
//! completion (502 otherwise); it is relayed with `deployment_id` added and a
//! `usage` counted when the backend gave none. A stream (`stream: true`) is
//! relayed chunk by chunk as it arrives; its usage comes from the last chunk's
//! `usage` when the backend sends one, else from counting the deltas.
//! Unreachable backends and non-2xx answers are 502, timeouts 504.

use std::time::Duration;

use bytes::Bytes;
use dropshot::Body;
use http::{Response, StatusCode};
use http_body_util::StreamBody;
use hyper::body::Frame;
use quartet_api::bitstride::{messages, Deployment, ErrorCode, ErrorEnvelope};
use serde_json::{json, Value};
use tokio_stream::wrappers::ReceiverStream;

use super::limits::Slot;
use super::{json_response, tokens, Checked};
use crate::bitstride::metrics::Metrics;
use crate::bitstride::{billing, err, Bitstride};
use crate::platform::Db;

/// Where a request's usage is recorded.
pub struct UsageSink {
    /// The database.
    pub db: Db,
    /// Process counters.
    pub metrics: Metrics,
    /// Caller's organization.
    pub org_id: String,
    /// Deployment.
    pub deployment_id: String,
    /// API key, if one was used.
    pub credential_id: Option<String>,
}

impl UsageSink {
    /// Records one completion.
    pub async fn record(&self, model: &str, input: i64, output: i64) {
        self.metrics.tokens(input, output);
        let _ = billing::record_inference(
            &self.db,
            &self.org_id,
            model,
            &self.deployment_id,
            self.credential_id.as_deref(),
            input,
            output,
        )
        .await;
    }
}

/// One request on its way to a backend.
pub struct Call<'a> {
    /// Target.
    pub deployment: &'a Deployment,
    /// The request.
    pub checked: Checked,
    /// Usage recording.
    pub usage: UsageSink,
    /// Concurrency slot, held until the answer is complete.
    pub slot: Slot,
}

fn upstream() -> ErrorEnvelope {
    err(ErrorCode::UpstreamError, messages::BACKEND_FAILED)
}

fn timeout() -> ErrorEnvelope {
    err(ErrorCode::UpstreamTimeout, messages::BACKEND_TIMEOUT)
}

/// Prompt tokens of a request, counted.
pub fn prompt_tokens(checked: &Checked) -> i64 {
    checked
        .request
        .messages
        .iter()
        .map(|m| tokens::count(&m.content) + 3)
        .sum()
}

/// Adds `deployment_id` and, if missing, `usage` to a backend's completion;
/// returns it with `(model, prompt, completion)` tokens.
pub fn finish_completion(
    mut v: serde_json::Map<String, Value>,
    deployment_id: &str,
    checked: &Checked,
) -> Result<(serde_json::Map<String, Value>, String, i64, i64), ErrorEnvelope> {
    let choices = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(upstream)?;
    if choices.is_empty() || choices.iter().any(|c| c.get("message").is_none()) {
        return Err(upstream());
    }
    let model = v
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| checked.request.model.clone())
        .unwrap_or_default();
    let counted_out: i64 = choices
        .iter()
        .filter_map(|c| c.pointer("/message/content").and_then(Value::as_str))
        .map(tokens::count)
        .sum();
    let usage = v.get("usage").cloned().unwrap_or(Value::Null);
    let prompt = usage.get("prompt_tokens").and_then(Value::as_i64);
    let completion = usage.get("completion_tokens").and_then(Value::as_i64);
    let (prompt, completion) = match (prompt, completion) {
        (Some(p), Some(c)) if p >= 0 && c >= 0 => (p, c),
        _ => {
            let (p, c) = (prompt_tokens(checked), counted_out);
            v.insert(
                "usage".into(),
                json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}),
            );
            (p, c)
        }
    };
    v.insert("deployment_id".into(), json!(deployment_id));
    v.entry("model").or_insert_with(|| json!(model));
    Ok((v, model, prompt, completion))
}

/// Server-sent events as a streaming response, fed by `rx`.
pub fn sse_response(
    rx: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "text/event-stream")
        .header(http::header::CACHE_CONTROL, "no-cache")
        .body(Body::wrap(StreamBody::new(ReceiverStream::new(rx))))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Reads the usage and the content of one SSE `data:` payload.
fn scan_chunk(
    data: &str,
    usage: &mut Option<(i64, i64)>,
    text: &mut String,
    model: &mut Option<String>,
) {
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return;
    };
    if let Some(m) = v.get("model").and_then(Value::as_str) {
        model.get_or_insert_with(|| m.to_owned());
    }
    if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
        if let (Some(p), Some(c)) = (
            u.get("prompt_tokens").and_then(Value::as_i64),
            u.get("completion_tokens").and_then(Value::as_i64),
        ) {
            *usage = Some((p, c));
        }
    }
    if let Some(choices) = v.get("choices").and_then(Value::as_array) {
        for c in choices {
            if let Some(t) = c.pointer("/delta/content").and_then(Value::as_str) {
                text.push_str(t);
            }
        }
    }
}

/// Sends the call to its backend.
pub async fn forward(ctx: &Bitstride, call: Call<'_>) -> Result<Response<Body>, ErrorEnvelope> {
    let target = format!(
        "{}/v1/chat/completions",
        call.deployment.endpoint.trim_end_matches('/')
    );
    let stream = call.checked.request.stream == Some(true);
    let deadline = Duration::from_millis(ctx.config.bitstride_backend_timeout_ms);
    // An address the policy refuses (now, or when the name is resolved) is a 502.
    let request = ctx
        .backends
        .post(&target)
        .map_err(|_| upstream())?
        .header(
            http::header::ACCEPT,
            if stream {
                "text/event-stream"
            } else {
                "application/json"
            },
        )
        .json(&call.checked.raw);
    let sent = tokio::time::timeout(deadline, request.send()).await;
    let response = match sent {
        Err(_) => return Err(timeout()),
        Ok(Err(e)) if e.is_timeout() => return Err(timeout()),
        Ok(Err(_)) => return Err(upstream()),
        Ok(Ok(r)) => r,
    };
    if !response.status().is_success() {
        return Err(upstream());
    }
    let is_sse = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if !stream {
        let body = match tokio::time::timeout(deadline, response.bytes()).await {
            Err(_) => return Err(timeout()),
            Ok(Err(_)) => return Err(upstream()),
            Ok(Ok(b)) => b,
        };
        let Ok(Value::Object(v)) = serde_json::from_slice::<Value>(&body) else {
            return Err(upstream());
        };
        let (v, model, p, c) = finish_completion(v, &call.deployment.id, &call.checked)?;
        call.usage.record(&model, p, c).await;
        drop(call.slot);
        return Ok(json_response(StatusCode::OK, &Value::Object(v)));
    }
    if !is_sse {
        return Err(upstream());
    }
    let (tx, rx) = tokio::sync::mpsc::channel(32);
    let Call {
        checked,
        usage,
        slot,
        ..
    } = call;
    let prompt = prompt_tokens(&checked);
    let requested_model = checked.request.model.clone();
    let mut upstream_body = response;
    tokio::spawn(async move {
        let _slot = slot;
        let (mut reported, mut text, mut model) = (None, String::new(), None);
        let mut pending = String::new();
        loop {
            let chunk = match tokio::time::timeout(deadline, upstream_body.chunk()).await {
                Ok(Ok(Some(c))) => c,
                _ => break,
            };
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                if let Some(data) = line.trim_end().strip_prefix("data:") {
                    scan_chunk(data.trim(), &mut reported, &mut text, &mut model);
                }
            }
            if tx.send(Ok(Frame::data(chunk))).await.is_err() {
                break; // The caller went away: stop reading from the backend.
            }
        }
        let (p, c) = reported.unwrap_or((prompt, tokens::count(&text)));
        let model = model.or(requested_model).unwrap_or_default();
        usage.record(&model, p, c).await;
    });
    Ok(sse_response(rx))
}
