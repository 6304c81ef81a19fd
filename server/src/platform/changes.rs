//! Change notifications between processes and instances: "something in
//! channel X changed" (a client revoked, a key rotated, a task updated),
//! delivered to every subscriber of every process on the same database.
//!
//! A change is a row in `platform_changes`, written in the writer's own
//! transaction, so it is announced exactly when the change commits. Each serving
//! process runs one reader that follows the table and broadcasts new rows to
//! in-process subscribers. On PostgreSQL a `NOTIFY` wakes the readers at once;
//! on SQLite (where other processes, such as `quartet admin`, cannot signal) and
//! as a safety net on PostgreSQL the table is also polled, so a change is seen
//! within [`POLL_INTERVAL`] at worst.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use slog::Logger;
use sqlx::AnyConnection;
use tokio::sync::broadcast;

use super::storage::{now, Backend, Db, DbError, Migration};

/// The changes table.
pub const MIGRATIONS: [Migration; 1] = [Migration {
    owner: "changes",
    version: 1,
    sqlite: "CREATE TABLE platform_changes (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 channel TEXT NOT NULL,
                 payload TEXT NOT NULL,
                 created_at INTEGER NOT NULL
             );",
    postgres: "CREATE TABLE platform_changes (
                   seq BIGSERIAL PRIMARY KEY,
                   channel TEXT NOT NULL,
                   payload TEXT NOT NULL,
                   created_at BIGINT NOT NULL
               );",
}];

/// The PostgreSQL notification channel that wakes readers.
const PG_CHANNEL: &str = "quartet_changes";

/// How often the table is read when no notification arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Rows older than this are final: a transaction still open after it is not waited for.
const SETTLE_SECS: i64 = 10;

/// How long rows are kept.
const KEEP_SECS: i64 = 3600;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed (`oauth.clients`, `bindu.task`…).
    pub channel: String,
    /// Which one, or what (an id, say).
    pub payload: String,
}

/// Records a change on `conn`, inside the caller's transaction if it has one.
pub async fn publish(
    conn: &mut AnyConnection,
    backend: Backend,
    channel: &str,
    payload: &str,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO platform_changes (channel, payload, created_at) VALUES ($1, $2, $3)")
        .bind(channel)
        .bind(payload)
        .bind(now())
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Postgres {
        // Delivered at commit, and only if the transaction commits.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(PG_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Db {
    /// Records a change in a statement of its own.
    pub async fn publish(&self, channel: &str, payload: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        publish(&mut conn, self.backend(), channel, payload).await
    }
}

/// The reader of one serving process, and its subscribers.
pub struct Changes {
    sender: broadcast::Sender<Change>,
    /// Set once the reader knows where the table ends: every change committed after
    /// that is delivered.
    live: Arc<AtomicBool>,
}

impl Changes {
    /// Starts following the changes of `db` (from now on).
    pub fn start(db: Db, log: Logger) -> Arc<Self> {
        let (sender, _) = broadcast::channel(1024);
        let changes = Arc::new(Self {
            sender,
            live: Arc::new(AtomicBool::new(false)),
        });
        let reader = Reader {
            db,
            sender: changes.sender.clone(),
            live: changes.live.clone(),
            floor: None,
            seen: BTreeSet::new(),
            log,
        };
        tokio::spawn(reader.run());
        changes
    }

    /// A receiver of every change published from now on. A receiver that falls far
    /// behind gets `Lagged` and should reload what it caches.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Whether the reader has started: from then on every committed change reaches
    /// subscribers (until then, a change may be taken as already seen).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }
}

struct Reader {
    db: Db,
    sender: broadcast::Sender<Change>,
    /// Every row at or below it has been delivered or will never be; `None` until
    /// the first read (which starts at the end of the table).
    floor: Option<i64>,
    /// Rows above the floor already delivered.
    seen: BTreeSet<i64>,
    live: Arc<AtomicBool>,
    log: Logger,
}

impl Reader {
    async fn run(mut self) {
        let mut listener = None;
        let mut last_prune = 0;
        loop {
            if listener.is_none() {
                listener = self.listen().await;
            }
            if let Err(e) = self.read().await {
                if !e.is_unavailable() {
                    slog::warn!(self.log, "reading changes failed"; "error" => %e);
                }
            }
            if now() - last_prune > 60 {
                last_prune = now();
                let _ = self.prune().await;
            }
            match &mut listener {
                Some(l) => {
                    match tokio::time::timeout(POLL_INTERVAL * 20, l.recv()).await {
                        Ok(Ok(_)) | Err(_) => {}
                        // The connection broke: poll until it can be made again.
                        Ok(Err(_)) => listener = None,
                    }
                }
                None => tokio::time::sleep(POLL_INTERVAL).await,
            }
        }
    }

    /// Forgets changes older than [`KEEP_SECS`].
    async fn prune(&self) -> Result<(), DbError> {
        sqlx::query("DELETE FROM platform_changes WHERE created_at < $1")
            .bind(now() - KEEP_SECS)
            .execute(&mut *self.db.conn().await?)
            .await?;
        Ok(())
    }

    /// A `LISTEN` connection on PostgreSQL.
    async fn listen(&self) -> Option<sqlx::postgres::PgListener> {
        let url = self.db.postgres_url()?;
        let mut l = sqlx::postgres::PgListener::connect(url).await.ok()?;
        l.listen(PG_CHANNEL).await.ok()?;
        Some(l)
    }

    /// Delivers the rows not delivered yet.
    async fn read(&mut self) -> Result<(), DbError> {
        let mut conn = self.db.conn().await?;
        let floor = match self.floor {
            Some(f) => f,
            None => {
                let end: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM platform_changes")
                    .fetch_one(&mut *conn)
                    .await?;
                self.floor = Some(end.unwrap_or(0));
                self.live.store(true, Ordering::Release);
                return Ok(());
            }
        };
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT seq, channel, payload, created_at FROM platform_changes
             WHERE seq > $1 ORDER BY seq",
        )
        .bind(floor)
        .fetch_all(&mut *conn)
        .await?;
        let settled = now() - SETTLE_SECS;
        let mut new_floor = floor;
        for (seq, channel, payload, created_at) in rows {
            if self.seen.insert(seq) {
                let _ = self.sender.send(Change { channel, payload });
            }
            // Rows can commit out of sequence order (PostgreSQL); only settled rows
            // move the floor, and rows above it are read again but delivered once.
            if created_at < settled {
                new_floor = new_floor.max(seq);
            }
        }
        self.floor = Some(new_floor);
        self.seen = self.seen.split_off(&(new_floor + 1));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_published_by_another_handle_reaches_subscribers() {
        let dir = tempfile::tempdir().unwrap();
        let reader_db = Db::connect(None, dir.path(), MIGRATIONS.to_vec())
            .await
            .unwrap();
        let writer_db = Db::connect(None, dir.path(), MIGRATIONS.to_vec())
            .await
            .unwrap();
        writer_db.publish("test", "before").await.unwrap();
        let changes = Changes::start(reader_db, Logger::root(slog::Discard, slog::o!()));
        let mut rx = changes.subscribe();
        // The reader starts at the end of the table: the earlier change is not replayed.
        tokio::time::sleep(POLL_INTERVAL * 2).await;
        writer_db.publish("test", "after").await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("delivered in time")
            .unwrap();
        assert_eq!(
            got,
            Change {
                channel: "test".into(),
                payload: "after".into()
            }
        );
        assert!(
            tokio::time::timeout(POLL_INTERVAL * 4, rx.recv())
                .await
                .is_err(),
            "delivered once"
        );
    }
}
