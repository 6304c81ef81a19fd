//! Throttling of failed sign-ins, per email address (known or not, so the
//! answer does not tell whether an account exists).
//!
//! [`FREE_FAILURES`] failures within [`WINDOW_SECS`] are free; each further
//! failure locks the address for twice as long as the previous one, starting at
//! [`FIRST_LOCK_SECS`] and capped at [`MAX_LOCK_SECS`]. A successful sign-in
//! clears the count. State is in the database, so every instance agrees.

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Failures allowed before the first lock.
pub const FREE_FAILURES: i64 = 5;
/// Window in which failures count, seconds.
pub const WINDOW_SECS: i64 = 15 * 60;
/// First lock, seconds.
pub const FIRST_LOCK_SECS: i64 = 30;
/// Longest lock, seconds.
pub const MAX_LOCK_SECS: i64 = 15 * 60;

/// Seconds until `email` may try again (`None`: it may now).
pub async fn locked_for(db: &Db, email: &str) -> Result<Option<i64>, DbError> {
    let until: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM bitstride_login_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    let now = now();
    Ok(until.filter(|u| *u > now).map(|u| u - now))
}

/// Records a failure; returns the lock it caused, in seconds, if any.
pub async fn failed(db: &Db, email: &str) -> Result<Option<i64>, DbError> {
    let now = now();
    let mut conn = db.conn().await?;
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT failures, first_at FROM bitstride_login_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    let (failures, first_at) = match row {
        Some((f, first)) if first + WINDOW_SECS > now => (f + 1, first),
        _ => (1, now),
    };
    let lock = (failures > FREE_FAILURES).then(|| {
        let doublings = (failures - FREE_FAILURES - 1).min(20) as u32;
        (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
    });
    sqlx::query(
        "INSERT INTO bitstride_login_failures (email, failures, first_at, locked_until)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET failures = $2, first_at = $3, locked_until = $4",
    )
    .bind(email)
    .bind(failures)
    .bind(first_at)
    .bind(lock.map_or(0, |l| now + l))
    .execute(&mut *conn)
    .await?;
    Ok(lock)
}

/// Forgets the failures of `email` (after a successful sign-in).
pub async fn cleared(db: &Db, email: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bitstride_login_failures WHERE email = $1")
        .bind(email)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}
