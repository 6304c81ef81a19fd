//! An agent that answers through any OpenAI-compatible chat completions
//! endpoint. The conversation's history becomes the chat messages (user and
//! agent text, in order), the answer is streamed (`"stream": true`) and each
//! token delta becomes an artifact chunk. A backend that cannot be reached,
//! answers an error status or breaks off makes the task fail with the reason.

use futures::StreamExt as _;
use serde_json::{json, Value};

use super::{chat_role, text_of, Agent, AgentError, AgentRequest, BoxFuture, Reply, Updates};

/// Talks to a chat completions endpoint.
pub struct OpenAi {
    client: reqwest::Client,
    endpoint: String,
    model: String,
    key: Option<String>,
}

impl OpenAi {
    /// An agent for `url` (a base URL, or the full `…/chat/completions` URL),
    /// `model`, and an optional API key sent as a bearer token.
    pub fn new(url: &str, model: &str, key: Option<String>) -> Self {
        let url = url.trim_end_matches('/');
        let endpoint = if url.ends_with("/chat/completions") {
            url.to_owned()
        } else if url.ends_with("/v1") {
            format!("{url}/chat/completions")
        } else {
            format!("{url}/v1/chat/completions")
        };
        Self {
            client: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("a client with a connect timeout builds"),
            endpoint,
            model: model.to_owned(),
            key: key.filter(|k| !k.is_empty()),
        }
    }

    fn messages(request: &AgentRequest) -> Vec<Value> {
        request
            .history
            .iter()
            .chain(std::iter::once(&request.message))
            .filter_map(|m| {
                let text = text_of(&m.parts);
                (!text.is_empty()).then(|| json!({"role": chat_role(m.role), "content": text}))
            })
            .collect()
    }
}

/// The text of one streamed `data:` payload, or `None` for `[DONE]`.
fn delta(payload: &str) -> Result<Option<String>, AgentError> {
    if payload.trim() == "[DONE]" {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(payload)
        .map_err(|e| AgentError::InvalidResponse(format!("backend sent non-JSON event: {e}")))?;
    if let Some(error) = v.get("error") {
        return Err(AgentError::Backend(format!("backend error: {error}")));
    }
    Ok(Some(
        v.pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    ))
}

impl Agent for OpenAi {
    fn handle<'a>(
        &'a self,
        request: AgentRequest,
        updates: Updates,
    ) -> BoxFuture<'a, Result<Reply, AgentError>> {
        Box::pin(async move {
            let body =
                json!({"model": self.model, "messages": Self::messages(&request), "stream": true});
            let mut call = self.client.post(&self.endpoint).json(&body);
            if let Some(key) = &self.key {
                call = call.bearer_auth(key);
            }
            let response = call
                .send()
                .await
                .map_err(|e| AgentError::Backend(format!("backend unreachable: {e}")))?;
            let status = response.status();
            if !status.is_success() {
                let text = response.text().await.unwrap_or_default();
                let text: String = text.chars().take(200).collect();
                return Err(AgentError::Backend(format!(
                    "backend answered HTTP {}: {text}",
                    status.as_u16()
                )));
            }
            let mut stream = response.bytes_stream();
            let mut buffer = String::new();
            let mut answer = String::new();
            let mut canceled = request.canceled.clone();
            loop {
                let next = tokio::select! {
                    next = stream.next() => next,
                    _ = super::until_canceled(&mut canceled) => return Err(AgentError::Canceled),
                };
                let Some(bytes) = next else {
                    return Err(AgentError::Backend(
                        "backend closed the stream before [DONE]".into(),
                    ));
                };
                let bytes =
                    bytes.map_err(|e| AgentError::Backend(format!("backend stream: {e}")))?;
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find('\n') {
                    let line: String = buffer.drain(..=end).collect();
                    let Some(payload) = line.trim_end().strip_prefix("data:") else {
                        continue;
                    };
                    match delta(payload.trim_start())? {
                        None => return Ok(Reply::text(answer)),
                        Some(piece) if piece.is_empty() => {}
                        Some(piece) => {
                            answer.push_str(&piece);
                            updates.chunk(piece).await;
                        }
                    }
                }
            }
        })
    }
}
