//! Accounts and their organizations: rows, reads, and creation in one transaction.

use quartet_api::bitstride::User;
use sqlx::Row as _;

use crate::bitstride::store::new_id;
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// `user_…`.
    pub id: String,
    /// Its organization.
    pub org_id: String,
    /// Lower-cased email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Argon2id PHC string; `None` for accounts that only sign in through OAuth.
    pub password_hash: Option<String>,
    /// Active TOTP secret (base32), when MFA is on.
    pub mfa_secret: Option<String>,
    /// Secret of an enrolment not confirmed yet.
    pub mfa_pending_secret: Option<String>,
    /// When the email address was proved to be the account's (`None`: never).
    pub email_verified_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
}

impl UserRow {
    /// The wire form.
    pub fn to_wire(&self) -> User {
        User {
            object: "user".into(),
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            org_id: self.org_id.clone(),
            mfa_enabled: self.mfa_secret.is_some(),
            email_verified_at: self.email_verified_at,
            created_at: self.created_at,
        }
    }
}

/// Columns of [`UserRow`], for queries that join.
pub const COLUMNS: &str = "u.id, u.org_id, u.email, u.name, u.password_hash, u.mfa_secret, \
                           u.mfa_pending_secret, u.email_verified_at, u.created_at";

/// Reads a [`UserRow`] from a row selected with [`COLUMNS`].
pub fn from_row(r: &sqlx::any::AnyRow) -> Result<UserRow, DbError> {
    Ok(UserRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        mfa_secret: r.try_get("mfa_secret")?,
        mfa_pending_secret: r.try_get("mfa_pending_secret")?,
        email_verified_at: r.try_get("email_verified_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The account with this id.
pub async fn get(db: &Db, id: &str) -> Result<Option<UserRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_users u WHERE u.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account with this (lower-cased) email.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_users u WHERE u.email = $1"
    )))
    .bind(email)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Whether the email address of account `id` was proved to belong to it
/// (`email_verified_at` is set); `false` for an unknown account.
pub async fn email_verified(db: &Db, id: &str) -> Result<bool, DbError> {
    let at: Option<Option<i64>> =
        sqlx::query_scalar("SELECT email_verified_at FROM bitstride_users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    Ok(at.flatten().is_some())
}

/// What a new account is made of.
pub struct NewUser {
    /// Lower-cased email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Argon2id hash, or `None` (OAuth-only account).
    pub password_hash: Option<String>,
    /// Name of its organization.
    pub organization_name: String,
    /// Whether the email was verified (by an OAuth provider); sets `email_verified_at`.
    pub email_verified: bool,
}

/// Creates an account and its organization in one transaction. A taken email is
/// a unique violation (`DbError::is_unique_violation`).
pub async fn create(db: &Db, new: NewUser) -> Result<UserRow, DbError> {
    let now = now();
    let user = UserRow {
        id: new_id("user"),
        org_id: new_id("org"),
        email: new.email,
        name: new.name,
        password_hash: new.password_hash,
        mfa_secret: None,
        mfa_pending_secret: None,
        email_verified_at: new.email_verified.then_some(now),
        created_at: now,
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO bitstride_orgs (id, name, owner_user_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&user.org_id)
    .bind(&new.organization_name)
    .bind(&user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO bitstride_users
             (id, org_id, email, name, password_hash, email_verified, email_verified_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&user.id)
    .bind(&user.org_id)
    .bind(&user.email)
    .bind(user.name.clone())
    .bind(user.password_hash.clone())
    .bind(i64::from(new.email_verified))
    .bind(user.email_verified_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Whether `email` looks like an address: one `@`, something on both sides, a dot
/// in the domain, no spaces, at most 254 characters.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}
