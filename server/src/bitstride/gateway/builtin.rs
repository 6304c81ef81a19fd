//! In-process backends: `builtin://echo` (answers with the last user message)
//! and `builtin://model` (a model the reference trainer produced, generating
//! greedily or by sampling, seeded, up to `max_tokens` bytes). Both answer in
//! the OpenAI chat-completion shape, streamed as server-sent events when asked
//! (through the same [`relay`] as a backend's stream, so their usage is
//! recorded the same way). Their usage is the gateway's count.

use bytes::Bytes;
use dropshot::Body;
use http::{Response, StatusCode};
use quartet_api::bitstride::{messages, ChatRole, ErrorCode, ErrorEnvelope};
use serde_json::{json, Value};

use super::forward::{relay, sse_response, Call, Source};
use super::{json_response, tokens};
use crate::bitstride::deployments::{Row, MODEL};
use crate::bitstride::jobs::executor::load_blob;
use crate::bitstride::jobs::reference::Model;
use crate::bitstride::store::new_id;
use crate::bitstride::{err, Bitstride};
use crate::platform::storage::now;

/// Default length of a reference-model answer, in bytes.
pub const DEFAULT_MAX_TOKENS: usize = 64;

/// Answers `call` in process.
pub async fn serve(
    ctx: &Bitstride,
    row: &Row,
    call: Call<'_>,
) -> Result<Response<Body>, ErrorEnvelope> {
    let last_user = call
        .checked
        .request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == ChatRole::User)
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let (text, finish, model_name) = if row.wire.endpoint == MODEL {
        let model_id = row.wire.model_id.clone().unwrap_or_default();
        let bytes = load_blob(ctx, &row.org_id, &model_id)
            .await
            .ok_or_else(|| err(ErrorCode::UpstreamError, messages::BACKEND_FAILED))?;
        let model: Model = serde_json::from_slice(&bytes)
            .map_err(|_| err(ErrorCode::UpstreamError, messages::BACKEND_FAILED))?;
        let max = call
            .checked
            .request
            .max_tokens
            .map_or(DEFAULT_MAX_TOKENS, |m| m.clamp(1, 4096) as usize);
        let temperature = call.checked.request.temperature.unwrap_or(0.0);
        let seed = call
            .checked
            .raw
            .get("seed")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let (text, finished) =
            tokio::task::spawn_blocking(move || model.generate(&last_user, max, temperature, seed))
                .await
                .map_err(|_| err(ErrorCode::UpstreamError, messages::BACKEND_FAILED))?;
        (text, if finished { "stop" } else { "length" }, model_id)
    } else {
        let model = call
            .checked
            .request
            .model
            .clone()
            .unwrap_or_else(|| "echo".into());
        (last_user, "stop", model)
    };
    let id = format!("chatcmpl-{}", &new_id("x")[2..]);
    let created = now();
    if call.checked.request.stream != Some(true) {
        // The answer leaves only once its usage record is closed.
        let (prompt, completion) = call.usage.close(None, None, tokens::count(&text)).await?;
        return Ok(json_response(
            StatusCode::OK,
            &json!({
                "id": id, "object": "chat.completion", "created": created, "model": model_name,
                "deployment_id": row.wire.id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
            }),
        ));
    }
    let chunk = |delta: Value, finish: Value| {
        let v = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        Bytes::from(format!("data: {v}\n\n"))
    };
    let mut frames = std::collections::VecDeque::from([chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )]);
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if c.is_whitespace() {
            frames.push_back(chunk(json!({"content": piece}), Value::Null));
            piece = String::new();
        }
    }
    if !piece.is_empty() {
        frames.push_back(chunk(json!({"content": piece}), Value::Null));
    }
    frames.push_back(chunk(json!({}), json!(finish)));
    frames.push_back(Bytes::from_static(b"data: [DONE]\n\n"));
    let (tx, rx) = tokio::sync::mpsc::channel(32);
    let deadline = std::time::Duration::from_millis(ctx.config.bitstride_backend_timeout_ms);
    tokio::spawn(relay(
        Source::Frames(frames),
        tx,
        call.usage,
        call.slot,
        deadline,
    ));
    Ok(sse_response(rx))
}
