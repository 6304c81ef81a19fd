//! Sign-in states: one-time, stored by digest, with the PKCE verifier and nonce,
//! and for a link flow the account and session that started it.

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// The account and session a link flow belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOwner {
    /// The account the identity will be linked to.
    pub user_id: String,
    /// The session that started the flow (and must finish it).
    pub session_id: String,
}

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
    /// Set for a link flow; `None` for a sign-in.
    pub link: Option<LinkOwner>,
}

/// Records a state (by its digest) issued now for `provider`, bound to `link` for a link flow.
pub async fn insert(
    db: &Db,
    state_hash: &str,
    provider: &str,
    code_verifier: &str,
    nonce: &str,
    link: Option<&LinkOwner>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_oauth_states
             (state_hash, provider, code_verifier, nonce, created_at, link_user_id, link_session_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(state_hash)
    .bind(provider)
    .bind(code_verifier)
    .bind(nonce)
    .bind(now())
    .bind(link.map(|l| l.user_id.clone()))
    .bind(link.map(|l| l.session_id.clone()))
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

type StateRow = (String, String, String, i64, Option<String>, Option<String>);

/// The unused state whose digest is `state_hash`.
pub async fn unused(db: &Db, state_hash: &str) -> Result<Option<State>, DbError> {
    let found: Option<StateRow> = sqlx::query_as(
        "SELECT provider, code_verifier, nonce, created_at, link_user_id, link_session_id
         FROM bitstride_oauth_states WHERE state_hash = $1 AND used_at IS NULL",
    )
    .bind(state_hash)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    Ok(found.map(
        |(provider, code_verifier, nonce, created_at, user_id, session_id)| State {
            provider,
            code_verifier,
            nonce,
            created_at,
            link: user_id
                .zip(session_id)
                .map(|(user_id, session_id)| LinkOwner {
                    user_id,
                    session_id,
                }),
        },
    ))
}
