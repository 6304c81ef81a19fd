//! The per-account limit on second-factor guesses, across every `mfa_token`
//! of the account: a correct password mints a fresh token, so a count per
//! token alone would let an attacker who knows the password guess for ever.
//!
//! [`MAX_FAILURES`] wrong codes within [`WINDOW_SECS`] lock MFA sign-in for the
//! account for [`LOCK_SECS`] from the last of them. Like the sign-in throttle,
//! an attempt is reserved (counted) before its code is checked, in one
//! statement that refuses once the limit is reached; a code that turns out
//! right gives its reservation back ([`release`]), so a legitimate sign-in
//! neither costs the user an attempt nor wipes an attacker's count.

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Wrong codes an account may see within [`WINDOW_SECS`].
pub const MAX_FAILURES: i64 = 10;
/// Window in which wrong codes count, seconds.
pub const WINDOW_SECS: i64 = 15 * 60;
/// How long MFA sign-in stays locked once the limit is reached, seconds.
pub const LOCK_SECS: i64 = 15 * 60;

/// What [`reserve`] decided about one code of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Counted: the code may be checked.
    Reserved,
    /// The account is locked: the code is not checked. Seconds to wait.
    Locked(i64),
}

/// The count after this attempt: one more within the window, else a new window.
const NEXT: &str = "(CASE WHEN bitstride_mfa_failures.first_at + $3 > $2
                     THEN bitstride_mfa_failures.failures + 1 ELSE 1 END)";

/// Counts one code of `user_id` before it is checked, unless the account is locked.
pub async fn reserve(db: &Db, user_id: &str) -> Result<Attempt, DbError> {
    let now = now();
    let mut conn = db.conn().await?;
    let sql = format!(
        "INSERT INTO bitstride_mfa_failures (user_id, failures, first_at, locked_until)
         VALUES ($1, 1, $2, 0)
         ON CONFLICT (user_id) DO UPDATE SET
           failures = {NEXT},
           first_at = CASE WHEN bitstride_mfa_failures.first_at + $3 > $2
                           THEN bitstride_mfa_failures.first_at ELSE $2 END,
           locked_until = CASE WHEN {NEXT} >= $4 THEN $2 + $5 ELSE 0 END
         WHERE bitstride_mfa_failures.locked_until <= $2
           AND (bitstride_mfa_failures.first_at + $3 <= $2
                OR bitstride_mfa_failures.failures < $4)
         RETURNING failures"
    );
    let reserved: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(now)
        .bind(WINDOW_SECS)
        .bind(MAX_FAILURES)
        .bind(LOCK_SECS)
        .fetch_optional(&mut *conn)
        .await?;
    if reserved.is_some() {
        return Ok(Attempt::Reserved);
    }
    let until: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM bitstride_mfa_failures WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(Attempt::Locked(until.map_or(1, |u| (u - now).max(1))))
}

/// Gives back the reservation of a code that was right: one failure fewer,
/// and (being under the limit again) no lock.
pub async fn release(db: &Db, user_id: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_mfa_failures SET failures = failures - 1, locked_until = 0
         WHERE user_id = $1 AND failures > 0",
    )
    .bind(user_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}
