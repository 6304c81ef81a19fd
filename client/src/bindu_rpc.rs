//! A typed client for Bindu's JSON-RPC endpoint and its event streams.
//!
//! progenitor sees `POST /` as one operation with one body; this layer gives each
//! JSON-RPC method its own call, with the generated types of `openapi/bindu.yaml`
//! for parameters and results, errors that carry the JSON-RPC code, and
//! `message/stream` / `tasks/resubscribe` as a [`Stream`](futures_core::Stream) of
//! typed events. It speaks the Bindu dialect (snake_case results, bare events).
//!
//! ```no_run
//! # async fn demo() -> Result<(), quartet_client::bindu_rpc::RpcError> {
//! use futures_util::StreamExt as _;
//! use quartet_client::bindu::types;
//! use quartet_client::bindu_rpc::AgentClient;
//!
//! let agent = AgentClient::new("http://127.0.0.1:3773", Some("<token>"));
//! let task = agent.send_message(AgentClient::text_message("hello"), false).await?;
//! let same = agent.get_task(&task.id, None).await?;
//! let mut events = agent.stream_message(AgentClient::text_message("stream me")).await?;
//! while let Some(event) = events.next().await {
//!     if let types::StreamEvent::StatusUpdateEvent(s) = event? {
//!         println!("{:?}", s.status.state);
//!     }
//! }
//! # let _ = same; Ok(())
//! # }
//! ```

use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};

use futures_core::Stream;
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::bindu::types;

/// Why a call failed.
#[derive(Debug)]
pub enum RpcError {
    /// The request could not be sent or the answer not read.
    Transport(reqwest::Error),
    /// The agent answered with a JSON-RPC error.
    Rpc {
        /// The JSON-RPC code (e.g. -32001 task not found).
        code: i64,
        /// The error message.
        message: String,
        /// The error's detail.
        data: Option<Value>,
        /// The HTTP status it came with.
        status: u16,
    },
    /// The answer is not what the method returns.
    Protocol(String),
}

impl RpcError {
    /// The JSON-RPC code, for an error the agent answered.
    pub fn code(&self) -> Option<i64> {
        match self {
            RpcError::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Transport(e) => write!(f, "transport: {e}"),
            RpcError::Rpc { code, message, .. } => write!(f, "JSON-RPC error {code}: {message}"),
            RpcError::Protocol(m) => write!(f, "unexpected answer: {m}"),
        }
    }
}

impl std::error::Error for RpcError {}

impl From<reqwest::Error> for RpcError {
    fn from(e: reqwest::Error) -> Self {
        RpcError::Transport(e)
    }
}

/// A stream of typed events.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<types::StreamEvent, RpcError>> + Send>>;

/// A Bindu agent's JSON-RPC endpoint.
pub struct AgentClient {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
    next_id: AtomicI64,
}

/// `value` without `null` members: the agent refuses explicit nulls (absent means absent).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn decode<T: DeserializeOwned>(value: Value) -> Result<T, RpcError> {
    serde_json::from_value(value).map_err(|e| RpcError::Protocol(e.to_string()))
}

fn error_of(status: u16, body: &Value) -> Option<RpcError> {
    let e = body.get("error")?;
    Some(RpcError::Rpc {
        code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        data: e.get("data").cloned(),
        status,
    })
}

impl AgentClient {
    /// A client of the agent at `base_url`, sending `token` as a bearer token when given.
    pub fn new(base_url: &str, token: Option<&str>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .build()
                .expect("a default client builds"),
            url: format!("{}/", base_url.trim_end_matches('/')),
            token: token.map(str::to_owned),
            next_id: AtomicI64::new(1),
        }
    }

    /// A user message with one text part and a fresh message id.
    pub fn text_message(text: &str) -> types::MessageSendParams {
        decode(
            json!({"message": {"messageId": format!("msg-{}", uuid::Uuid::new_v4()),
            "kind": "message", "role": "user", "parts": [{"kind": "text", "text": text}]}}),
        )
        .expect("a text message is a valid MessageSendParams")
    }

    fn request(&self, method: &str, params: Value) -> reqwest::RequestBuilder {
        let params = without_nulls(params);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut r = self
            .http
            .post(&self.url)
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Calls `method` and decodes its result.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let response = self.request(method, params).send().await?;
        let status = response.status().as_u16();
        let body: Value = response.json().await?;
        if let Some(e) = error_of(status, &body) {
            return Err(e);
        }
        decode(body.get("result").cloned().unwrap_or(Value::Null))
    }

    fn params<T: serde::Serialize>(p: &T) -> Value {
        serde_json::to_value(p).unwrap_or(Value::Null)
    }

    /// `message/send`; with `blocking`, the answer waits for the result.
    pub async fn send_message(
        &self,
        mut params: types::MessageSendParams,
        blocking: bool,
    ) -> Result<types::Task, RpcError> {
        if blocking {
            let mut c = params.configuration.clone().unwrap_or_default();
            c.blocking = Some(true);
            params.configuration = Some(c);
        }
        self.call("message/send", Self::params(&params)).await
    }

    /// `tasks/get`.
    pub async fn get_task(
        &self,
        id: &str,
        history_length: Option<i64>,
    ) -> Result<types::Task, RpcError> {
        self.call(
            "tasks/get",
            json!({"taskId": id, "historyLength": history_length}),
        )
        .await
    }

    /// `tasks/list`: the caller's newest tasks.
    pub async fn list_tasks(&self, length: Option<i64>) -> Result<Vec<types::Task>, RpcError> {
        self.call("tasks/list", json!({"length": length})).await
    }

    /// `tasks/cancel`.
    pub async fn cancel_task(&self, id: &str) -> Result<types::Task, RpcError> {
        self.call("tasks/cancel", json!({"taskId": id})).await
    }

    /// `tasks/feedback`.
    pub async fn feedback(
        &self,
        id: &str,
        feedback: &str,
        rating: Option<i64>,
    ) -> Result<types::FeedbackResult, RpcError> {
        self.call(
            "tasks/feedback",
            json!({"taskId": id, "feedback": feedback, "rating": rating}),
        )
        .await
    }

    /// `tasks/pushNotificationConfig/set`.
    pub async fn set_webhook(
        &self,
        id: &str,
        config: types::PushNotificationConfig,
    ) -> Result<types::TaskPushNotificationConfig, RpcError> {
        self.call(
            "tasks/pushNotificationConfig/set",
            json!({"taskId": id, "pushNotificationConfig": Self::params(&config)}),
        )
        .await
    }

    /// `tasks/pushNotificationConfig/get`.
    pub async fn get_webhook(
        &self,
        id: &str,
    ) -> Result<types::TaskPushNotificationConfig, RpcError> {
        self.call("tasks/pushNotificationConfig/get", json!({"taskId": id}))
            .await
    }

    /// `tasks/pushNotificationConfig/list` (one per task).
    pub async fn list_webhooks(
        &self,
        id: &str,
    ) -> Result<types::TaskPushNotificationConfig, RpcError> {
        self.call("tasks/pushNotificationConfig/list", json!({"taskId": id}))
            .await
    }

    /// `tasks/pushNotificationConfig/delete`; answers the removed webhook.
    pub async fn delete_webhook(
        &self,
        id: &str,
        config_id: &str,
    ) -> Result<types::TaskPushNotificationConfig, RpcError> {
        self.call(
            "tasks/pushNotificationConfig/delete",
            json!({"taskId": id, "pushNotificationConfigId": config_id}),
        )
        .await
    }

    /// `contexts/list`.
    pub async fn list_contexts(
        &self,
        length: Option<i64>,
    ) -> Result<Vec<types::ContextSummary>, RpcError> {
        self.call("contexts/list", json!({"length": length})).await
    }

    /// `contexts/clear`.
    pub async fn clear_context(
        &self,
        context_id: &str,
    ) -> Result<types::ContextsClearResult, RpcError> {
        self.call("contexts/clear", json!({"contextId": context_id}))
            .await
    }

    /// `message/stream`: the task's events until its final one.
    pub async fn stream_message(
        &self,
        params: types::MessageSendParams,
    ) -> Result<EventStream, RpcError> {
        self.stream("message/stream", Self::params(&params)).await
    }

    /// `tasks/resubscribe`: the task's current status, then its events.
    pub async fn resubscribe(&self, id: &str) -> Result<EventStream, RpcError> {
        self.stream("tasks/resubscribe", json!({"taskId": id}))
            .await
    }

    async fn stream(&self, method: &str, params: Value) -> Result<EventStream, RpcError> {
        let response = self.request(method, params).send().await?;
        let status = response.status().as_u16();
        let is_events = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_events {
            let body: Value = response.json().await?;
            return Err(error_of(status, &body)
                .unwrap_or_else(|| RpcError::Protocol(format!("not an event stream: {body}"))));
        }
        let bytes = response.bytes_stream();
        let events = futures_util::stream::unfold(
            (bytes, String::new()),
            |(mut bytes, mut buffer)| async move {
                loop {
                    if let Some(end) = buffer.find("\n\n") {
                        let block: String = buffer.drain(..end + 2).collect();
                        let data: Vec<&str> = block
                            .lines()
                            .filter_map(|l| l.strip_prefix("data:"))
                            .map(str::trim_start)
                            .collect();
                        if data.is_empty() {
                            continue; // a comment (keep-alive)
                        }
                        let event = serde_json::from_str::<types::StreamEvent>(&data.join("\n"))
                            .map_err(|e| RpcError::Protocol(e.to_string()));
                        return Some((event, (bytes, buffer)));
                    }
                    match bytes.next().await {
                        Some(Ok(chunk)) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
                        Some(Err(e)) => {
                            return Some((Err(RpcError::Transport(e)), (bytes, buffer)))
                        }
                        None => return None,
                    }
                }
            },
        );
        Ok(Box::pin(events))
    }
}
