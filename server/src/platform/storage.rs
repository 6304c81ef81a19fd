//! Storage for every surface: one database, embedded SQLite (WAL) by default or
//! PostgreSQL for several instances, reached through sqlx's `Any` driver with
//! queries checked at run time.
//!
//! Queries are written once with `$1`-style placeholders, which both backends
//! accept; where the dialects differ (DDL, row locks, notifications) a store asks
//! [`Db::backend`]. Migrations are applied lazily and at most once: the first use
//! of the database, at start-up or later if the database was down then, applies
//! what is missing under a lock, so several instances starting together on one
//! PostgreSQL database do not race.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor as _};
use thiserror::Error;
use tokio::sync::Mutex;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file under the data directory.
    Sqlite,
    /// A PostgreSQL server, possibly shared by several instances.
    Postgres,
}

impl Backend {
    /// The name used in logs and health reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The clause that locks the rows a `SELECT` claims from a queue without waiting
    /// for rows another transaction holds (` FOR UPDATE SKIP LOCKED` on PostgreSQL).
    /// Nothing on SQLite, whose write transactions are serialised anyway.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// The clause that locks the rows a `SELECT` reads until the transaction ends
    /// (` FOR UPDATE` on PostgreSQL; nothing on SQLite, as above).
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

/// Storage failures. They never reach a client verbatim.
#[derive(Debug, Error)]
pub enum DbError {
    /// The database cannot be reached or is too busy to answer in time: a 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error: a 500.
    #[error("database: {0}")]
    Query(sqlx::Error),
    /// Stored data is not what the code expects.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database URL is not one quartet can use.
    #[error("database configuration: {0}")]
    Config(String),
}

impl DbError {
    /// Whether the failure is the database being unreachable or busy (a 503), not a bug.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }

    /// Whether the failure is a unique-constraint violation (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Query(sqlx::Error::Database(e)) => {
                e.kind() == sqlx::error::ErrorKind::UniqueViolation
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            DbError::Unavailable(e.to_string())
        } else {
            DbError::Query(e)
        }
    }
}

/// Connection-level failures, PostgreSQL's "cannot serve now" codes, and SQLite's
/// lock contention beyond the busy timeout.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: class 08 (connection exception), 53 (insufficient resources),
            // 57P01..57P03 (shutdown, crash, cannot connect now).
            // SQLite: 5 = SQLITE_BUSY, 6 = SQLITE_LOCKED (and extended codes thereof).
            code.starts_with("08")
                || code.starts_with("53")
                || matches!(&*code, "57P01" | "57P02" | "57P03")
                || code
                    .parse::<i64>()
                    .is_ok_and(|c| c & 0xff == 5 || c & 0xff == 6)
        }
        _ => false,
    }
}

/// One versioned schema change of one surface.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The surface (or platform part) that owns the tables.
    pub owner: &'static str,
    /// Applied in increasing order per owner, once.
    pub version: i64,
    /// SQL for SQLite (several statements allowed).
    pub sqlite: &'static str,
    /// SQL for PostgreSQL (several statements allowed).
    pub postgres: &'static str,
}

impl Migration {
    /// A migration whose SQL is the same on both backends.
    pub const fn portable(owner: &'static str, version: i64, sql: &'static str) -> Self {
        Self {
            owner,
            version,
            sqlite: sql,
            postgres: sql,
        }
    }

    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// A boxed future borrowing a connection, for work done under [`Db::locked`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Work done once per process right after the migrations, in their transaction and
/// under their lock (checking the sealing key and sealing rows left in clear).
/// Failing it fails every use of the database, with its error. It answers whether
/// it overwrote values that must not linger in the files (see [`Db::checkpoint`]).
pub type AfterMigrate = Arc<
    dyn for<'c> Fn(&'c mut AnyConnection, Backend) -> BoxFuture<'c, Result<bool, DbError>>
        + Send
        + Sync,
>;

/// How long a request waits for a connection before the database counts as down.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// After the database was found unreachable, how long requests fail at once
/// instead of each waiting [`ACQUIRE_TIMEOUT`] for it.
pub const FAIL_FAST_FOR: Duration = Duration::from_secs(1);

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    schema: Arc<Schema>,
    /// Until when (milliseconds since start) requests fail fast; 0 when the database answers.
    down_until: Arc<std::sync::atomic::AtomicU64>,
    epoch: std::time::Instant,
    /// The PostgreSQL URL, for connections outside the pool (`LISTEN`).
    postgres_url: Option<Arc<str>>,
    /// When (milliseconds since `epoch`, plus one) the database last answered a
    /// health probe; 0 for never.
    answered_at: Arc<std::sync::atomic::AtomicU64>,
    /// One health probe at a time.
    probing: Arc<Mutex<()>>,
}

/// How long a successful health probe is taken as the database's state (see [`Db::health`]).
pub const HEALTH_PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// The migrations to apply and whether they have been.
struct Schema {
    migrations: Vec<Migration>,
    after: Option<AfterMigrate>,
    applied: std::sync::atomic::AtomicBool,
    applying: Mutex<()>,
}

impl Db {
    /// Connects to `url` (a `postgres://` URL), or to `quartet.db` in `data_dir`
    /// when `url` is `None`. Nothing is read yet: a PostgreSQL server that is down
    /// makes requests answer 503 until it is back, it does not stop the start.
    pub async fn connect(
        url: Option<&str>,
        data_dir: &Path,
        migrations: Vec<Migration>,
    ) -> Result<Self, DbError> {
        Self::connect_with(url, data_dir, migrations, None).await
    }

    /// [`Db::connect`], with `after` run once right after the migrations.
    pub async fn connect_with(
        url: Option<&str>,
        data_dir: &Path,
        migrations: Vec<Migration>,
        after: Option<AfterMigrate>,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (u.to_owned(), Backend::Postgres)
            }
            Some(u) => {
                return Err(DbError::Config(format!(
                    "unsupported database URL {:?}: expected postgres://…",
                    redact(u)
                )))
            }
            None => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    DbError::Config(format!("creating {}: {e}", data_dir.display()))
                })?;
                let path = data_dir.join("quartet.db");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| DbError::Config(format!("{}: {e}", redact(&url))))?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA secure_delete = FAST;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        let db = Self {
            pool,
            backend,
            down_until: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            epoch: std::time::Instant::now(),
            postgres_url: (backend == Backend::Postgres).then(|| Arc::from(url.as_str())),
            answered_at: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            probing: Arc::new(Mutex::new(())),
            schema: Arc::new(Schema {
                migrations,
                after,
                applied: std::sync::atomic::AtomicBool::new(false),
                applying: Mutex::new(()),
            }),
        };
        if backend == Backend::Sqlite {
            // An embedded database that cannot be opened is a configuration error: say so now.
            db.conn().await?;
        }
        Ok(db)
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL URL (`None` on SQLite).
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// A pooled connection to the migrated database (migrations are applied first if
    /// needed). While the database is known to be down this fails at once.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, DbError> {
        self.ensure_migrated().await?;
        self.acquire().await
    }

    /// A transaction on the migrated database (on SQLite holding the write lock from its
    /// start); commit it, or it rolls back when dropped.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        self.ensure_migrated().await?;
        self.fail_fast()?;
        // SQLite: take the write lock at once. A deferred transaction that reads and
        // then writes fails with SQLITE_BUSY, without waiting, when another writer
        // committed in between; an immediate one waits its turn (busy_timeout).
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(|e| self.observe(e))
    }

    async fn ensure_migrated(&self) -> Result<(), DbError> {
        use std::sync::atomic::Ordering;
        if !self.schema.applied.load(Ordering::Acquire) {
            let _guard = self.schema.applying.lock().await;
            if !self.schema.applied.load(Ordering::Acquire) {
                let mut conn = self.acquire().await?;
                let overwrote = migrate(
                    &mut conn,
                    self.backend,
                    &self.schema.migrations,
                    self.schema.after.clone(),
                )
                .await?;
                if overwrote {
                    checkpoint(&mut conn, self.backend).await;
                }
                self.schema.applied.store(true, Ordering::Release);
            }
        }
        Ok(())
    }

    /// A connection from the pool, failing fast while the database is known to be down.
    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, DbError> {
        self.fail_fast()?;
        match self.pool.acquire().await {
            Ok(conn) => {
                self.down_until
                    .store(0, std::sync::atomic::Ordering::Relaxed);
                Ok(conn)
            }
            Err(e) => Err(self.observe(e)),
        }
    }

    /// Unavailable at once while a recent failure says the database is down.
    fn fail_fast(&self) -> Result<(), DbError> {
        let now = self.epoch.elapsed().as_millis() as u64;
        if now < self.down_until.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(DbError::Unavailable(
                "the database was unreachable moments ago".into(),
            ));
        }
        Ok(())
    }

    /// Converts a failure, starting a fail-fast window if it means the database is down.
    fn observe(&self, e: sqlx::Error) -> DbError {
        let e = DbError::from(e);
        if e.is_unavailable() {
            let until = self.epoch.elapsed() + FAIL_FAST_FOR;
            self.down_until.store(
                until.as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
            self.answered_at
                .store(0, std::sync::atomic::Ordering::Relaxed);
        }
        e
    }

    /// Runs `work` in one transaction that holds the database-wide lock `lock`: a
    /// PostgreSQL advisory lock (other instances wait for it), or SQLite's write lock.
    /// Commits if `work` succeeds, rolls back otherwise.
    pub async fn locked<T, F>(&self, lock: i64, work: F) -> Result<T, DbError>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>>,
    {
        let mut conn = self.conn().await?;
        transaction(&mut conn, self.backend, Some(lock), work).await
    }

    /// Runs `work` in one write transaction without a database-wide lock: SQLite's
    /// `BEGIN IMMEDIATE` (the write lock is taken at once, so a transaction that reads
    /// before it writes never fails to upgrade), a plain transaction on PostgreSQL
    /// (row locks, `FOR UPDATE`, do the rest). Commits if `work` succeeds.
    pub async fn write<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>>,
    {
        let mut conn = self.conn().await?;
        transaction(&mut conn, self.backend, None, work).await
    }

    /// Whether the database answers a trivial query now.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Whether the database answers, for health checks that run on every request:
    /// a probe ([`Db::ping`]) at most every [`HEALTH_PROBE_INTERVAL`], one at a time;
    /// in between, the last probe's success. An outage seen by any query answers at once.
    pub async fn health(&self) -> Result<(), DbError> {
        use std::sync::atomic::Ordering;
        self.fail_fast()?;
        let fresh = |at: u64| {
            at != 0
                && self.epoch.elapsed().as_millis() as u64 + 1
                    < at + HEALTH_PROBE_INTERVAL.as_millis() as u64
        };
        if fresh(self.answered_at.load(Ordering::Relaxed)) {
            return Ok(());
        }
        let _probe = self.probing.lock().await;
        if fresh(self.answered_at.load(Ordering::Relaxed)) {
            return Ok(());
        }
        self.ping().await?;
        self.answered_at.store(
            self.epoch.elapsed().as_millis() as u64 + 1,
            Ordering::Relaxed,
        );
        Ok(())
    }

    /// A dedicated connection, outside the pool (for `LISTEN`, say).
    pub async fn connection(&self) -> Result<AnyConnection, DbError> {
        Ok(self.conn().await?.detach())
    }

    /// On SQLite, copies the write-ahead log into the database file and empties it,
    /// so that page images holding overwritten values (secrets sealed in place, or
    /// sealed under a retired key) leave the log; deleted content inside pages is
    /// zeroed as it is written (`secure_delete`). Best effort: a reader of another
    /// process can keep the log from being emptied. Nothing on PostgreSQL.
    pub async fn checkpoint(&self) {
        if let Ok(mut conn) = self.acquire().await {
            checkpoint(&mut conn, self.backend).await;
        }
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn checkpoint(conn: &mut AnyConnection, backend: Backend) {
    if backend == Backend::Sqlite {
        let _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
    }
}

/// The advisory lock migrations are applied under ("quartet" in ASCII).
const MIGRATION_LOCK: i64 = 0x71_75_61_72_74_65_74;

/// Runs `work` in one write transaction on `conn` (SQLite: `BEGIN IMMEDIATE`),
/// holding the PostgreSQL advisory lock `lock` if one is given; commits if `work`
/// succeeds, rolls back otherwise.
async fn transaction<T, F>(
    conn: &mut AnyConnection,
    backend: Backend,
    lock: Option<i64>,
    work: F,
) -> Result<T, DbError>
where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, DbError>>,
{
    conn.execute(match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    })
    .await?;
    let result = async {
        if let (Backend::Postgres, Some(lock)) = (backend, lock) {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock)
                .execute(&mut *conn)
                .await?;
        }
        work(&mut *conn).await
    }
    .await;
    match result {
        Ok(value) => {
            conn.execute("COMMIT").await?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Applies the missing migrations in one transaction, under a lock that other
/// instances wait on.
async fn migrate(
    conn: &mut AnyConnection,
    backend: Backend,
    migrations: &[Migration],
    after: Option<AfterMigrate>,
) -> Result<bool, DbError> {
    let migrations = migrations.to_vec();
    transaction(conn, backend, Some(MIGRATION_LOCK), move |conn| {
        Box::pin(async move {
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     surface TEXT NOT NULL,
                     version BIGINT NOT NULL,
                     PRIMARY KEY (surface, version)
                 )",
            )
            .await?;
            for m in &migrations {
                let done: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM schema_migrations WHERE surface = $1 AND version = $2",
                )
                .bind(m.owner)
                .bind(m.version)
                .fetch_one(&mut *conn)
                .await?;
                if done == 0 {
                    sqlx::raw_sql(m.sql(backend)).execute(&mut *conn).await?;
                    sqlx::query("INSERT INTO schema_migrations (surface, version) VALUES ($1, $2)")
                        .bind(m.owner)
                        .bind(m.version)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            match after {
                Some(after) => after(&mut *conn, backend).await,
                None => Ok(false),
            }
        })
    })
    .await
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
