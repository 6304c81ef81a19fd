//! The embedded SQLite database: one file under the data directory, WAL mode,
//! a small connection pool, and per-surface schema migrations.
//!
//! Each surface owns its tables (prefixed with its name) and its migrations,
//! and talks to storage through its own store type, so that another backend
//! (PostgreSQL for several instances) can be added surface by surface.

use std::path::Path;

use r2d2_sqlite::rusqlite::{self, Connection};
use r2d2_sqlite::SqliteConnectionManager;
use thiserror::Error;

/// A pool of connections to the database.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// Storage failures. They never reach a client verbatim.
#[derive(Debug, Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No connection could be had from the pool.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A stored signing key is unreadable, or a new one could not be made.
    #[error("signing key: {0}")]
    Key(String),
    /// A blocking storage task panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Opens (creating if needed) `quartet.db` in `data_dir` and applies `migrations`.
///
/// Each migration is `(surface, version, sql)`; applied versions are recorded in
/// `schema_migrations`, so running this on every start is safe.
pub fn open(data_dir: &Path, migrations: &[(&str, i64, &str)]) -> Result<Pool, DbError> {
    let path = data_dir.join("quartet.db");
    let manager = SqliteConnectionManager::file(path).with_init(|c| {
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
    });
    let pool = r2d2::Pool::builder().max_size(8).build(manager)?;
    let mut conn = pool.get()?;
    migrate(&mut conn, migrations)?;
    Ok(pool)
}

fn migrate(conn: &mut Connection, migrations: &[(&str, i64, &str)]) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             surface TEXT NOT NULL,
             version INTEGER NOT NULL,
             PRIMARY KEY (surface, version)
         );",
    )?;
    for (surface, version, sql) in migrations {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE surface = ?1 AND version = ?2)",
            rusqlite::params![surface, version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (surface, version) VALUES (?1, ?2)",
                rusqlite::params![surface, version],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

/// Runs blocking storage work off the async runtime.
pub async fn blocking<T, F>(pool: &Pool, work: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}
