//! Tasks: submitting and continuing them, reading, canceling, and the
//! lifecycle rules. Work itself happens in [`worker`], fed by the queue
//! columns of `bindu_tasks`.
//!
//! Lifecycle: `submitted → working → (input-required | auth-required) →
//! completed | failed | canceled | rejected`. A paused task is continued by a
//! message with its `taskId`; a task that is `submitted` or `working` takes the
//! message too (the agent runs again on it when the current run ends); a
//! terminal one never changes again (-32008).

pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use quartet_api::bindu::{
    ErrorCode, HistoryMessage, MessageKind, MessageSendParams, PushNotificationConfig, StreamEvent,
    Task, TaskKind, TaskState, TaskStatus, TaskStatusUpdateEvent,
};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::failure::Failure;
use super::store::{self, Queue, StoredTask, QUEUE_CHANNEL};
use super::stream::Hub;
use crate::platform::changes;
use crate::platform::storage::{Backend, Db, DbError};
use crate::platform::Sealer;

/// `2026-11-02T09:15:30.412087+00:00`: the timestamp format of task states.
pub fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

/// Whether a task in `state` waits for its caller (a stream and a blocking send stop there).
pub fn is_interrupted(state: TaskState) -> bool {
    matches!(state, TaskState::InputRequired | TaskState::AuthRequired)
}

/// A status-update event for `task`'s current status.
pub fn status_event(task: &Task, error: Option<String>) -> StreamEvent {
    let state = task.status.state;
    StreamEvent::StatusUpdate(TaskStatusUpdateEvent {
        task_id: task.id.clone(),
        context_id: task.context_id.clone(),
        status: task.status.clone(),
        is_final: state.is_terminal() || is_interrupted(state),
        error,
    })
}

/// A message the agent adds to a task: its id is generated.
pub fn agent_message(task: &Task, text: &str) -> HistoryMessage {
    HistoryMessage {
        message_id: uuid::Uuid::new_v4().to_string(),
        context_id: task.context_id.clone(),
        task_id: task.id.clone(),
        reference_task_ids: None,
        kind: MessageKind::Message,
        parts: vec![quartet_api::bindu::Part::Text(
            quartet_api::bindu::TextPart {
                text: text.to_owned(),
                metadata: None,
            },
        )],
        role: quartet_api::bindu::Role::Agent,
        metadata: None,
    }
}

/// A task just submitted: where its events start.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// Surrogate key.
    pub pk: i64,
    /// The task as stored.
    pub task: Task,
    /// Sequence number of its `submitted` event (a stream starts there).
    pub first_event: i64,
}

/// Logs the status event of `task` (row `pk`, just written) and wakes the
/// workers of every instance, in the writing transaction: what a task that
/// may now run needs, whether it was just submitted or its hold was lifted.
async fn announce(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    pk: i64,
    task: Task,
) -> Result<Submitted, DbError> {
    let first_event = store::append_event(conn, backend, pk, &status_event(&task, None)).await?;
    changes::publish(conn, backend, QUEUE_CHANNEL, "").await?;
    Ok(Submitted {
        pk,
        task,
        first_event,
    })
}

/// How a message may name a task that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownTaskId {
    /// Bindu: the caller chooses a new task's id.
    Create,
    /// A2A: `taskId` only continues existing tasks (-32001).
    Refuse,
}

/// What a held continuation changed, to put back if its payment fails.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Prior {
    /// The id of the paid message added to the history.
    message_id: String,
    /// The task's status before it.
    status: TaskStatus,
}

/// The task service.
pub struct Tasks {
    db: Db,
    /// Seals the webhooks stored with tasks.
    sealer: Sealer,
    hub: Arc<Hub>,
    wake: Arc<Notify>,
}

fn not_found(id: &str) -> Failure {
    Failure::rpc(ErrorCode::TaskNotFound, Some(json!({ "task_id": id })))
}

/// -32008 for a task in a terminal state, which never takes a message again.
fn refuse_terminal(task: &Task) -> Result<(), Failure> {
    let state = task.status.state;
    if state.is_terminal() {
        return Err(Failure::rpc(
            ErrorCode::TaskImmutable,
            Some(json!({"task_id": task.id, "state": state})),
        ));
    }
    Ok(())
}

/// -32602: a message for `task` names another context than the task's.
fn other_context(task: &Task, context_id: &str) -> Failure {
    Failure::invalid_params(format!(
        "task {} belongs to context {}, not {context_id}",
        task.id, task.context_id
    ))
}

impl Tasks {
    /// The service over `db`; `hub` tells streams about changes, `wake` the local workers.
    pub fn new(db: Db, sealer: Sealer, hub: Arc<Hub>, wake: Arc<Notify>) -> Self {
        Self {
            db,
            sealer,
            hub,
            wake,
        }
    }

    /// The sealer of stored webhooks.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The change hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Stores the message as a new task, or as the continuation of a paused
    /// one, and queues it for a worker. `push` (already validated) becomes the
    /// task's webhook. With `hold` (the nonce of a payment still to settle) the
    /// task is stored but held: no worker claims it and no event is logged until
    /// [`Tasks::release`]; [`Tasks::abort`] undoes it when the payment fails.
    pub async fn submit(
        &self,
        owner: &str,
        params: MessageSendParams,
        push: Option<PushNotificationConfig>,
        unknown: UnknownTaskId,
        hold: Option<&str>,
    ) -> Result<Submitted, Failure> {
        let backend = self.db.backend();
        let owner_s = owner.to_owned();
        let hold = hold.map(str::to_owned);
        let sealer = self.sealer.clone();
        let submitted = self
            .db
            .write(move |conn| {
                Box::pin(async move {
                    let message = params.message;
                    let existing = match &message.task_id {
                        Some(id) => store::load(conn, backend, &owner_s, id, true).await?,
                        None => None,
                    };
                    if existing.is_none() && unknown == UnknownTaskId::Refuse {
                        if let Some(id) = &message.task_id {
                            return Ok(Err(not_found(id)));
                        }
                    }
                    let context_id = match (&existing, &message.context_id) {
                        (Some(t), Some(c)) if *c != t.task.context_id => {
                            return Ok(Err(other_context(&t.task, c)));
                        }
                        (Some(t), _) => t.task.context_id.clone(),
                        (None, Some(c)) => c.clone(),
                        (None, None) => uuid::Uuid::new_v4().to_string(),
                    };
                    let task_id = message
                        .task_id
                        .clone()
                        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                    let entry = HistoryMessage {
                        message_id: message.message_id,
                        context_id: context_id.clone(),
                        task_id: task_id.clone(),
                        reference_task_ids: message.reference_task_ids,
                        kind: MessageKind::Message,
                        parts: message.parts,
                        role: message.role,
                        metadata: Some(message.metadata.unwrap_or_default()),
                    };
                    let status = TaskStatus {
                        state: TaskState::Submitted,
                        timestamp: timestamp(),
                        message: None,
                    };
                    let message_id = entry.message_id.clone();
                    let (pk, task, prior) = match existing {
                        Some(StoredTask { pk, mut task, .. }) => {
                            if let Err(refused) = refuse_terminal(&task) {
                                return Ok(Err(refused));
                            }
                            let prior = Prior {
                                message_id,
                                status: task.status.clone(),
                            };
                            task.history.get_or_insert_with(Vec::new).push(entry);
                            let interrupted = is_interrupted(task.status.state);
                            if interrupted {
                                task.status = status;
                            }
                            // A held continuation is queued when its payment settles.
                            let queue = if interrupted && hold.is_none() {
                                Queue::Enqueue
                            } else {
                                // Submitted or working: the run in progress (or about to
                                // start) is followed by another on the new message.
                                Queue::Keep
                            };
                            store::update(conn, pk, &task, queue).await?;
                            (pk, task, Some(prior))
                        }
                        None => {
                            let task = Task {
                                id: task_id,
                                context_id,
                                kind: TaskKind::Task,
                                status,
                                history: Some(vec![entry]),
                                artifacts: None,
                                metadata: params.metadata,
                            };
                            let pk = store::insert(conn, &owner_s, &task, hold.is_none()).await?;
                            (pk, task, None)
                        }
                    };
                    if let Some(config) = &push {
                        store::set_push_config(conn, &sealer, pk, config).await?;
                    }
                    if let Some(nonce) = &hold {
                        let prior = prior
                            .map(|p| serde_json::to_string(&p))
                            .transpose()
                            .map_err(|e| DbError::Corrupt(format!("serialising a hold: {e}")))?;
                        store::set_hold(conn, pk, nonce, prior.as_deref()).await?;
                        return Ok(Ok(Submitted {
                            pk,
                            task,
                            first_event: 0,
                        }));
                    }
                    Ok(Ok(announce(conn, backend, pk, task).await?))
                })
            })
            .await??;
        if submitted.first_event > 0 {
            self.hub.notify(submitted.pk);
            self.wake.notify_waiters();
        }
        Ok(submitted)
    }

    /// Lifts the hold of task `pk` (its payment with `nonce` settled): the
    /// task is queued when it waits for a run, its status event logged.
    pub async fn release(&self, pk: i64, nonce: &str) -> Result<Submitted, Failure> {
        let backend = self.db.backend();
        let nonce = nonce.to_owned();
        let released = self
            .db
            .write(move |conn| {
                Box::pin(async move {
                    if store::hold(conn, pk, &nonce).await?.is_err() {
                        return Ok(Err(Failure::rpc(ErrorCode::TaskNotFound, None)));
                    }
                    let Some(StoredTask { task, .. }) =
                        store::load_pk(conn, backend, pk, true).await?
                    else {
                        return Ok(Err(Failure::rpc(ErrorCode::TaskNotFound, None)));
                    };
                    store::clear_hold(conn, pk).await?;
                    if task.status.state == TaskState::Submitted {
                        store::update(conn, pk, &task, Queue::Enqueue).await?;
                    }
                    Ok(Ok(announce(conn, backend, pk, task).await?))
                })
            })
            .await??;
        self.hub.notify(pk);
        self.wake.notify_waiters();
        Ok(released)
    }

    /// Undoes held task `pk` (its payment with `nonce` did not settle): a new
    /// task is deleted; a continuation loses the paid message and gets back the
    /// status it had, when nothing else changed it meanwhile.
    pub async fn abort(&self, pk: i64, nonce: &str) -> Result<(), Failure> {
        let backend = self.db.backend();
        let nonce = nonce.to_owned();
        self.db
            .write(move |conn| {
                Box::pin(async move {
                    let prior = match store::hold(conn, pk, &nonce).await? {
                        Err(()) => return Ok(()),
                        Ok(None) => return store::delete_tasks(conn, &[pk]).await,
                        Ok(Some(prior)) => prior,
                    };
                    let prior: Prior = serde_json::from_str(&prior)
                        .map_err(|e| DbError::Corrupt(format!("stored hold: {e}")))?;
                    if let Some(StoredTask { mut task, .. }) =
                        store::load_pk(conn, backend, pk, true).await?
                    {
                        if let Some(history) = task.history.as_mut() {
                            if let Some(i) = history
                                .iter()
                                .rposition(|m| m.message_id == prior.message_id)
                            {
                                history.remove(i);
                            }
                        }
                        if task.status.state == TaskState::Submitted
                            && is_interrupted(prior.status.state)
                        {
                            task.status = prior.status;
                        }
                        store::update(conn, pk, &task, Queue::Keep).await?;
                    }
                    store::clear_hold(conn, pk).await
                })
            })
            .await?;
        Ok(())
    }

    /// The caller's task `id`.
    pub async fn find(&self, owner: &str, id: &str) -> Result<StoredTask, Failure> {
        let mut conn = self.db.conn().await?;
        store::load(&mut conn, self.db.backend(), owner, id, false)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Waits until task `pk` is terminal or waits for its caller, or `timeout`
    /// passes; returns it as it is then.
    pub async fn settle(&self, pk: i64, timeout: Duration) -> Result<Task, Failure> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.hub.subscribe();
        loop {
            let task = {
                let mut conn = self.db.conn().await?;
                store::load_pk(&mut conn, self.db.backend(), pk, false).await?
            };
            let Some(task) = task else {
                return Err(Failure::rpc(ErrorCode::TaskNotFound, None));
            };
            let state = task.task.status.state;
            if state.is_terminal() || is_interrupted(state) {
                return Ok(task.task);
            }
            if !self.hub.wait_for(&mut changes, pk, deadline).await {
                return Ok(task.task);
            }
        }
    }

    /// Cancels the caller's task `id` (-32002 once it is terminal).
    pub async fn cancel(&self, owner: &str, id: &str) -> Result<Task, Failure> {
        let backend = self.db.backend();
        let (owner_s, id_s) = (owner.to_owned(), id.to_owned());
        let (pk, task) = self
            .db
            .write(move |conn| {
                Box::pin(async move {
                    let Some(StoredTask { pk, mut task, .. }) =
                        store::load(conn, backend, &owner_s, &id_s, true).await?
                    else {
                        return Ok(Err(not_found(&id_s)));
                    };
                    let state = task.status.state;
                    if state.is_terminal() {
                        return Ok(Err(Failure::rpc(
                            ErrorCode::TaskNotCancelable,
                            Some(json!({"task_id": task.id, "state": state})),
                        )));
                    }
                    task.status = TaskStatus {
                        state: TaskState::Canceled,
                        timestamp: timestamp(),
                        message: None,
                    };
                    store::update(conn, pk, &task, Queue::Done).await?;
                    store::append_event(conn, backend, pk, &status_event(&task, None)).await?;
                    Ok(Ok((pk, task)))
                })
            })
            .await??;
        self.hub.notify(pk);
        Ok(task)
    }

    /// Records feedback on the caller's task `id`.
    pub async fn feedback(
        &self,
        owner: &str,
        id: &str,
        feedback: &str,
        rating: Option<i64>,
        metadata: Option<Value>,
    ) -> Result<(), Failure> {
        let found = self.find(owner, id).await?;
        store::insert_feedback(
            &self.db,
            found.pk,
            feedback,
            rating,
            metadata.map(|m| m.to_string()),
        )
        .await?;
        Ok(())
    }

    /// Deletes the caller's context and its tasks (-32021 while one is unfinished).
    pub async fn clear_context(&self, owner: &str, context_id: &str) -> Result<(), Failure> {
        let (owner_s, context_s) = (owner.to_owned(), context_id.to_owned());
        self.db
            .write(move |conn| {
                Box::pin(async move {
                    let tasks = store::context_tasks(conn, &owner_s, &context_s).await?;
                    if tasks.is_empty() {
                        return Ok(Err(Failure::rpc(
                            ErrorCode::ContextNotFound,
                            Some(json!({ "context_id": context_s })),
                        )));
                    }
                    let unfinished: Vec<&str> = tasks
                        .iter()
                        .filter(|t| !t.task.status.state.is_terminal())
                        .map(|t| t.task.id.as_str())
                        .collect();
                    if !unfinished.is_empty() {
                        return Ok(Err(Failure::rpc(
                            ErrorCode::ContextNotCancelable,
                            Some(
                                json!({"context_id": context_s, "unfinished_task_ids": unfinished}),
                            ),
                        )));
                    }
                    let pks: Vec<i64> = tasks.iter().map(|t| t.pk).collect();
                    store::delete_tasks(conn, &pks).await?;
                    Ok(Ok(()))
                })
            })
            .await?
    }
}

/// Keeps only the newest `n` history messages (`None` keeps them all).
pub fn trim_history(mut task: Task, n: Option<i64>) -> Task {
    if let (Some(n), Some(history)) = (n, task.history.as_mut()) {
        let keep = usize::try_from(n).unwrap_or(0);
        if history.len() > keep {
            history.drain(..history.len() - keep);
        }
    }
    task
}
