//! Single-use tokens mailed to an account: email verification links and
//! password reset links.
//!
//! A token is its kind's prefix and 32 random bytes in hex (256 bits, so a
//! plain SHA-256 digest is a safe way to store it: nothing can be guessed
//! from it). Only the digest is stored, with the account, the kind and an
//! expiry. Spending one is a single conditional `UPDATE` (unused, unexpired,
//! of this kind), so two concurrent uses cannot both succeed.
//!
//! How many mails of each kind an account was sent is counted per account in
//! a fixed window ([`MAILS_PER_WINDOW`] per [`MAIL_WINDOW_SECS`]), reserved in
//! one statement before the mail is built, so parallel requests cannot exceed it.

use crate::platform::secrets::{random_hex, sha256_hex};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Mails of one kind an account may be sent per window.
pub const MAILS_PER_WINDOW: i64 = 5;
/// The window of [`MAILS_PER_WINDOW`], seconds.
pub const MAIL_WINDOW_SECS: i64 = 3600;

/// What a token proves when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The account receives mail at its address.
    VerifyEmail,
    /// The owner of the address may set a new password.
    ResetPassword,
}

impl Purpose {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    /// Prefix of its tokens.
    pub fn prefix(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "evt_",
            Purpose::ResetPassword => "prt_",
        }
    }
}

/// A new token of `purpose` for `user_id`, valid `ttl_secs`; only its digest is stored.
pub async fn issue(
    db: &Db,
    user_id: &str,
    purpose: Purpose,
    ttl_secs: i64,
) -> Result<String, DbError> {
    let token = format!("{}{}", purpose.prefix(), random_hex(32));
    let now = now();
    sqlx::query(
        "INSERT INTO bitstride_account_tokens (token_hash, user_id, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(now)
    .bind(now + ttl_secs)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(token)
}

/// The account `token` was issued to, if it is of `purpose`, unused and unexpired
/// (a read: nothing is spent).
pub async fn peek(db: &Db, token: &str, purpose: Purpose) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM bitstride_account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(purpose.as_str())
    .bind(now())
    .fetch_optional(&mut *db.conn().await?)
    .await?)
}

/// Spends `token` on `conn` (in the caller's transaction) and returns its
/// account, or `None` when it is unknown, of another purpose, spent or expired.
pub async fn spend(
    conn: &mut sqlx::AnyConnection,
    token: &str,
    purpose: Purpose,
) -> Result<Option<String>, DbError> {
    let now = now();
    Ok(sqlx::query_scalar(
        "UPDATE bitstride_account_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id",
    )
    .bind(now)
    .bind(sha256_hex(token.as_bytes()))
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await?)
}

/// Spends every outstanding token of `purpose` of `user_id` on `conn` (after a
/// verification, a reset or a password change the others have nothing left to do).
pub async fn spend_all(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    purpose: Purpose,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_account_tokens SET used_at = $1
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now())
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one more mail of `purpose` to `user_id`; returns the seconds until the
/// window ends when this one is over [`MAILS_PER_WINDOW`] (`None`: send it).
pub async fn reserve_mail(
    db: &Db,
    user_id: &str,
    purpose: Purpose,
) -> Result<Option<i64>, DbError> {
    let now = now();
    let (sent, window_start): (i64, i64) = sqlx::query_as(
        "INSERT INTO bitstride_mail_limits (user_id, purpose, window_start, sent)
         VALUES ($1, $2, $3, 1)
         ON CONFLICT (user_id, purpose) DO UPDATE SET
           sent = CASE WHEN bitstride_mail_limits.window_start + $4 > $3
                       THEN bitstride_mail_limits.sent + 1 ELSE 1 END,
           window_start = CASE WHEN bitstride_mail_limits.window_start + $4 > $3
                               THEN bitstride_mail_limits.window_start ELSE $3 END
         RETURNING sent, window_start",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(now)
    .bind(MAIL_WINDOW_SECS)
    .fetch_one(&mut *db.conn().await?)
    .await?;
    Ok((sent > MAILS_PER_WINDOW).then(|| (window_start + MAIL_WINDOW_SECS - now).max(1)))
}
