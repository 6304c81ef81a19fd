//! Project rows.

use quartet_api::bitstride::Project;
use sqlx::Row as _;

use crate::bitstride::store::{delete_org_row, ord_now, org_row, org_rows};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

const COLUMNS: &str = "id, org_id, name, description, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Project, DbError> {
    Ok(Project {
        object: "project".into(),
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        org_id: r.try_get("org_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Whether `id` names a project of `org_id`.
pub async fn exists(db: &Db, org_id: &str, id: &str) -> Result<bool, DbError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM bitstride_projects WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *db.conn().await?)
            .await?;
    Ok(found.is_some())
}

/// The project `id` of `org_id`.
pub async fn get(db: &Db, org_id: &str, id: &str) -> Result<Option<Project>, DbError> {
    org_row(db, "bitstride_projects", COLUMNS, org_id, id, from_row).await
}

/// Every project of `org_id`, newest first.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<Project>, DbError> {
    org_rows(db, "bitstride_projects", COLUMNS, org_id, from_row).await
}

/// Records project `id` of `org_id` (a duplicate name is a unique violation).
pub async fn insert(
    db: &Db,
    org_id: &str,
    id: &str,
    name: &str,
    description: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_projects (id, org_id, name, description, ord, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id)
    .bind(org_id)
    .bind(name)
    .bind(description)
    .bind(ord_now())
    .bind(now())
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Changes the fields given (a duplicate name is a unique violation).
pub async fn update(
    db: &Db,
    org_id: &str,
    id: &str,
    name: Option<String>,
    description: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_projects SET name = COALESCE($1, name),
             description = COALESCE($2, description), updated_at = $3
         WHERE id = $4 AND org_id = $5",
    )
    .bind(name)
    .bind(description)
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Deletes the project and unlinks what was filed under it, in one transaction;
/// `false` when there was no such project.
pub async fn delete(db: &Db, org_id: &str, id: &str) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    if !delete_org_row(&mut tx, "bitstride_projects", org_id, id).await? {
        return Ok(false);
    }
    for table in [
        "bitstride_models",
        "bitstride_datasets",
        "bitstride_deployments",
        "bitstride_jobs",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET project_id = NULL WHERE project_id = $1 AND org_id = $2"
        )))
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}
