//! External identities: a provider's account, named by (provider, subject),
//! linked to one Bitstride account. The pair is unique, and an account holds at
//! most one identity per provider, so `DELETE /v1/auth/identities/{provider}`
//! names exactly one row.

use quartet_api::bitstride::Identity;
use sqlx::Row as _;

use crate::platform::storage::{now, BoxFuture};
use crate::platform::{Db, DbError};

/// A stored identity.
#[derive(Debug, Clone)]
pub struct IdentityRow {
    /// Provider name, as configured.
    pub provider: String,
    /// The provider's `sub`.
    pub subject: String,
    /// The account it signs in to.
    pub user_id: String,
    /// Email the provider reported last (display only).
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: i64,
    /// Last sign-in through it.
    pub last_used_at: Option<i64>,
}

impl IdentityRow {
    /// The wire form.
    pub fn to_wire(&self) -> Identity {
        Identity {
            object: "identity".into(),
            provider: self.provider.clone(),
            subject: self.subject.clone(),
            email: self.email.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

/// Why an identity could not be linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// (provider, subject) belongs to another account.
    Taken,
    /// The account already has another identity of this provider.
    ProviderLinked,
}

/// Why an identity could not be unlinked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlinkError {
    /// The account has no identity of this provider.
    NotFound,
    /// It is the account's only way to sign in (no password, no other identity).
    LastMethod,
}

const COLUMNS: &str = "provider, subject, user_id, email, created_at, last_used_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<IdentityRow, DbError> {
    Ok(IdentityRow {
        provider: r.try_get("provider")?,
        subject: r.try_get("subject")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

/// The identity (`provider`, `subject`), if it is linked.
pub async fn find(db: &Db, provider: &str, subject: &str) -> Result<Option<IdentityRow>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_identities WHERE provider = $1 AND subject = $2"
    )))
    .bind(provider)
    .bind(subject)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The identities of account `user_id`, newest first.
pub async fn of_user(db: &Db, user_id: &str) -> Result<Vec<IdentityRow>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_identities WHERE user_id = $1
         ORDER BY created_at DESC, provider DESC"
    )))
    .bind(user_id)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Links (`provider`, `subject`) to `user_id`. Linking it again to the same
/// account is a no-op; the uniqueness rules decide every race.
pub async fn link(
    db: &Db,
    provider: &str,
    subject: &str,
    user_id: &str,
    email: Option<&str>,
) -> Result<Result<(), LinkError>, DbError> {
    let inserted = sqlx::query(
        "INSERT INTO bitstride_identities (provider, subject, user_id, email, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(provider)
    .bind(subject)
    .bind(user_id)
    .bind(email.map(str::to_owned))
    .bind(now())
    .execute(&mut *db.conn().await?)
    .await;
    match inserted {
        Ok(_) => Ok(Ok(())),
        Err(e) => {
            let e = DbError::from(e);
            if !e.is_unique_violation() {
                return Err(e);
            }
            Ok(match find(db, provider, subject).await? {
                Some(row) if row.user_id == user_id => Ok(()),
                Some(_) => Err(LinkError::Taken),
                None => Err(LinkError::ProviderLinked),
            })
        }
    }
}

/// Records a sign-in through (`provider`, `subject`) and the email the provider reported.
pub async fn touch(
    db: &Db,
    provider: &str,
    subject: &str,
    email: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_identities SET last_used_at = $1, email = $2
         WHERE provider = $3 AND subject = $4",
    )
    .bind(now())
    .bind(email.map(str::to_owned))
    .bind(provider)
    .bind(subject)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Forgets (`provider`, `subject`) (its account is gone).
pub async fn forget(db: &Db, provider: &str, subject: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bitstride_identities WHERE provider = $1 AND subject = $2")
        .bind(provider)
        .bind(subject)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}

/// Unlinks the identity of `provider` from `user_id`, unless it is the account's
/// last way to sign in. The account's row is locked first, so two concurrent
/// unlinks of an account's last two identities cannot both succeed.
pub async fn unlink(
    db: &Db,
    user_id: &str,
    provider: &str,
) -> Result<Result<(), UnlinkError>, DbError> {
    let (user_id, provider) = (user_id.to_owned(), provider.to_owned());
    let for_update = db.backend().for_update();
    db.write(
        move |conn| -> BoxFuture<'_, Result<Result<(), UnlinkError>, DbError>> {
            Box::pin(async move {
                let password: Option<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(
                    format!("SELECT password_hash FROM bitstride_users WHERE id = $1{for_update}"),
                ))
                .bind(&user_id)
                .fetch_optional(&mut *conn)
                .await?;
                let providers: Vec<String> = sqlx::query_scalar(
                    "SELECT provider FROM bitstride_identities WHERE user_id = $1",
                )
                .bind(&user_id)
                .fetch_all(&mut *conn)
                .await?;
                if !providers.contains(&provider) {
                    return Ok(Err(UnlinkError::NotFound));
                }
                if password.flatten().is_none() && providers.len() < 2 {
                    return Ok(Err(UnlinkError::LastMethod));
                }
                sqlx::query(
                    "DELETE FROM bitstride_identities WHERE user_id = $1 AND provider = $2",
                )
                .bind(&user_id)
                .bind(&provider)
                .execute(&mut *conn)
                .await?;
                Ok(Ok(()))
            })
        },
    )
    .await
}
