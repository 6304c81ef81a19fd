//! Following tasks as they change: an in-process hub (fed by this process's
//! writes at once, and by the platform change feed for writes of other
//! instances) and the `text/event-stream` answers of `message/stream` and
//! `tasks/resubscribe`. Events are read from the task's event log, so a stream
//! misses nothing whichever instance ran the task; the hub only wakes it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dropshot::Body;
use http::Response;
use http_body::Frame;
use http_body_util::StreamBody;
use quartet_api::bindu::{JsonRpcId, StreamEvent, Task, EVENT_STREAM_CONTENT_TYPE};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use super::store::{self, TASK_CHANNEL};
use super::wire;
use crate::platform::changes::Changes;
use crate::platform::storage::Db;

/// How often a quiet stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Wakes whoever follows a task.
pub struct Hub {
    sender: broadcast::Sender<i64>,
}

impl Hub {
    /// A hub; with `changes`, updates made by other processes wake it too.
    pub fn new(changes: Option<Arc<Changes>>) -> Arc<Self> {
        let (sender, _) = broadcast::channel(4096);
        let hub = Arc::new(Self { sender });
        if let Some(changes) = changes {
            let mut rx = changes.subscribe();
            let forward = hub.sender.clone();
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(c) if c.channel == TASK_CHANNEL => {
                            if let Ok(pk) = c.payload.parse() {
                                let _ = forward.send(pk);
                            }
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        }
        hub
    }

    /// Task `pk` changed.
    pub fn notify(&self, pk: i64) {
        let _ = self.sender.send(pk);
    }

    /// A receiver of changed task keys.
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.sender.subscribe()
    }

    /// Waits until task `pk` may have changed (or a second passes, as a safety
    /// net); `false` once `deadline` has passed.
    pub async fn wait_for(
        &self,
        rx: &mut broadcast::Receiver<i64>,
        pk: i64,
        deadline: tokio::time::Instant,
    ) -> bool {
        let tick = (tokio::time::Instant::now() + Duration::from_secs(1)).min(deadline);
        loop {
            match tokio::time::timeout_at(tick, rx.recv()).await {
                Ok(Ok(p)) if p == pk => return true,
                Ok(Ok(_)) => continue,
                Ok(Err(_)) | Err(_) => return tokio::time::Instant::now() < deadline,
            }
        }
    }
}

/// How the events are framed.
#[derive(Debug, Clone)]
pub enum Framing {
    /// Bindu: each `data:` is the bare snake_case event.
    Bindu,
    /// A2A: each `data:` is a JSON-RPC response to request `id`, camelCase; the
    /// first one carries the task.
    A2a(JsonRpcId),
}

fn frame(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn encode(event: &StreamEvent, framing: &Framing) -> Value {
    let value = serde_json::to_value(event).unwrap_or(Value::Null);
    match framing {
        Framing::Bindu => value,
        Framing::A2a(id) => json!({"jsonrpc": "2.0", "id": id, "result": wire::to_a2a(value)}),
    }
}

fn is_final(event: &StreamEvent) -> bool {
    matches!(event, StreamEvent::StatusUpdate(s) if s.is_final)
}

/// A stream of task `pk`'s events after `after`; `first` are sent before them
/// (a resubscription's current status). Ends after a final event. A client that
/// goes away stops the stream, not the task.
pub fn respond(
    db: Db,
    hub: Arc<Hub>,
    pk: i64,
    after: i64,
    snapshot: Option<Task>,
    first: Vec<StreamEvent>,
    framing: Framing,
) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let mut changes = hub.subscribe();
        if let (Some(task), Framing::A2a(id)) = (&snapshot, &framing) {
            let task = wire::to_a2a(serde_json::to_value(task).unwrap_or(Value::Null));
            if tx
                .send(frame(&json!({"jsonrpc": "2.0", "id": id, "result": task})))
                .await
                .is_err()
            {
                return;
            }
        }
        for event in &first {
            if tx.send(frame(&encode(event, &framing))).await.is_err() {
                return;
            }
            if is_final(event) {
                return;
            }
        }
        let mut cursor = after;
        let mut quiet_since = tokio::time::Instant::now();
        loop {
            match store::events_after(&db, pk, cursor).await {
                Ok(events) => {
                    for (seq, event) in events {
                        cursor = seq;
                        quiet_since = tokio::time::Instant::now();
                        if tx.send(frame(&encode(&event, &framing))).await.is_err() {
                            return;
                        }
                        if is_final(&event) {
                            return;
                        }
                    }
                }
                // Storage is away for a moment: keep the stream, try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
            if quiet_since.elapsed() >= KEEP_ALIVE {
                quiet_since = tokio::time::Instant::now();
                if tx
                    .send(Bytes::from_static(b": keep-alive\n\n"))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let deadline = tokio::time::Instant::now() + KEEP_ALIVE;
            hub.wait_for(&mut changes, pk, deadline).await;
            if tx.is_closed() {
                return;
            }
        }
    });
    let body = StreamBody::new(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, std::convert::Infallible>(Frame::data(bytes)), rx))
    }));
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, EVENT_STREAM_CONTENT_TYPE)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .body(Body::wrap(body))
        .expect("a static response builds")
}
