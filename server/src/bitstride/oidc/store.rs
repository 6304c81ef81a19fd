//! Sign-in states: one-time, stored by digest, with the PKCE verifier and nonce.

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// A stored sign-in state.
pub struct State {
    /// The provider it was issued for.
    pub provider: String,
    /// The PKCE code verifier.
    pub code_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// When it was issued.
    pub created_at: i64,
}

/// Records a state (by its digest) issued now for `provider`.
pub async fn insert(
    db: &Db,
    state_hash: &str,
    provider: &str,
    code_verifier: &str,
    nonce: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_oauth_states (state_hash, provider, code_verifier, nonce, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(state_hash)
    .bind(provider)
    .bind(code_verifier)
    .bind(nonce)
    .bind(now())
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// The unused state whose digest is `state_hash`.
pub async fn unused(db: &Db, state_hash: &str) -> Result<Option<State>, DbError> {
    let found: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT provider, code_verifier, nonce, created_at FROM bitstride_oauth_states
         WHERE state_hash = $1 AND used_at IS NULL",
    )
    .bind(state_hash)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    Ok(
        found.map(|(provider, code_verifier, nonce, created_at)| State {
            provider,
            code_verifier,
            nonce,
            created_at,
        }),
    )
}
