//! Workers: claim a queued task, run the agent on it, store what it says.
//!
//! A claim is a lease: the worker writes its id and `lease_until` on the row
//! (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never claim the
//! same row) and renews it while the agent works. A process that dies leaves
//! an expiring lease; the task is taken up again by whichever worker comes
//! next, from the start of its run. After [`MAX_ATTEMPTS`] interrupted runs the
//! task fails instead, with the reason in its status message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quartet_api::bindu::{
    Artifact, HistoryMessage, Part, Role, StreamEvent, Task, TaskArtifactUpdateEvent, TaskState,
    TaskStatus, TextPart,
};
use serde_json::{json, Map, Value};
use slog::Logger;
use tokio::sync::{watch, Notify};

use super::{agent_message, status_event, timestamp};
use crate::bindu::agents::{
    has_text, AgentError, AgentRequest, Reply, SharedAgent, Update, Updates,
};
use crate::bindu::did::Identity;
use crate::bindu::metrics::Metrics;
use crate::bindu::store::{self, now_ms, Queue, StoredTask};
use crate::bindu::stream::Hub;
use crate::bindu::IdentityCell;
use crate::platform::storage::{Backend, Db, DbError};

/// How long a claim lasts without renewal, in milliseconds.
pub const LEASE_MS: i64 = 10_000;
/// How often a running task's lease is renewed and its state checked.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Runs of one message after which an interrupted task fails.
pub const MAX_ATTEMPTS: i64 = 3;
/// The metadata key of an artifact part's signature.
pub const SIGNATURE_KEY: &str = "did.message.signature";

/// What the workers share.
pub struct Pool {
    db: Db,
    hub: Arc<Hub>,
    agent: SharedAgent,
    identity: IdentityCell,
    wake: Arc<Notify>,
    worker_id: String,
    /// Cancel signals of the runs in this process, by task pk.
    running: Mutex<HashMap<i64, watch::Sender<bool>>>,
    metrics: Arc<Metrics>,
    log: Logger,
    alive: std::sync::atomic::AtomicUsize,
}

impl Pool {
    /// A pool; nothing runs until [`Pool::start`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        hub: Arc<Hub>,
        agent: SharedAgent,
        identity: IdentityCell,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
        log: Logger,
    ) -> Arc<Self> {
        Arc::new(Self {
            db,
            hub,
            agent,
            identity,
            wake,
            worker_id: uuid::Uuid::new_v4().to_string(),
            running: Mutex::new(HashMap::new()),
            metrics,
            log,
            alive: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Whether at least one worker loop runs.
    pub fn is_running(&self) -> bool {
        self.alive.load(std::sync::atomic::Ordering::Relaxed) > 0
    }

    /// Starts `n` worker loops. On SQLite, which one process serves, claims left
    /// by an earlier process are released first so its tasks resume at once.
    pub async fn start(self: &Arc<Self>, n: usize) {
        if self.db.backend() == Backend::Sqlite {
            let released = async {
                sqlx::query("UPDATE bindu_tasks SET lease_until = NULL, claimed_by = NULL WHERE run_pending = 1")
                    .execute(&mut *self.db.conn().await?)
                    .await?;
                Ok::<_, DbError>(())
            };
            if let Err(e) = released.await {
                slog::warn!(self.log, "could not release earlier claims"; "error" => %e);
            }
        }
        for _ in 0..n.max(1) {
            let pool = self.clone();
            pool.alive
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tokio::spawn(async move { pool.run_loop().await });
        }
    }

    /// Signals the local run of task `pk`, if any, that it was canceled.
    pub fn cancel_local(&self, pk: i64) {
        if let Some(tx) = self.running.lock().expect("not poisoned").get(&pk) {
            let _ = tx.send(true);
        }
    }

    async fn run_loop(self: Arc<Self>) {
        loop {
            // Registered before the claim, so a task queued while claiming wakes us.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.identity.get().is_none() {
                // Nothing can be signed before the identity is read.
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            match self.claim().await {
                Ok(Some(job)) => {
                    let pk = job.pk;
                    if let Err(e) = self.run(job).await {
                        slog::warn!(self.log, "task run failed"; "pk" => pk, "error" => %e);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
                Ok(None) => {
                    let _ = tokio::time::timeout(Duration::from_millis(500), notified).await;
                }
                Err(e) => {
                    if !e.is_unavailable() {
                        slog::warn!(self.log, "claiming a task failed"; "error" => %e);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// Claims the oldest queued task whose lease is free.
    async fn claim(&self) -> Result<Option<StoredTask>, DbError> {
        let backend = self.db.backend();
        let worker = self.worker_id.clone();
        self.db
            .write(move |conn| {
                Box::pin(async move {
                    let now = now_ms();
                    let skip = backend.skip_locked();
                    let pk: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT pk FROM bindu_tasks WHERE run_pending = 1 AND payment_hold IS NULL
                         AND (lease_until IS NULL OR lease_until < $1)
                         ORDER BY updated_at, pk LIMIT 1{skip}"
                    )))
                    .bind(now)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let Some(pk) = pk else { return Ok(None) };
                    sqlx::query(
                        "UPDATE bindu_tasks SET claimed_by = $1, lease_until = $2, attempts = attempts + 1
                         WHERE pk = $3",
                    )
                    .bind(&worker)
                    .bind(now + LEASE_MS)
                    .bind(pk)
                    .execute(&mut *conn)
                    .await?;
                    store::load_pk(conn, backend, pk, false).await
                })
            })
            .await
    }

    /// Runs the agent on a claimed task and stores the outcome.
    async fn run(self: &Arc<Self>, job: StoredTask) -> Result<(), DbError> {
        let pk = job.pk;
        if job.attempts > MAX_ATTEMPTS {
            let reason = format!(
                "the task was interrupted {} times (server restarts) and is not run again",
                job.attempts - 1
            );
            return self
                .finish(pk, Outcome::Reply(Reply::Failed(reason), String::new()))
                .await;
        }
        let Some(task) = self
            .transition(pk, |task| {
                if task.status.state != TaskState::Submitted
                    && task.status.state != TaskState::Working
                {
                    return None;
                }
                task.status = TaskStatus {
                    state: TaskState::Working,
                    timestamp: timestamp(),
                    message: None,
                };
                Some(vec![status_event(task, None)])
            })
            .await?
        else {
            return self.release(pk).await;
        };
        let request = self.request(&job.owner, &task).await?;
        let (cancel_tx, cancel_rx) = watch::channel(false);
        self.running
            .lock()
            .expect("not poisoned")
            .insert(pk, cancel_tx.clone());
        let heartbeat = tokio::spawn(heartbeat(
            self.db.clone(),
            pk,
            self.worker_id.clone(),
            cancel_tx,
        ));
        let artifact_id = uuid::Uuid::new_v4().to_string();
        let (updates, mut receiver) = Updates::channel();
        let agent = self.agent.clone();
        let ran = request.message.message_id.clone();
        let request = AgentRequest {
            canceled: cancel_rx,
            ..request
        };
        let mut work = tokio::spawn(async move { agent.handle(request, updates).await });
        let mut streamed = String::new();
        let mut chunks = 0usize;
        let result = loop {
            tokio::select! {
                update = receiver.recv() => match update {
                    Some(u) => self.apply(pk, u, &artifact_id, &mut streamed, &mut chunks).await?,
                    None => break (&mut work).await,
                },
                done = &mut work => {
                    while let Ok(u) = receiver.try_recv() {
                        self.apply(pk, u, &artifact_id, &mut streamed, &mut chunks).await?;
                    }
                    break done;
                }
            }
        };
        heartbeat.abort();
        self.running.lock().expect("not poisoned").remove(&pk);
        let outcome = match result {
            Ok(Ok(reply)) => Outcome::Reply(reply, streamed),
            Ok(Err(e)) => Outcome::Error(e),
            Err(e) => Outcome::Error(AgentError::Backend(format!("the agent panicked: {e}"))),
        };
        self.finish_with_artifact(pk, outcome, &artifact_id, Some(ran))
            .await
    }

    /// Builds the agent's request: the run's message, the conversation, references.
    async fn request(&self, owner: &str, task: &Task) -> Result<AgentRequest, DbError> {
        let mut conn = self.db.conn().await?;
        let message = task
            .history
            .iter()
            .flatten()
            .rev()
            .find(|m| m.role == Role::User)
            .cloned()
            .unwrap_or_else(|| agent_message(task, ""));
        let mut history: Vec<HistoryMessage> = Vec::new();
        for t in store::context_tasks(&mut conn, owner, &task.context_id).await? {
            history.extend(t.task.history.into_iter().flatten());
        }
        history.retain(|m| !(m.message_id == message.message_id && m.task_id == task.id));
        let mut references = Vec::new();
        for id in message.reference_task_ids.iter().flatten() {
            if let Some(t) = store::load(&mut conn, self.db.backend(), owner, id, false).await? {
                references.push((id.clone(), t.task.artifacts.unwrap_or_default()));
            }
        }
        let (_, canceled) = watch::channel(false);
        Ok(AgentRequest {
            task_id: task.id.clone(),
            context_id: task.context_id.clone(),
            message,
            history,
            references,
            canceled,
        })
    }

    /// Stores one update of a running task (dropped once the task has ended).
    async fn apply(
        &self,
        pk: i64,
        update: Update,
        artifact_id: &str,
        streamed: &mut String,
        chunks: &mut usize,
    ) -> Result<(), DbError> {
        let (update_c, artifact_id, seen) = (update.clone(), artifact_id.to_owned(), *chunks);
        let event = move |task: &mut Task| -> Option<Vec<StreamEvent>> {
            if task.status.state != TaskState::Working {
                return None;
            }
            Some(vec![match &update_c {
                Update::Chunk(text) => StreamEvent::ArtifactUpdate(TaskArtifactUpdateEvent {
                    task_id: task.id.clone(),
                    context_id: task.context_id.clone(),
                    artifact: Artifact {
                        artifact_id: artifact_id.clone(),
                        name: Some("result".into()),
                        description: None,
                        parts: vec![Part::Text(TextPart {
                            text: text.clone(),
                            metadata: None,
                        })],
                        metadata: None,
                    },
                    append: seen > 0,
                    last_chunk: false,
                }),
                Update::Progress(text) => {
                    task.status = TaskStatus {
                        state: TaskState::Working,
                        timestamp: timestamp(),
                        message: Some(agent_message(task, text)),
                    };
                    status_event(task, None)
                }
            }])
        };
        if self.transition(pk, event).await?.is_some() {
            if let Update::Chunk(text) = &update {
                streamed.push_str(text);
                *chunks += 1;
            }
        }
        Ok(())
    }

    async fn finish(&self, pk: i64, outcome: Outcome) -> Result<(), DbError> {
        self.finish_with_artifact(pk, outcome, &uuid::Uuid::new_v4().to_string(), None)
            .await
    }

    /// Stores how a run ended, unless the task was canceled meanwhile. When a newer
    /// message arrived during the run (not `ran`), the task is queued again for it.
    async fn finish_with_artifact(
        &self,
        pk: i64,
        outcome: Outcome,
        artifact_id: &str,
        ran: Option<String>,
    ) -> Result<(), DbError> {
        let Some(identity) = self.identity.get().cloned() else {
            return self.release(pk).await;
        };
        let artifact_id = artifact_id.to_owned();
        let finished = self
            .transition_with(pk, move |task| {
                if task.status.state.is_terminal() {
                    return None;
                }
                let newer = ran.is_some_and(|ran| {
                    task.history
                        .iter()
                        .flatten()
                        .rev()
                        .find(|m| m.role == Role::User)
                        .is_some_and(|m| m.message_id != ran)
                });
                let mut events = conclude(task, outcome, &identity, &artifact_id);
                if newer && task.status.state != TaskState::Failed {
                    task.status = TaskStatus {
                        state: TaskState::Submitted,
                        timestamp: timestamp(),
                        message: None,
                    };
                    events.push(status_event(task, None));
                    return Some((events, Queue::Enqueue));
                }
                Some((events, Queue::Done))
            })
            .await?;
        match finished {
            Some(task) => {
                let state = task.status.state;
                if state.is_terminal() {
                    let created: Option<i64> =
                        sqlx::query_scalar("SELECT created_at FROM bindu_tasks WHERE pk = $1")
                            .bind(pk)
                            .fetch_optional(&mut *self.db.conn().await?)
                            .await?;
                    let secs = created.map_or(0.0, |c| (now_ms() - c) as f64 / 1000.0);
                    self.metrics.task_finished(state, secs);
                }
                Ok(())
            }
            None => self.release(pk).await,
        }
    }

    /// Gives up the claim without changing the task.
    async fn release(&self, pk: i64) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE bindu_tasks SET claimed_by = NULL, lease_until = NULL, run_pending = 0 WHERE pk = $1 AND claimed_by = $2",
        )
        .bind(pk)
        .bind(&self.worker_id)
        .execute(&mut *self.db.conn().await?)
        .await?;
        Ok(())
    }

    /// Changes task `pk` in one transaction when `edit` says so (returning the
    /// events to log), keeping the queue columns.
    async fn transition(
        &self,
        pk: i64,
        edit: impl FnOnce(&mut Task) -> Option<Vec<StreamEvent>> + Send + 'static,
    ) -> Result<Option<Task>, DbError> {
        self.transition_queue(pk, Queue::Keep, edit).await
    }

    async fn transition_queue(
        &self,
        pk: i64,
        queue: Queue,
        edit: impl FnOnce(&mut Task) -> Option<Vec<StreamEvent>> + Send + 'static,
    ) -> Result<Option<Task>, DbError> {
        self.transition_with(pk, move |task| edit(task).map(|events| (events, queue)))
            .await
    }

    /// Like [`Pool::transition`], with `edit` also choosing the queue columns.
    async fn transition_with(
        &self,
        pk: i64,
        edit: impl FnOnce(&mut Task) -> Option<(Vec<StreamEvent>, Queue)> + Send + 'static,
    ) -> Result<Option<Task>, DbError> {
        let backend = self.db.backend();
        let changed = self
            .db
            .write(move |conn| {
                Box::pin(async move {
                    let Some(mut stored) = store::load_pk(conn, backend, pk, true).await? else {
                        return Ok(None);
                    };
                    let Some((events, queue)) = edit(&mut stored.task) else {
                        return Ok(None);
                    };
                    store::update(conn, pk, &stored.task, queue).await?;
                    for e in &events {
                        store::append_event(conn, backend, pk, e).await?;
                    }
                    Ok(Some(stored.task))
                })
            })
            .await?;
        if changed.is_some() {
            self.hub.notify(pk);
        }
        Ok(changed)
    }
}

/// How a run ended, as the worker saw it.
enum Outcome {
    /// The agent replied (with the text it streamed, if any).
    Reply(Reply, String),
    /// The agent failed.
    Error(AgentError),
}

/// A signed copy of `parts`: every text part gets its signature in metadata.
fn signed(parts: &[Part], identity: &Identity) -> Vec<Part> {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => {
                let mut metadata = t.metadata.clone().unwrap_or_else(Map::new);
                metadata.insert(SIGNATURE_KEY.into(), Value::String(identity.sign(&t.text)));
                Part::Text(TextPart {
                    text: t.text.clone(),
                    metadata: Some(metadata),
                })
            }
            other => other.clone(),
        })
        .collect()
}

/// Applies the outcome to the task; returns the events to log.
fn conclude(
    task: &mut Task,
    outcome: Outcome,
    identity: &Identity,
    artifact_id: &str,
) -> Vec<StreamEvent> {
    let (state, text, error) = match outcome {
        Outcome::Reply(Reply::Completed(mut parts), streamed) => {
            if !has_text(&parts) && !streamed.is_empty() || parts.is_empty() {
                parts.retain(|p| !matches!(p, Part::Text(_)));
                parts.insert(
                    0,
                    Part::Text(TextPart {
                        text: streamed,
                        metadata: None,
                    }),
                );
            }
            let artifact = Artifact {
                artifact_id: artifact_id.to_owned(),
                name: Some("result".into()),
                description: None,
                parts: signed(&parts, identity),
                metadata: None,
            };
            let mut reply = agent_message(task, "");
            reply.parts = parts;
            task.history.get_or_insert_with(Vec::new).push(reply);
            task.artifacts
                .get_or_insert_with(Vec::new)
                .push(artifact.clone());
            task.status = TaskStatus {
                state: TaskState::Completed,
                timestamp: timestamp(),
                message: None,
            };
            let artifact_event = StreamEvent::ArtifactUpdate(TaskArtifactUpdateEvent {
                task_id: task.id.clone(),
                context_id: task.context_id.clone(),
                artifact,
                append: false,
                last_chunk: true,
            });
            return vec![artifact_event, status_event(task, None)];
        }
        Outcome::Reply(Reply::InputRequired(q), _) => (TaskState::InputRequired, q, None),
        Outcome::Reply(Reply::AuthRequired(q), _) => (TaskState::AuthRequired, q, None),
        Outcome::Reply(Reply::Rejected(r), _) => (TaskState::Rejected, r, None),
        Outcome::Reply(Reply::Failed(r), _) => (TaskState::Failed, r.clone(), Some(r)),
        Outcome::Error(AgentError::Canceled) => {
            let r = "the agent stopped".to_owned();
            (TaskState::Failed, r.clone(), Some(r))
        }
        Outcome::Error(e) => {
            let kind = match &e {
                AgentError::InvalidResponse(_) => "invalid_agent_response",
                _ => "agent_failure",
            };
            let r = e.to_string();
            let mut metadata = task.metadata.clone().unwrap_or_default();
            metadata.insert("error_type".into(), json!(kind));
            task.metadata = Some(metadata);
            (TaskState::Failed, r.clone(), Some(r))
        }
    };
    let message = agent_message(task, &text);
    task.history
        .get_or_insert_with(Vec::new)
        .push(message.clone());
    task.status = TaskStatus {
        state,
        timestamp: timestamp(),
        message: Some(message),
    };
    vec![status_event(task, error)]
}

/// Renews the lease of task `pk` while it runs, and signals a cancellation
/// made anywhere (another instance included).
async fn heartbeat(db: Db, pk: i64, worker: String, cancel: watch::Sender<bool>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let renewed = async {
            let mut conn = db.conn().await?;
            sqlx::query(
                "UPDATE bindu_tasks SET lease_until = $1 WHERE pk = $2 AND claimed_by = $3",
            )
            .bind(now_ms() + LEASE_MS)
            .bind(pk)
            .bind(&worker)
            .execute(&mut *conn)
            .await?;
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM bindu_tasks WHERE pk = $1")
                    .bind(pk)
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok::<_, DbError>(state)
        };
        match renewed.await {
            Ok(Some(state)) if state == "working" => {}
            Ok(_) => {
                let _ = cancel.send(true);
                return;
            }
            Err(_) => {}
        }
    }
}
