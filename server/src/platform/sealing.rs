//! The database side of sealed secrets: which columns hold sealed values, the
//! check row that proves the database is sealed under this process's key,
//! sealing in place of rows written before sealing existed, and re-sealing
//! everything under a new key (`quartet admin secrets rotate`).
//!
//! Every process checks the key when it first uses the database, in the
//! migrations' transaction ([`after_migrate`]): a database sealed under another
//! key makes every use of it fail with a message that says so, instead of
//! serving values it cannot open.

use std::sync::Arc;

use sqlx::{AnyConnection, Row as _};

use super::sealed::{self, SealError, Sealer, SecretKey};
use super::secret_key::KeySource;
use super::storage::{AfterMigrate, Backend, BoxFuture, Db, DbError, Migration};

/// The check row's table.
pub const MIGRATIONS: [Migration; 1] = [Migration::portable(
    "sealing",
    1,
    "CREATE TABLE platform_sealing (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
)];

/// The change channel announcing a rotation (payload: the new key id).
pub const CHANNEL: &str = "platform.sealing";

/// The lock the key check, in-place sealing and rotation take ("sealing" in ASCII).
const SEALING_LOCK: i64 = 0x73_65_61_6c_69_6e_67;

/// The purpose and row of the check value.
const CHECK: (&str, &str) = ("platform.sealing", "check");

/// What the check value holds.
const CHECK_PLAIN: &[u8] = b"quartet sealed secrets";

/// A column whose values are sealed: by row, under one purpose.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    /// Its table.
    pub table: &'static str,
    /// The column that identifies a row (for the update).
    pub key: &'static str,
    /// The column whose value is the row part of the associated data.
    pub row: &'static str,
    /// The sealed column.
    pub column: &'static str,
    /// The purpose part of the associated data.
    pub purpose: &'static str,
    /// Whether the column is binary (`BLOB`/`BYTEA`); the sealed text is stored as its bytes.
    pub bytes: bool,
}

/// The platform's own sealed columns: the token-signing keys.
pub const PLATFORM_COLUMNS: [SealedColumn; 1] = [SealedColumn {
    table: "oauth_signing_keys",
    key: "kid",
    row: "kid",
    column: "pkcs8_der",
    purpose: super::oauth::keys::SEALED_PURPOSE,
    bytes: true,
}];

/// Values re-sealed by one pass over the sealed columns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    /// Values that were stored in clear.
    pub plain: u64,
    /// Values sealed under another key.
    pub sealed: u64,
}

impl Resealed {
    /// Every value re-written.
    pub fn total(&self) -> u64 {
        self.plain + self.sealed
    }
}

impl From<SealError> for DbError {
    fn from(e: SealError) -> Self {
        DbError::Corrupt(e.to_string())
    }
}

/// The start-up step run in the migrations' transaction: checks the key against
/// the database (recording the check value on first use), then seals values
/// still stored in clear and re-seals those under an earlier key it holds.
pub fn after_migrate(
    sealer: Sealer,
    source: KeySource,
    columns: Vec<SealedColumn>,
) -> AfterMigrate {
    fn hook<F>(f: F) -> AfterMigrate
    where
        F: for<'c> Fn(&'c mut AnyConnection, Backend) -> BoxFuture<'c, Result<bool, DbError>>
            + Send
            + Sync
            + 'static,
    {
        Arc::new(f)
    }
    hook(move |conn, backend| {
        let (sealer, source, columns) = (sealer.clone(), source.clone(), columns.clone());
        Box::pin(async move {
            lock(conn, backend).await?;
            check(conn, &sealer, &source).await?;
            let mut rewrote = 0;
            for column in &columns {
                rewrote += reseal(conn, column, &sealer, &sealer, false).await?.total();
            }
            Ok(rewrote > 0)
        })
    })
}

async fn lock(conn: &mut AnyConnection, backend: Backend) -> Result<(), DbError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SEALING_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Fails unless the check value opens under `sealer`; records it if there is none.
async fn check(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    source: &KeySource,
) -> Result<(), DbError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT value FROM platform_sealing WHERE name = $1")
            .bind(CHECK.1)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(found) = found else {
        sqlx::query("INSERT INTO platform_sealing (name, value) VALUES ($1, $2)")
            .bind(CHECK.1)
            .bind(sealer.seal(CHECK.0, CHECK.1, CHECK_PLAIN))
            .execute(&mut *conn)
            .await?;
        return Ok(());
    };
    match sealer.open(CHECK.0, CHECK.1, &found) {
        Ok(plain) if plain == CHECK_PLAIN => Ok(()),
        Ok(_)
        | Err(SealError::Forged { .. })
        | Err(SealError::Malformed)
        | Err(SealError::NotText { .. }) => Err(DbError::Config(format!(
            "the database's sealing check value does not open under key {} ({source}): \
                 it was altered",
            sealer.current_id()
        ))),
        Err(SealError::UnknownKey { found, current }) => Err(DbError::Config(format!(
            "the database's secrets are sealed under key {found}, but this server's key \
             ({source}) is {current}: start it with the key the database was sealed under \
             (--secret-key-file or {}); instances that share a database need the same key",
            super::secret_key::KEY_ENV
        ))),
    }
}

/// Re-writes the values of `column` that are in clear or sealed under a key other
/// than `seal`'s current one: opened with `open`, sealed with `seal`. A value under
/// a key `open` lacks fails the pass when `strict`, and is left alone otherwise.
async fn reseal(
    conn: &mut AnyConnection,
    column: &SealedColumn,
    open: &Sealer,
    seal: &Sealer,
    strict: bool,
) -> Result<Resealed, DbError> {
    let c = column;
    let current = seal.current_id();
    // Values already sealed under the current key are skipped in the query itself
    // (text columns; the binary ones hold a handful of rows), so a start reads only
    // what it must rewrite.
    let skip_current = if c.bytes {
        String::new()
    } else {
        format!(" AND NOT ({} LIKE $1)", c.column)
    };
    let select = format!(
        "SELECT CAST({key} AS TEXT) AS k, CAST({row} AS TEXT) AS r, {col} AS v FROM {table} \
         WHERE {col} IS NOT NULL{skip_current}",
        key = c.key,
        row = c.row,
        col = c.column,
        table = c.table
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(select));
    let query = if c.bytes {
        query
    } else {
        query.bind(format!("{}{current}.%", sealed::PREFIX))
    };
    let rows = query.fetch_all(&mut *conn).await?;
    let mut done = Resealed::default();
    for r in rows {
        let key: String = r.try_get("k")?;
        let row: String = r.try_get("r")?;
        let stored: Vec<u8> = if c.bytes {
            r.try_get("v")?
        } else {
            r.try_get::<String, _>("v")?.into_bytes()
        };
        let plain = match std::str::from_utf8(&stored)
            .ok()
            .filter(|s| sealed::is_sealed(s))
        {
            None => {
                done.plain += 1;
                stored
            }
            Some(text) => {
                if sealed::key_id_of(text)? == current {
                    continue;
                }
                match open.open(c.purpose, &row, text) {
                    Ok(plain) => {
                        done.sealed += 1;
                        plain
                    }
                    Err(SealError::UnknownKey { .. }) if !strict => continue,
                    Err(e) => {
                        return Err(DbError::Corrupt(format!(
                            "{}.{} of {row}: {e}",
                            c.table, c.column
                        )))
                    }
                }
            }
        };
        let value = seal.seal(c.purpose, &row, &plain);
        let update = format!(
            "UPDATE {table} SET {col} = $1 WHERE CAST({key} AS TEXT) = $2",
            table = c.table,
            col = c.column,
            key = c.key
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(update));
        let query = if c.bytes {
            query.bind(value.into_bytes())
        } else {
            query.bind(value)
        };
        query.bind(key).execute(&mut *conn).await?;
    }
    Ok(done)
}

/// Re-seals every sealed value, and the check value, under `new` in one
/// transaction, and announces the new key id to serving processes. Every value
/// must open under `old` (or be in clear).
pub async fn rotate(
    db: &Db,
    old: &Sealer,
    new: &SecretKey,
    columns: &[SealedColumn],
) -> Result<Resealed, DbError> {
    let (old, next, columns) = (old.clone(), Sealer::new(new), columns.to_vec());
    let backend = db.backend();
    db.locked(SEALING_LOCK, move |conn| {
        Box::pin(async move {
            let check: String =
                sqlx::query_scalar("SELECT value FROM platform_sealing WHERE name = $1")
                    .bind(CHECK.1)
                    .fetch_one(&mut *conn)
                    .await?;
            old.open(CHECK.0, CHECK.1, &check)?;
            let mut done = Resealed::default();
            for column in &columns {
                let one = reseal(conn, column, &old, &next, true).await?;
                done.plain += one.plain;
                done.sealed += one.sealed;
            }
            sqlx::query("UPDATE platform_sealing SET value = $1 WHERE name = $2")
                .bind(next.seal(CHECK.0, CHECK.1, CHECK_PLAIN))
                .bind(CHECK.1)
                .execute(&mut *conn)
                .await?;
            super::changes::publish(conn, backend, CHANNEL, &next.current_id()).await?;
            Ok(done)
        })
    })
    .await
}

/// Re-seals, under `sealer`'s current key, values another process sealed under an
/// earlier key `sealer` still holds (written between a rotation and that process
/// hearing of it).
pub async fn sweep(
    db: &Db,
    sealer: &Sealer,
    columns: &[SealedColumn],
) -> Result<Resealed, DbError> {
    let (sealer, columns) = (sealer.clone(), columns.to_vec());
    db.locked(SEALING_LOCK, move |conn| {
        Box::pin(async move {
            let mut done = Resealed::default();
            for column in &columns {
                let one = reseal(conn, column, &sealer, &sealer, false).await?;
                done.plain += one.plain;
                done.sealed += one.sealed;
            }
            Ok(done)
        })
    })
    .await
}

/// Follows the change feed of a serving process: when a rotation announces a new
/// key id, the key is looked up where this process's key came from, so values
/// sealed under it open and new values are sealed under it.
pub fn follow(
    sealer: &Sealer,
    source: &KeySource,
    changes: &super::changes::Changes,
    log: slog::Logger,
) {
    let mut rx = changes.subscribe();
    let (sealer, source) = (sealer.clone(), source.clone());
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let change = match rx.recv().await {
                Ok(change) => change,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            if change.channel != CHANNEL {
                continue;
            }
            if sealer.adopt_id(&change.payload) {
                slog::info!(log, "sealing under the rotated secret key"; "key_id" => &change.payload);
            } else {
                slog::error!(log, "the secret key was rotated, but the new key is not where this \
                                   server's key came from; restart it with the new key";
                             "key_id" => &change.payload, "source" => %source);
            }
        }
    });
}
