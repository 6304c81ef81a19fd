//! Model rows.

use quartet_api::bitstride::{Model, ModelSource};
use sqlx::Row as _;

use crate::bitstride::store::{delete_org_row, enum_text, ord_now, org_row, org_rows, parse_enum};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

const COLUMNS: &str = "id, name, base_model, description, project_id, source, artifact_uri, \
                       job_id, dataset_id, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Model, DbError> {
    let source: String = r.try_get("source")?;
    Ok(Model {
        object: "model".into(),
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        base_model: r.try_get("base_model")?,
        description: r.try_get("description")?,
        project_id: r.try_get("project_id")?,
        source: parse_enum("model source", &source)?,
        artifact_uri: r.try_get("artifact_uri")?,
        job_id: r.try_get("job_id")?,
        dataset_id: r.try_get("dataset_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A model to record (registered by a caller or produced by a job).
pub struct NewModel {
    /// Display name.
    pub name: String,
    /// Foundation model.
    pub base_model: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Project.
    pub project_id: Option<String>,
    /// Origin.
    pub source: ModelSource,
    /// Weights location.
    pub artifact_uri: Option<String>,
    /// Producing job.
    pub job_id: Option<String>,
    /// Training dataset.
    pub dataset_id: Option<String>,
}

/// Records a model of `org_id` on `conn` (inside the caller's transaction).
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    id: &str,
    m: NewModel,
) -> Result<(), DbError> {
    let now = now();
    sqlx::query(
        "INSERT INTO bitstride_models (id, org_id, name, base_model, description, project_id, source,
             artifact_uri, job_id, dataset_id, ord, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(id)
    .bind(org_id)
    .bind(m.name)
    .bind(m.base_model)
    .bind(m.description)
    .bind(m.project_id)
    .bind(enum_text(&m.source))
    .bind(m.artifact_uri)
    .bind(m.job_id)
    .bind(m.dataset_id)
    .bind(ord_now())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The model `id` of `org_id`.
pub async fn get(db: &Db, org_id: &str, id: &str) -> Result<Option<Model>, DbError> {
    org_row(db, "bitstride_models", COLUMNS, org_id, id, from_row).await
}

/// Every model of `org_id`, newest first.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<Model>, DbError> {
    org_rows(db, "bitstride_models", COLUMNS, org_id, from_row).await
}

/// Changes the fields given.
pub async fn update(
    db: &Db,
    org_id: &str,
    id: &str,
    body: quartet_api::bitstride::ModelUpdate,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_models SET name = COALESCE($1, name),
             description = COALESCE($2, description), project_id = COALESCE($3, project_id),
             artifact_uri = COALESCE($4, artifact_uri), updated_at = $5
         WHERE id = $6 AND org_id = $7",
    )
    .bind(body.name)
    .bind(body.description)
    .bind(body.project_id)
    .bind(body.artifact_uri)
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Deletes the record; `false` when there was none.
pub async fn delete(db: &Db, org_id: &str, id: &str) -> Result<bool, DbError> {
    delete_org_row(&mut *db.conn().await?, "bitstride_models", org_id, id).await
}
