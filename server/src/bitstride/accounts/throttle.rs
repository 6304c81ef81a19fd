//! Throttling of failed sign-ins, per email address (known or not, so the
//! answer does not tell whether an account exists).
//!
//! [`FREE_FAILURES`] failures within [`WINDOW_SECS`] are free; each further
//! failure locks the address for twice as long as the previous one, starting at
//! [`FIRST_LOCK_SECS`] and capped at [`MAX_LOCK_SECS`]. A successful sign-in
//! clears the count. State is in the database, so every instance agrees.
//!
//! An attempt is counted *before* its password is checked: [`reserve`] raises
//! the count (and sets the lock the count calls for) in one statement that
//! refuses while the address is locked, and only a reserved attempt reaches
//! Argon2. Parallel guesses therefore cannot all be evaluated before the first
//! of them is counted.

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

/// What [`reserve`] decided about one sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The attempt is counted and may be checked; if it fails, the address is
    /// locked for this many seconds (`None`: it stays free).
    Reserved(Option<i64>),
    /// The address is locked: the attempt is not checked. Seconds to wait.
    Locked(i64),
}

/// The count after this attempt: one more within the window, else a new window.
const NEXT: &str = "(CASE WHEN bitstride_login_failures.first_at + $3 > $2
                     THEN bitstride_login_failures.failures + 1 ELSE 1 END)";

/// The lock, in seconds, that reaching `failures` failures calls for.
pub fn lock_secs(failures: i64) -> Option<i64> {
    (failures > FREE_FAILURES).then(|| {
        let doublings = (failures - FREE_FAILURES - 1).min(20) as u32;
        (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
    })
}

/// `CASE n WHEN 6 THEN 30 WHEN 7 THEN 60 … ELSE 900 END` over [`lock_secs`]:
/// the lock schedule in portable SQL (no `LEAST`, no shifts).
fn lock_case(n: &str) -> String {
    let mut sql = format!("(CASE {n}");
    let mut failures = FREE_FAILURES + 1;
    while let Some(secs) = lock_secs(failures).filter(|s| *s < MAX_LOCK_SECS) {
        sql.push_str(&format!(" WHEN {failures} THEN {secs}"));
        failures += 1;
    }
    sql.push_str(&format!(" ELSE {MAX_LOCK_SECS} END)"));
    sql
}

/// Counts one sign-in attempt of `email` before it is checked, unless the
/// address is locked.
pub async fn reserve(db: &Db, email: &str) -> Result<Attempt, DbError> {
    let now = now();
    let mut conn = db.conn().await?;
    let sql = format!(
        "INSERT INTO bitstride_login_failures (email, failures, first_at, locked_until)
         VALUES ($1, 1, $2, 0)
         ON CONFLICT (email) DO UPDATE SET
           failures = {NEXT},
           first_at = CASE WHEN bitstride_login_failures.first_at + $3 > $2
                           THEN bitstride_login_failures.first_at ELSE $2 END,
           locked_until = CASE WHEN {NEXT} > $4 THEN $2 + {lock} ELSE 0 END
         WHERE bitstride_login_failures.locked_until <= $2
         RETURNING failures",
        lock = lock_case(NEXT),
    );
    let reserved: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(email)
        .bind(now)
        .bind(WINDOW_SECS)
        .bind(FREE_FAILURES)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(failures) = reserved {
        return Ok(Attempt::Reserved(lock_secs(failures)));
    }
    let until: Option<i64> =
        sqlx::query_scalar("SELECT locked_until FROM bitstride_login_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(Attempt::Locked(until.map_or(1, |u| (u - now).max(1))))
}

/// Forgets the failures of `email` (after a successful sign-in).
pub async fn cleared(db: &Db, email: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bitstride_login_failures WHERE email = $1")
        .bind(email)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_doubles_from_the_first_lock_to_the_cap() {
        let locks: Vec<Option<i64>> = (5..=12).map(lock_secs).collect();
        assert_eq!(
            locks,
            [
                None,
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900)
            ]
        );
        assert_eq!(
            lock_case("n"),
            "(CASE n WHEN 6 THEN 30 WHEN 7 THEN 60 WHEN 8 THEN 120 WHEN 9 THEN 240 \
             WHEN 10 THEN 480 ELSE 900 END)"
        );
        assert_eq!(lock_secs(1_000_000), Some(MAX_LOCK_SECS));
    }
}
