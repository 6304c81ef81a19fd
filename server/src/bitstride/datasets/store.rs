//! Dataset rows and their uploaded files (in `bitstride_blobs`, beside the row).

use quartet_api::bitstride::{Dataset, DatasetPurpose, DatasetRowFormat, DatasetStatus};
use sqlx::Row as _;

use crate::bitstride::store::{delete_org_row, enum_text, ord_now, org_row, org_rows, parse_enum};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

const COLUMNS: &str = "id, name, description, project_id, purpose, format, row_format, status, \
                       bytes, row_count, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Dataset, DbError> {
    let text = |c: &str| r.try_get::<String, _>(c);
    Ok(Dataset {
        object: "dataset".into(),
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        project_id: r.try_get("project_id")?,
        purpose: parse_enum("dataset purpose", &text("purpose")?)?,
        format: parse_enum("dataset format", &text("format")?)?,
        row_format: parse_enum("dataset row format", &text("row_format")?)?,
        status: parse_enum("dataset status", &text("status")?)?,
        bytes: r.try_get("bytes")?,
        row_count: r.try_get("row_count")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The dataset `id` of `org_id`.
pub async fn get(db: &Db, org_id: &str, id: &str) -> Result<Option<Dataset>, DbError> {
    org_row(db, "bitstride_datasets", COLUMNS, org_id, id, from_row).await
}

/// Every dataset of `org_id`, newest first.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<Dataset>, DbError> {
    org_rows(db, "bitstride_datasets", COLUMNS, org_id, from_row).await
}

/// The uploaded file of dataset `id` of `org_id`.
pub async fn file(db: &Db, org_id: &str, id: &str) -> Result<Option<Vec<u8>>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT data FROM bitstride_blobs WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *db.conn().await?)
            .await?,
    )
}

/// A dataset to record (no file yet).
pub struct NewDataset {
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Project.
    pub project_id: Option<String>,
    /// What it trains.
    pub purpose: DatasetPurpose,
    /// What each line holds.
    pub row_format: DatasetRowFormat,
}

/// Records dataset `id` of `org_id`, waiting for its upload.
pub async fn insert(db: &Db, org_id: &str, id: &str, d: NewDataset) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_datasets (id, org_id, name, description, project_id, purpose,
             format, row_format, status, ord, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id)
    .bind(org_id)
    .bind(d.name)
    .bind(d.description)
    .bind(d.project_id)
    .bind(enum_text(&d.purpose))
    .bind("jsonl")
    .bind(enum_text(&d.row_format))
    .bind(enum_text(&DatasetStatus::PendingUpload))
    .bind(ord_now())
    .bind(now())
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Changes the fields given.
pub async fn update(
    db: &Db,
    org_id: &str,
    id: &str,
    name: Option<String>,
    description: Option<String>,
    project_id: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_datasets SET name = COALESCE($1, name),
             description = COALESCE($2, description), project_id = COALESCE($3, project_id),
             updated_at = $4
         WHERE id = $5 AND org_id = $6",
    )
    .bind(name)
    .bind(description)
    .bind(project_id)
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Deletes the dataset and its file; `false` when there was no such dataset.
pub async fn delete(db: &Db, org_id: &str, id: &str) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    if !delete_org_row(&mut tx, "bitstride_datasets", org_id, id).await? {
        return Ok(false);
    }
    delete_org_row(&mut tx, "bitstride_blobs", org_id, id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Replaces the file of the dataset (`rows` lines): status `uploaded`.
pub async fn store_file(
    db: &Db,
    org_id: &str,
    id: &str,
    data: &[u8],
    rows: i64,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    delete_org_row(&mut tx, "bitstride_blobs", org_id, id).await?;
    sqlx::query("INSERT INTO bitstride_blobs (id, org_id, data) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(org_id)
        .bind(data.to_vec())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE bitstride_datasets SET status = $1, bytes = $2, row_count = $3, updated_at = $4
         WHERE id = $5 AND org_id = $6",
    )
    .bind(enum_text(&DatasetStatus::Uploaded))
    .bind(data.len() as i64)
    .bind(rows)
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the status of the dataset.
pub async fn set_status(
    db: &Db,
    org_id: &str,
    id: &str,
    status: DatasetStatus,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_datasets SET status = $1, updated_at = $2
         WHERE id = $3 AND org_id = $4",
    )
    .bind(enum_text(&status))
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}
