//! Bindu's storage: tasks (one row each, the task itself as JSON plus the
//! columns the queue and the lists need), the event log streams and webhooks
//! read, webhook configurations and their outbox, feedback, the agent's
//! identity, and used nonces. Webhook configurations (their tokens), payment
//! tokens and the agent's seed are sealed at rest ([`SEALED`]).
//!
//! Task ids are unique per owner (the caller that created the task): two
//! tenants may pick the same id without learning of each other. Every other
//! table refers to a task by its surrogate key `pk`.

use quartet_api::bindu::{PushNotificationConfig, StreamEvent, Task, TaskState};
use sqlx::{AnyConnection, Row as _};

use crate::platform::changes;
use crate::platform::sealing::SealedColumn;
use crate::platform::storage::{Backend, Db, DbError, Migration};
use crate::platform::Sealer;

/// The purpose a task's webhook configuration is sealed under (its row: the task's `pk`).
/// The outbox copies the sealed configuration as it is, for the same task.
pub const WEBHOOK_PURPOSE: &str = "bindu.webhook";
/// The purpose a payment session's token is sealed under (its row: the session id).
pub const PAYMENT_PURPOSE: &str = "bindu.payment";

/// Bindu's sealed columns.
pub const SEALED: [SealedColumn; 4] = [
    SealedColumn {
        table: "bindu_push_configs",
        key: "task_pk",
        row: "task_pk",
        column: "config",
        purpose: WEBHOOK_PURPOSE,
        bytes: false,
    },
    SealedColumn {
        table: "bindu_push_outbox",
        key: "id",
        row: "task_pk",
        column: "config",
        purpose: WEBHOOK_PURPOSE,
        bytes: false,
    },
    SealedColumn {
        table: "bindu_payment_sessions",
        key: "id",
        row: "id",
        column: "payment_token",
        purpose: PAYMENT_PURPOSE,
        bytes: false,
    },
    SealedColumn {
        table: "bindu_identity",
        key: "name",
        row: "name",
        column: "seed",
        purpose: crate::bindu::did::SEALED_PURPOSE,
        bytes: true,
    },
];

/// Opens the stored (sealed) webhook configuration of task `pk`: its JSON.
pub fn open_webhook(sealer: &Sealer, pk: i64, stored: &str) -> Result<String, DbError> {
    Ok(sealer.open_str(WEBHOOK_PURPOSE, &pk.to_string(), stored)?)
}

/// The change channel announcing task updates (payload: the task's `pk`).
pub const TASK_CHANNEL: &str = "bindu.task";
/// The change channel announcing queued work (payload: empty).
pub const QUEUE_CHANNEL: &str = "bindu.queue";

/// Schema migrations of the Bindu surface.
pub const MIGRATIONS: [Migration; 2] = [Migration {
    owner: "bindu",
    version: 1,
    sqlite: "CREATE TABLE bindu_tasks (
                 pk INTEGER PRIMARY KEY AUTOINCREMENT,
                 owner TEXT NOT NULL,
                 id TEXT NOT NULL,
                 context_id TEXT NOT NULL,
                 state TEXT NOT NULL,
                 task TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 updated_at INTEGER NOT NULL,
                 run_pending INTEGER NOT NULL DEFAULT 0,
                 claimed_by TEXT,
                 lease_until INTEGER,
                 attempts INTEGER NOT NULL DEFAULT 0,
                 UNIQUE (owner, id)
             );
             CREATE INDEX bindu_tasks_context ON bindu_tasks (owner, context_id);
             CREATE INDEX bindu_tasks_queue ON bindu_tasks (run_pending, lease_until);
             CREATE TABLE bindu_events (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 task_pk INTEGER NOT NULL,
                 event TEXT NOT NULL,
                 created_at INTEGER NOT NULL
             );
             CREATE INDEX bindu_events_task ON bindu_events (task_pk, seq);
             CREATE TABLE bindu_push_configs (
                 task_pk INTEGER PRIMARY KEY,
                 config TEXT NOT NULL
             );
             CREATE TABLE bindu_push_outbox (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 task_pk INTEGER NOT NULL,
                 event_seq INTEGER NOT NULL,
                 config TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0,
                 next_attempt_at INTEGER NOT NULL,
                 lease_until INTEGER,
                 delivered_at INTEGER,
                 failed_at INTEGER,
                 last_error TEXT
             );
             CREATE INDEX bindu_push_outbox_due ON bindu_push_outbox (delivered_at, failed_at, task_pk, id);
             CREATE TABLE bindu_feedback (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 task_pk INTEGER NOT NULL,
                 feedback TEXT NOT NULL,
                 rating INTEGER,
                 metadata TEXT,
                 created_at INTEGER NOT NULL
             );
             CREATE TABLE bindu_identity (
                 name TEXT PRIMARY KEY,
                 agent_id TEXT NOT NULL,
                 seed BLOB NOT NULL,
                 created_at INTEGER NOT NULL
             );
             CREATE TABLE bindu_nonces (
                 nonce TEXT PRIMARY KEY,
                 expires_at INTEGER NOT NULL
             );
             CREATE TABLE bindu_payment_sessions (
                 id TEXT PRIMARY KEY,
                 status TEXT NOT NULL,
                 payment_token TEXT,
                 error TEXT,
                 created_at INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL
             );",
    postgres: "CREATE TABLE bindu_tasks (
                   pk BIGSERIAL PRIMARY KEY,
                   owner TEXT NOT NULL,
                   id TEXT NOT NULL,
                   context_id TEXT NOT NULL,
                   state TEXT NOT NULL,
                   task TEXT NOT NULL,
                   created_at BIGINT NOT NULL,
                   updated_at BIGINT NOT NULL,
                   run_pending BIGINT NOT NULL DEFAULT 0,
                   claimed_by TEXT,
                   lease_until BIGINT,
                   attempts BIGINT NOT NULL DEFAULT 0,
                   UNIQUE (owner, id)
               );
               CREATE INDEX bindu_tasks_context ON bindu_tasks (owner, context_id);
               CREATE INDEX bindu_tasks_queue ON bindu_tasks (run_pending, lease_until);
               CREATE TABLE bindu_events (
                   seq BIGSERIAL PRIMARY KEY,
                   task_pk BIGINT NOT NULL,
                   event TEXT NOT NULL,
                   created_at BIGINT NOT NULL
               );
               CREATE INDEX bindu_events_task ON bindu_events (task_pk, seq);
               CREATE TABLE bindu_push_configs (
                   task_pk BIGINT PRIMARY KEY,
                   config TEXT NOT NULL
               );
               CREATE TABLE bindu_push_outbox (
                   id BIGSERIAL PRIMARY KEY,
                   task_pk BIGINT NOT NULL,
                   event_seq BIGINT NOT NULL,
                   config TEXT NOT NULL,
                   attempts BIGINT NOT NULL DEFAULT 0,
                   next_attempt_at BIGINT NOT NULL,
                   lease_until BIGINT,
                   delivered_at BIGINT,
                   failed_at BIGINT,
                   last_error TEXT
               );
               CREATE INDEX bindu_push_outbox_due ON bindu_push_outbox (delivered_at, failed_at, task_pk, id);
               CREATE TABLE bindu_feedback (
                   id BIGSERIAL PRIMARY KEY,
                   task_pk BIGINT NOT NULL,
                   feedback TEXT NOT NULL,
                   rating BIGINT,
                   metadata TEXT,
                   created_at BIGINT NOT NULL
               );
               CREATE TABLE bindu_identity (
                   name TEXT PRIMARY KEY,
                   agent_id TEXT NOT NULL,
                   seed BYTEA NOT NULL,
                   created_at BIGINT NOT NULL
               );
               CREATE TABLE bindu_nonces (
                   nonce TEXT PRIMARY KEY,
                   expires_at BIGINT NOT NULL
               );
               CREATE TABLE bindu_payment_sessions (
                   id TEXT PRIMARY KEY,
                   status TEXT NOT NULL,
                   payment_token TEXT,
                   error TEXT,
                   created_at BIGINT NOT NULL,
                   expires_at BIGINT NOT NULL
               );",
},
// Paid messages: a task is held (never claimed) while its payment settles, with
// what it was before a paid continuation; payment sessions keep the SHA-256 of
// the secret that reads their token.
Migration::portable(
    "bindu",
    2,
    "ALTER TABLE bindu_tasks ADD COLUMN payment_hold TEXT;
     ALTER TABLE bindu_tasks ADD COLUMN payment_prior TEXT;
     ALTER TABLE bindu_payment_sessions ADD COLUMN secret_hash TEXT;",
)];

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The wire name of a state (`input-required`).
pub fn state_name(state: TaskState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored task with its queue columns.
#[derive(Debug, Clone)]
pub struct StoredTask {
    /// Surrogate key.
    pub pk: i64,
    /// The caller that created it.
    pub owner: String,
    /// The task.
    pub task: Task,
    /// Whether a worker should run the agent on it.
    pub run_pending: bool,
    /// How many times a worker claimed it for its current run.
    pub attempts: i64,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("{what}: {e}"))
}

fn task_from_row(row: &sqlx::any::AnyRow) -> Result<StoredTask, DbError> {
    let json: String = row.try_get("task")?;
    Ok(StoredTask {
        pk: row.try_get("pk")?,
        owner: row.try_get("owner")?,
        task: serde_json::from_str(&json).map_err(|e| corrupt("stored task", e))?,
        run_pending: row.try_get::<i64, _>("run_pending")? != 0,
        attempts: row.try_get("attempts")?,
    })
}

const TASK_COLUMNS: &str = "pk, owner, task, run_pending, attempts";

/// Reads the task `id` of `owner` (locked for update on PostgreSQL when `lock`).
pub async fn load(
    conn: &mut AnyConnection,
    backend: Backend,
    owner: &str,
    id: &str,
    lock: bool,
) -> Result<Option<StoredTask>, DbError> {
    let lock = if lock { backend.for_update() } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLUMNS} FROM bindu_tasks WHERE owner = $1 AND id = $2{lock}"
    )))
    .bind(owner)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(task_from_row).transpose()
}

/// Reads the task with surrogate key `pk` (locked for update on PostgreSQL when `lock`).
pub async fn load_pk(
    conn: &mut AnyConnection,
    backend: Backend,
    pk: i64,
    lock: bool,
) -> Result<Option<StoredTask>, DbError> {
    let lock = if lock { backend.for_update() } else { "" };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK_COLUMNS} FROM bindu_tasks WHERE pk = $1{lock}"
    )))
    .bind(pk)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(task_from_row).transpose()
}

fn task_json(task: &Task) -> Result<String, DbError> {
    serde_json::to_string(task).map_err(|e| corrupt("serialising a task", e))
}

/// Stores a new task; returns its `pk`.
pub async fn insert(
    conn: &mut AnyConnection,
    owner: &str,
    task: &Task,
    run_pending: bool,
) -> Result<i64, DbError> {
    let now = now_ms();
    let pk: i64 = sqlx::query_scalar(
        "INSERT INTO bindu_tasks (owner, id, context_id, state, task, created_at, updated_at, run_pending)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING pk",
    )
    .bind(owner)
    .bind(&task.id)
    .bind(&task.context_id)
    .bind(state_name(task.status.state))
    .bind(task_json(task)?)
    .bind(now)
    .bind(i64::from(run_pending))
    .fetch_one(&mut *conn)
    .await?;
    Ok(pk)
}

/// How an update changes the queue columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Leave them as they are.
    Keep,
    /// A new run is due: queued, unclaimed, attempts reset.
    Enqueue,
    /// No run is due any more: released.
    Done,
}

/// Rewrites a task.
pub async fn update(
    conn: &mut AnyConnection,
    pk: i64,
    task: &Task,
    queue: Queue,
) -> Result<(), DbError> {
    let queue_sql = match queue {
        Queue::Keep => "",
        Queue::Enqueue => ", run_pending = 1, claimed_by = NULL, lease_until = NULL, attempts = 0",
        Queue::Done => ", run_pending = 0, claimed_by = NULL, lease_until = NULL",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE bindu_tasks SET state = $1, task = $2, updated_at = $3{queue_sql} WHERE pk = $4"
    )))
    .bind(state_name(task.status.state))
    .bind(task_json(task)?)
    .bind(now_ms())
    .bind(pk)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends `event` to the task's log, queues it for the task's webhook if it has
/// one, and announces the change; returns the event's sequence number.
pub async fn append_event(
    conn: &mut AnyConnection,
    backend: Backend,
    pk: i64,
    event: &StreamEvent,
) -> Result<i64, DbError> {
    let json = serde_json::to_string(event).map_err(|e| corrupt("serialising an event", e))?;
    let now = now_ms();
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO bindu_events (task_pk, event, created_at) VALUES ($1, $2, $3) RETURNING seq",
    )
    .bind(pk)
    .bind(json)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO bindu_push_outbox (task_pk, event_seq, config, next_attempt_at)
         SELECT task_pk, $1, config, $2 FROM bindu_push_configs WHERE task_pk = $3",
    )
    .bind(seq)
    .bind(now)
    .bind(pk)
    .execute(&mut *conn)
    .await?;
    changes::publish(conn, backend, TASK_CHANNEL, &pk.to_string()).await?;
    Ok(seq)
}

/// The events of task `pk` after sequence number `after`, oldest first.
pub async fn events_after(
    db: &Db,
    pk: i64,
    after: i64,
) -> Result<Vec<(i64, StreamEvent)>, DbError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seq, event FROM bindu_events WHERE task_pk = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(pk)
    .bind(after)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    rows.into_iter()
        .map(|(seq, e)| {
            Ok((
                seq,
                serde_json::from_str(&e).map_err(|e| corrupt("stored event", e))?,
            ))
        })
        .collect()
}

/// The latest sequence number of task `pk`'s events (0 when it has none).
pub async fn last_event(db: &Db, pk: i64) -> Result<i64, DbError> {
    let seq: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM bindu_events WHERE task_pk = $1")
            .bind(pk)
            .fetch_one(&mut *db.conn().await?)
            .await?;
    Ok(seq.unwrap_or(0))
}

/// The caller's tasks, newest first, at most `limit`.
pub async fn list(db: &Db, owner: &str, limit: i64) -> Result<Vec<Task>, DbError> {
    let rows = sqlx::query(
        "SELECT pk, owner, task, run_pending, attempts FROM bindu_tasks WHERE owner = $1
         ORDER BY created_at DESC, pk DESC LIMIT $2",
    )
    .bind(owner)
    .bind(limit)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    rows.iter()
        .map(|r| task_from_row(r).map(|t| t.task))
        .collect()
}

/// Every task of one context of `owner`, oldest first.
pub async fn context_tasks(
    conn: &mut AnyConnection,
    owner: &str,
    context_id: &str,
) -> Result<Vec<StoredTask>, DbError> {
    let rows = sqlx::query(
        "SELECT pk, owner, task, run_pending, attempts FROM bindu_tasks
         WHERE owner = $1 AND context_id = $2 ORDER BY created_at, pk",
    )
    .bind(owner)
    .bind(context_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(task_from_row).collect()
}

/// The caller's contexts, most recently started first, with their task ids
/// oldest first: `(context_id, task_ids)`.
pub async fn contexts(
    db: &Db,
    owner: &str,
    limit: i64,
) -> Result<Vec<(String, Vec<String>)>, DbError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT context_id, id FROM bindu_tasks WHERE owner = $1 ORDER BY created_at, pk",
    )
    .bind(owner)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (context, id) in rows {
        match out.iter_mut().find(|(c, _)| *c == context) {
            Some((_, ids)) => ids.push(id),
            None => out.push((context, vec![id])),
        }
    }
    out.reverse();
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// Deletes tasks (by `pk`) and everything that refers to them.
pub async fn delete_tasks(conn: &mut AnyConnection, pks: &[i64]) -> Result<(), DbError> {
    for pk in pks {
        for table in [
            "DELETE FROM bindu_events WHERE task_pk = $1",
            "DELETE FROM bindu_push_configs WHERE task_pk = $1",
            "DELETE FROM bindu_push_outbox WHERE task_pk = $1",
            "DELETE FROM bindu_feedback WHERE task_pk = $1",
            "DELETE FROM bindu_tasks WHERE pk = $1",
        ] {
            sqlx::query(table).bind(pk).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Records feedback on task `pk`.
pub async fn insert_feedback(
    db: &Db,
    pk: i64,
    feedback: &str,
    rating: Option<i64>,
    metadata: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bindu_feedback (task_pk, feedback, rating, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(pk)
    .bind(feedback)
    .bind(rating)
    .bind(metadata)
    .bind(now_ms())
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// The webhook of task `pk`.
pub async fn push_config(
    db: &Db,
    sealer: &Sealer,
    pk: i64,
) -> Result<Option<PushNotificationConfig>, DbError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT config FROM bindu_push_configs WHERE task_pk = $1")
            .bind(pk)
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    stored
        .map(|s| {
            let json = open_webhook(sealer, pk, &s)?;
            serde_json::from_str(&json).map_err(|e| corrupt("stored webhook", e))
        })
        .transpose()
}

/// Sets (replaces) the webhook of task `pk`.
pub async fn set_push_config(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    pk: i64,
    config: &PushNotificationConfig,
) -> Result<(), DbError> {
    let json = serde_json::to_string(config).map_err(|e| corrupt("serialising a webhook", e))?;
    let json = sealer.seal_str(WEBHOOK_PURPOSE, &pk.to_string(), &json);
    sqlx::query("DELETE FROM bindu_push_configs WHERE task_pk = $1")
        .bind(pk)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO bindu_push_configs (task_pk, config) VALUES ($1, $2)")
        .bind(pk)
        .bind(json)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Removes the webhook of task `pk` (pending deliveries still go out).
pub async fn delete_push_config(db: &Db, pk: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bindu_push_configs WHERE task_pk = $1")
        .bind(pk)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}

/// How many tasks wait or run (for negotiation's load and the metrics).
pub async fn active_count(db: &Db) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM bindu_tasks WHERE state IN ('submitted', 'working')",
    )
    .fetch_one(&mut *db.conn().await?)
    .await?)
}

/// Reserves `nonce` until `expires_at` (Unix seconds), atomically across
/// instances; `false` if it is reserved or spent already. Expired nonces are
/// forgotten first. A reservation whose payment settles stays (the nonce is
/// spent); one whose payment does not is dropped with [`release_nonce`].
pub async fn reserve_nonce(db: &Db, nonce: &str, expires_at: i64) -> Result<bool, DbError> {
    let mut conn = db.conn().await?;
    sqlx::query("DELETE FROM bindu_nonces WHERE expires_at < $1")
        .bind(crate::platform::storage::now())
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("INSERT INTO bindu_nonces (nonce, expires_at) VALUES ($1, $2)")
        .bind(nonce)
        .bind(expires_at)
        .execute(&mut *conn)
        .await;
    match done {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = DbError::from(e);
            if e.is_unique_violation() {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Drops the reservation of `nonce` (its payment did not settle).
pub async fn release_nonce(db: &Db, nonce: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bindu_nonces WHERE nonce = $1")
        .bind(nonce)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}

/// Marks task `pk` as held for the payment with `nonce`: workers do not claim it
/// until [`clear_hold`]. `prior` is what a paid continuation changed (JSON), to
/// put back if the payment fails.
pub async fn set_hold(
    conn: &mut AnyConnection,
    pk: i64,
    nonce: &str,
    prior: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE bindu_tasks SET payment_hold = $1, payment_prior = $2 WHERE pk = $3")
        .bind(nonce)
        .bind(prior)
        .bind(pk)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The hold of task `pk` when it is still the one of `nonce`: what the paid
/// continuation changed (`None` for a new task), or `Err(())` when the task is
/// gone or held for another payment.
pub async fn hold(
    conn: &mut AnyConnection,
    pk: i64,
    nonce: &str,
) -> Result<Result<Option<String>, ()>, DbError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT payment_hold, payment_prior FROM bindu_tasks WHERE pk = $1")
            .bind(pk)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match row {
        Some((Some(held), prior)) if held == nonce => Ok(prior),
        _ => Err(()),
    })
}

/// Lifts the hold of task `pk`.
pub async fn clear_hold(conn: &mut AnyConnection, pk: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE bindu_tasks SET payment_hold = NULL, payment_prior = NULL WHERE pk = $1")
        .bind(pk)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a pending payment session `id`, created at `created_at`, until
/// `expires_at`, read with the secret whose SHA-256 is `secret_hash`.
pub async fn insert_payment_session(
    db: &Db,
    id: &str,
    secret_hash: &str,
    created_at: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bindu_payment_sessions (id, status, secret_hash, created_at, expires_at) VALUES ($1, 'pending', $2, $3, $4)",
    )
    .bind(id)
    .bind(secret_hash)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Completes pending, unexpired payment session `id` with `token`, sealed (a
/// session completed or expired meanwhile is left as it is). The only write of
/// `payment_token`.
pub async fn complete_payment_session(
    db: &Db,
    sealer: &Sealer,
    id: &str,
    token: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bindu_payment_sessions SET status = 'completed', payment_token = $1 WHERE id = $2 AND status = 'pending' AND expires_at >= $3",
    )
    .bind(sealer.seal_str(PAYMENT_PURPOSE, id, token))
    .bind(id)
    .bind(now)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// A stored payment session, without its token.
#[derive(Debug, Clone)]
pub struct PaymentSessionRow {
    /// `pending`, `completed`, `failed` or `expired`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
    /// SHA-256 (hex) of the secret that reads its token (`None`: no secret reads it).
    pub secret_hash: Option<String>,
}

/// The payment session `id`, without its token.
pub async fn payment_session(db: &Db, id: &str) -> Result<Option<PaymentSessionRow>, DbError> {
    let row: Option<(String, Option<String>, i64, Option<String>)> = sqlx::query_as(
        "SELECT status, error, expires_at, secret_hash FROM bindu_payment_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    Ok(row.map(
        |(status, error, expires_at, secret_hash)| PaymentSessionRow {
            status,
            error,
            expires_at,
            secret_hash,
        },
    ))
}

/// The `payment_token` of payment session `id`, opened (the only read of it).
pub async fn payment_token(db: &Db, sealer: &Sealer, id: &str) -> Result<Option<String>, DbError> {
    let token: Option<Option<String>> =
        sqlx::query_scalar("SELECT payment_token FROM bindu_payment_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    Ok(token
        .flatten()
        .map(|t| sealer.open_str(PAYMENT_PURPOSE, id, &t))
        .transpose()?)
}
