//! Organization rows, and deleting an organization with everything in it.

use quartet_api::bitstride::Organization;
use sqlx::Row as _;

use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Tables whose rows belong to an organization through `org_id` and go with it.
/// Its usage records and invoice states (`bitstride_usage`,
/// `bitstride_invoice_status`) are billing records and stay, as accounting
/// requires; they stay under the deleted organization's id, which no new
/// organization is ever given, so no one reaches them through the API.
const ORG_TABLES: [&str; 7] = [
    "bitstride_projects",
    "bitstride_models",
    "bitstride_datasets",
    "bitstride_deployments",
    "bitstride_blobs",
    "bitstride_sessions",
    "bitstride_users",
];

/// The organization `org_id`.
pub async fn get(db: &Db, org_id: &str) -> Result<Option<Organization>, DbError> {
    let row = sqlx::query(
        "SELECT id, name, billing_email, owner_user_id, created_at, updated_at
         FROM bitstride_orgs WHERE id = $1",
    )
    .bind(org_id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Organization {
        object: "organization".into(),
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        billing_email: row.try_get("billing_email")?,
        owner_user_id: row.try_get("owner_user_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    }))
}

/// When `org_id` was created (`None` for an unknown organization).
pub async fn created_at(db: &Db, org_id: &str) -> Result<Option<i64>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT created_at FROM bitstride_orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *db.conn().await?)
            .await?,
    )
}

/// Changes the fields given.
pub async fn update(
    db: &Db,
    org_id: &str,
    name: Option<String>,
    billing_email: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_orgs SET name = COALESCE($1, name),
             billing_email = COALESCE($2, billing_email), updated_at = $3
         WHERE id = $4",
    )
    .bind(name)
    .bind(billing_email)
    .bind(now())
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Deletes `org_id`, its users' second factors, identities, sessions, jobs and every row it
/// owns except its billing records, in one transaction, and tells the other instances
/// (`channel`).
pub async fn delete(db: &Db, org_id: &str, channel: &str) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    for table in [
        "bitstride_recovery_codes",
        "bitstride_mfa_tokens",
        "bitstride_identities",
        "bitstride_mfa_failures",
        "bitstride_account_tokens",
        "bitstride_mail_limits",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id IN
                 (SELECT id FROM bitstride_users WHERE org_id = $1)"
        )))
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "DELETE FROM bitstride_refresh_tokens WHERE session_id IN
             (SELECT id FROM bitstride_sessions WHERE org_id = $1)",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM bitstride_job_events WHERE job_id IN
             (SELECT id FROM bitstride_jobs WHERE org_id = $1)",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    for table in ORG_TABLES.iter().chain(["bitstride_jobs"].iter()) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE org_id = $1"
        )))
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM bitstride_orgs WHERE id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    crate::platform::changes::publish(
        &mut tx,
        db.backend(),
        channel,
        &format!("org-deleted {org_id}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
