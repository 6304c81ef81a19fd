//! Sessions: one row per sign-in, a rotating family of single-use refresh
//! tokens, and the short-lived access JWTs signed by the platform's token
//! service.
//!
//! A refresh token is a random secret (`rt_` + 40 hex); only its SHA-256 is
//! stored. Refreshing spends it and issues the next one of the same session. A
//! spent token presented again means it was copied: the whole session (the
//! family) is revoked, so neither the thief nor the owner can go on with it.

use quartet_api::bitstride::{Session, TokenType};
use serde_json::{json, Map};

use super::users::{self, UserRow};
use crate::bitstride::store::new_id;
use crate::bitstride::AUDIENCE;
use crate::platform::oauth::TokenService;
use crate::platform::secrets::{random_hex, sha256_hex};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Lifetime of an access token, seconds.
pub const ACCESS_TOKEN_SECS: i64 = 3600;
/// Lifetime of a session and of each refresh token, seconds (30 days).
pub const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// Scopes every session has.
pub const SESSION_SCOPE: &str = "read write inference";

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    /// Unknown, expired, or its session ended.
    Invalid,
    /// Already spent: the session has been revoked.
    Reused,
}

/// Starts a session for `user` and returns its tokens.
pub async fn start(db: &Db, tokens: &TokenService, user: &UserRow) -> Result<Session, DbError> {
    let sid = new_id("sess");
    let now = now();
    let refresh = new_refresh_token();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO bitstride_sessions (id, user_id, org_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&sid)
    .bind(&user.id)
    .bind(&user.org_id)
    .bind(now)
    .bind(now + REFRESH_TOKEN_SECS)
    .execute(&mut *tx)
    .await?;
    insert_refresh(&mut tx, &sid, &refresh, now).await?;
    tx.commit().await?;
    session(tokens, user, &sid, refresh).await
}

fn new_refresh_token() -> String {
    format!("rt_{}", random_hex(20))
}

async fn insert_refresh(
    conn: &mut sqlx::AnyConnection,
    sid: &str,
    token: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_refresh_tokens (token_hash, session_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(sid)
    .bind(now)
    .bind(now + REFRESH_TOKEN_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The access token of session `sid` (claims: `iss`, `aud` = `bitstride`, `sub` =
/// the user, `org`, `sid`, `scope`, `iat`, `nbf`, `exp`, `jti`).
async fn session(
    tokens: &TokenService,
    user: &UserRow,
    sid: &str,
    refresh_token: String,
) -> Result<Session, DbError> {
    let mut extra = Map::new();
    extra.insert("org".into(), json!(user.org_id));
    extra.insert("sid".into(), json!(sid));
    let (access_token, claims) = tokens
        .sign_user(&user.id, AUDIENCE, SESSION_SCOPE, ACCESS_TOKEN_SECS, extra)
        .await?;
    Ok(Session {
        access_token,
        refresh_token,
        token_type: TokenType::Bearer,
        expires_in: claims.exp - claims.iat,
        user: user.to_wire(),
    })
}

/// Spends `token` and returns the session's next tokens.
pub async fn refresh(
    db: &Db,
    tokens: &TokenService,
    token: &str,
) -> Result<Result<Session, RefreshError>, DbError> {
    let hash = sha256_hex(token.as_bytes());
    let now = now();
    let mut tx = db.begin().await?;
    let found: Option<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT session_id, expires_at, used_at FROM bitstride_refresh_tokens WHERE token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((sid, expires_at, used_at)) = found else {
        return Ok(Err(RefreshError::Invalid));
    };
    // Spend it; losing a race to another refresh with the same token is a reuse too.
    let spent = sqlx::query(
        "UPDATE bitstride_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(&hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used_at.is_some() || spent == 0 {
        drop(tx);
        revoke(db, &sid, "refresh_token_reuse").await?;
        return Ok(Err(RefreshError::Reused));
    }
    if expires_at <= now {
        return Ok(Err(RefreshError::Invalid));
    }
    let user_id: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM bitstride_sessions
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(&sid)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else {
        return Ok(Err(RefreshError::Invalid));
    };
    let next = new_refresh_token();
    insert_refresh(&mut tx, &sid, &next, now).await?;
    tx.commit().await?;
    let Some(user) = users::get(db, &user_id).await? else {
        return Ok(Err(RefreshError::Invalid));
    };
    Ok(Ok(session(tokens, &user, &sid, next).await?))
}

/// Ends session `sid` (its access and refresh tokens stop working).
pub async fn revoke(db: &Db, sid: &str, reason: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_sessions SET revoked_at = $1, revoked_reason = $2
         WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(reason)
    .bind(sid)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Ends every session of `user_id` except `keep` (`""` keeps none), on `conn`
/// (in the caller's transaction). Their refresh tokens die with them: a refresh
/// needs a live session.
pub async fn revoke_all_of(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    keep: &str,
    reason: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_sessions SET revoked_at = $1, revoked_reason = $2
         WHERE user_id = $3 AND id <> $4 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(reason)
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether session `sid` of `user_id` is live; returns the account.
pub async fn live_session(db: &Db, sid: &str, user_id: &str) -> Result<Option<UserRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM bitstride_sessions s JOIN bitstride_users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3",
        users::COLUMNS
    )))
    .bind(sid)
    .bind(user_id)
    .bind(now())
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(users::from_row).transpose()
}
