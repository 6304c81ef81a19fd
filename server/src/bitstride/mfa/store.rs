//! The rows of the second factor: TOTP secrets and last steps on the user,
//! recovery codes, and `mfa_token`s.

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Records that `user_id` used the code of TOTP `step`; `false` when that step
/// (or a later one) was used already.
pub async fn use_step(db: &Db, user_id: &str, step: i64) -> Result<bool, DbError> {
    let fresh = sqlx::query(
        "UPDATE bitstride_users SET mfa_last_step = $1
         WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&mut *db.conn().await?)
    .await?
    .rows_affected();
    Ok(fresh == 1)
}

/// Records an `mfa_token` (its digest) for `user_id`, valid until `expires_at`.
pub async fn insert_token(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_mfa_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Reserves one code attempt on a live, unused `mfa_token` that has had fewer
/// than `max_attempts`: the attempt is counted before the code is checked, in
/// one statement, so parallel guesses cannot outrun the count. Answers the
/// token's user, or `None` when the token is unknown, spent, expired or used up.
pub async fn reserve_attempt(
    db: &Db,
    token_hash: &str,
    max_attempts: i64,
) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar(
        "UPDATE bitstride_mfa_tokens SET failures = failures + 1
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3
         RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now())
    .bind(max_attempts)
    .fetch_optional(&mut *db.conn().await?)
    .await?)
}

/// Spends an active, unused recovery code of `user_id`; `false` when there is none.
pub async fn use_recovery_code(db: &Db, user_id: &str, code_hash: &str) -> Result<bool, DbError> {
    let spent = sqlx::query(
        "UPDATE bitstride_recovery_codes SET used_at = $1
         WHERE user_id = $2 AND code_hash = $3 AND active = 1 AND used_at IS NULL",
    )
    .bind(now())
    .bind(user_id)
    .bind(code_hash)
    .execute(&mut *db.conn().await?)
    .await?
    .rows_affected();
    Ok(spent == 1)
}

/// Starts an enrolment: the pending secret (sealed), and new inactive recovery codes in
/// place of earlier inactive ones.
pub async fn begin_enrolment(
    db: &Db,
    user_id: &str,
    secret: &str,
    code_hashes: &[String],
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE bitstride_users SET mfa_pending_secret = $1 WHERE id = $2")
        .bind(secret)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1 AND active = 0")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for hash in code_hashes {
        sqlx::query(
            "INSERT INTO bitstride_recovery_codes (user_id, code_hash, active) VALUES ($1, $2, 0)",
        )
        .bind(user_id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Turns MFA on: the pending secret becomes the secret, the pending recovery
/// codes replace the active ones.
pub async fn enable(db: &Db, user_id: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE bitstride_users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1 AND active = 1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE bitstride_recovery_codes SET active = 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns MFA off: forgets the secrets and every recovery code.
pub async fn disable(db: &Db, user_id: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE bitstride_users SET mfa_secret = NULL, mfa_pending_secret = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
