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
///
/// The count is raised in one statement, so concurrent failures are each counted
/// (a read and a write apart would let parallel attempts undercount), and a lock
/// only ever grows.
pub async fn failed(db: &Db, email: &str) -> Result<Option<i64>, DbError> {
    let now = now();
    let mut conn = db.conn().await?;
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO bitstride_login_failures (email, failures, first_at, locked_until)
         VALUES ($1, 1, $2, 0)
         ON CONFLICT (email) DO UPDATE SET
           failures = CASE WHEN bitstride_login_failures.first_at + $3 > $2
                           THEN bitstride_login_failures.failures + 1 ELSE 1 END,
           first_at = CASE WHEN bitstride_login_failures.first_at + $3 > $2
                           THEN bitstride_login_failures.first_at ELSE $2 END
         RETURNING failures",
    )
    .bind(email)
    .bind(now)
    .bind(WINDOW_SECS)
    .fetch_one(&mut *conn)
    .await?;
    let lock = (failures > FREE_FAILURES).then(|| {
        let doublings = (failures - FREE_FAILURES - 1).min(20) as u32;
        (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
    });
    if let Some(lock) = lock {
        sqlx::query(
            "UPDATE bitstride_login_failures SET locked_until = $2
             WHERE email = $1 AND locked_until < $2",
        )
        .bind(email)
        .bind(now + lock)
        .execute(&mut *conn)
        .await?;
    }
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
