//! Forwarding to an OpenAI-compatible backend: `POST <endpoint>/v1/chat/completions`
//! with the caller's JSON (fields the gateway does not know included), within
//! `--bitstride-backend-timeout-ms`. A JSON answer must look like a chat
//! completion (502 otherwise); it is relayed with `deployment_id` added and
//! `usage` set to what was billed. A stream (`stream: true`) is relayed chunk by
//! chunk as it arrives ([`relay`]) while its usage record follows what was
//! relayed. Unreachable backends and non-2xx answers are 502, timeouts 504.
//!
//! What is billed is the gateway's count of what it forwarded (the prompt it
//! sent, the content it relayed), or the backend's `usage` where believable
//! (see [`crate::bitstride::billing::meter`]), under the deployment's model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dropshot::Body;
use http::{Response, StatusCode};
use http_body_util::StreamBody;
use hyper::body::Frame;
use quartet_api::bitstride::{messages, Deployment, ErrorCode, ErrorEnvelope};
use serde_json::{json, Value};
use tokio::sync::mpsc::Sender;
use tokio_stream::wrappers::ReceiverStream;

use super::limits::Slot;
use super::usage::{sweeper, Record};
use super::{json_response, tokens, Checked};
use crate::bitstride::{err, Bitstride};

/// A streamed request's record is written at least this often while content flows.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// … and whenever this many completion tokens were relayed since the last write.
pub const FLUSH_TOKENS: i64 = 256;

/// One request on its way to a backend.
pub struct Call<'a> {
    /// Target.
    pub deployment: &'a Deployment,
    /// The request.
    pub checked: Checked,
    /// Its open usage record.
    pub usage: Arc<Record>,
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

/// A backend's completion, checked: the answer, what it claimed, and what the
/// gateway counted of it.
pub struct Answer {
    /// The completion as the backend sent it.
    pub body: serde_json::Map<String, Value>,
    /// Its `usage`, if any.
    pub reported: Option<Value>,
    /// The model it names, if any.
    pub model: Option<String>,
    /// Completion tokens of its messages, counted by the gateway.
    pub counted: i64,
}

/// Checks that `v` looks like a chat completion and counts its content.
pub fn check_completion(v: serde_json::Map<String, Value>) -> Result<Answer, ErrorEnvelope> {
    let choices = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(upstream)?;
    if choices.is_empty() || choices.iter().any(|c| c.get("message").is_none()) {
        return Err(upstream());
    }
    let counted: i64 = choices
        .iter()
        .filter_map(|c| c.pointer("/message/content").and_then(Value::as_str))
        .map(tokens::count)
        .sum();
    Ok(Answer {
        reported: v.get("usage").filter(|u| !u.is_null()).cloned(),
        model: v.get("model").and_then(Value::as_str).map(str::to_owned),
        body: v,
        counted,
    })
}

/// The answer as relayed: `deployment_id` added, `usage` the billed figures,
/// `model` the billed model when the backend named none.
pub fn relayed(
    mut a: Answer,
    deployment_id: &str,
    model: &str,
    (p, c): (i64, i64),
) -> serde_json::Map<String, Value> {
    a.body.insert(
        "usage".into(),
        json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}),
    );
    a.body.insert("deployment_id".into(), json!(deployment_id));
    a.body.entry("model").or_insert_with(|| json!(model));
    a.body
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

/// What a relayed stream said so far.
#[derive(Default)]
struct Scan {
    reported: Option<Value>,
    model: Option<String>,
    completion: tokens::Counter,
}

impl Scan {
    /// Reads the usage, model and content of one SSE `data:` payload.
    fn data(&mut self, data: &str) {
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return;
        };
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            self.model.get_or_insert_with(|| m.to_owned());
        }
        if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
            self.reported = Some(u.clone());
        }
        if let Some(choices) = v.get("choices").and_then(Value::as_array) {
            for c in choices {
                if let Some(t) = c.pointer("/delta/content").and_then(Value::as_str) {
                    self.completion.feed(t);
                }
            }
        }
    }
}

/// Where a relayed stream's bytes come from.
pub enum Source {
    /// A backend's streaming answer.
    Backend(reqwest::Response),
    /// Frames made in process (the built-in backends).
    Frames(std::collections::VecDeque<Bytes>),
}

impl Source {
    /// The next piece, if it comes before `until`; `None` at the end (or on a
    /// backend's failure or silence).
    async fn next(&mut self, until: tokio::time::Instant) -> Option<Bytes> {
        match self {
            Source::Backend(r) => match tokio::time::timeout_at(until, r.chunk()).await {
                Ok(Ok(Some(c))) => Some(c),
                _ => None,
            },
            Source::Frames(f) => f.pop_front(),
        }
    }
}

/// Relays `source` to the caller through `tx` as it arrives, keeping the usage
/// record in step with what was relayed: written every [`FLUSH_EVERY`] or
/// [`FLUSH_TOKENS`] while content flows (and every heartbeat while it does not),
/// closed at the end, when the backend stops, or when the caller goes away. A
/// write that fails ends the stream: nothing further is delivered unbilled.
pub async fn relay(
    mut source: Source,
    tx: Sender<Result<Frame<Bytes>, std::io::Error>>,
    usage: Arc<Record>,
    slot: Slot,
    deadline: Duration,
) {
    let _slot = slot;
    let mut scan = Scan::default();
    let mut pending: Vec<u8> = Vec::new();
    let (mut flushed_at, mut flushed) = (Instant::now(), 0);
    let mut until = tokio::time::Instant::now() + deadline;
    let mut heartbeat = tokio::time::interval_at(
        tokio::time::Instant::now() + sweeper::HEARTBEAT,
        sweeper::HEARTBEAT,
    );
    loop {
        let chunk = tokio::select! {
            _ = tx.closed() => break, // The caller went away: stop reading from the backend.
            _ = heartbeat.tick() => {
                if usage.progress(scan.completion.total()).await.is_err() {
                    return;
                }
                continue;
            }
            c = source.next(until) => match c {
                Some(c) => c,
                None => break,
            },
        };
        until = tokio::time::Instant::now() + deadline;
        if tx.send(Ok(Frame::data(chunk.clone()))).await.is_err() {
            break;
        }
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            if let Some(data) = line.trim_end().strip_prefix("data:") {
                scan.data(data.trim());
            }
        }
        let now = scan.completion.total();
        if flushed_at.elapsed() >= FLUSH_EVERY || now - flushed >= FLUSH_TOKENS {
            if usage.progress(now).await.is_err() {
                return;
            }
            (flushed_at, flushed) = (Instant::now(), now);
            heartbeat.reset();
        }
    }
    // Failures are logged; the record keeps the counts last written and is settled.
    let _ = usage
        .close(
            scan.reported.as_ref(),
            scan.model.as_deref(),
            scan.completion.total(),
        )
        .await;
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
        let answer = check_completion(v)?;
        // No answer leaves before its usage record is closed.
        let billed = call
            .usage
            .close(
                answer.reported.as_ref(),
                answer.model.as_deref(),
                answer.counted,
            )
            .await?;
        drop(call.slot);
        let v = relayed(answer, &call.deployment.id, &call.usage.model, billed);
        return Ok(json_response(StatusCode::OK, &Value::Object(v)));
    }
    if !is_sse {
        return Err(upstream());
    }
    let (tx, rx) = tokio::sync::mpsc::channel(32);
    tokio::spawn(relay(
        Source::Backend(response),
        tx,
        call.usage,
        call.slot,
        deadline,
    ));
    Ok(sse_response(rx))
}
