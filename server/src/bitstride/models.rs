//! Models: registered weights, training outputs (with their lineage), and the
//! base models the configured trainer can start from (listed, not stored).

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, ListParams, Model, ModelCreate, ModelList, ModelSource,
    ModelUpdate,
};
use sqlx::Row as _;

use super::auth::Caller;
use super::projects::check_ref;
use super::store::{check_name, enum_text, new_id, ord_now, org_rows, page, parse_enum};
use super::{err, Bitstride};
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

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::MODEL_NOT_FOUND)
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
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_models WHERE id = $1 AND org_id = $2"
    )))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

impl Bitstride {
    /// `GET /v1/models`: the organization's models, newest first.
    pub(super) async fn list_models(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<ModelList, ErrorEnvelope> {
        let mut all = org_rows(
            &self.db,
            "bitstride_models",
            COLUMNS,
            &caller.org_id,
            from_row,
        )
        .await?;
        all.extend(self.base_model_entries());
        let (data, has_more) = page(all, params, |m| &m.id)?;
        Ok(ModelList {
            object: "list".into(),
            data,
            has_more,
        })
    }

    /// `POST /v1/models`.
    pub(super) async fn create_model(
        &self,
        caller: &Caller,
        body: ModelCreate,
    ) -> Result<Model, ErrorEnvelope> {
        check_name(&body.name)?;
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        let id = new_id("model");
        insert(
            &mut *self.db.conn().await?,
            &caller.org_id,
            &id,
            NewModel {
                name: body.name,
                base_model: body.base_model,
                description: body.description,
                project_id: body.project_id,
                source: ModelSource::Registered,
                artifact_uri: body.artifact_uri,
                job_id: None,
                dataset_id: None,
            },
        )
        .await?;
        get(&self.db, &caller.org_id, &id)
            .await?
            .ok_or_else(not_found)
    }

    /// `GET /v1/models/{id}` (an organization's model, or a base model by its name).
    pub(super) async fn get_model(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Model, ErrorEnvelope> {
        if let Some(base) = self.base_model_entries().into_iter().find(|m| m.id == id) {
            return Ok(base);
        }
        get(&self.db, &caller.org_id, id)
            .await?
            .ok_or_else(not_found)
    }

    /// The base models of this server's trainer, as models (`source: base`, id = name).
    fn base_model_entries(&self) -> Vec<Model> {
        let since = now() - self.started.elapsed().as_secs() as i64;
        self.base_models()
            .into_iter()
            .map(|name| Model {
                object: "model".into(),
                id: name.clone(),
                name,
                base_model: None,
                description: Some("A base model the configured trainer starts from".into()),
                project_id: None,
                source: ModelSource::Base,
                artifact_uri: None,
                job_id: None,
                dataset_id: None,
                created_at: since,
                updated_at: since,
            })
            .collect()
    }

    /// `PUT /v1/models/{id}`.
    pub(super) async fn update_model(
        &self,
        caller: &Caller,
        id: &str,
        body: ModelUpdate,
    ) -> Result<Model, ErrorEnvelope> {
        get(&self.db, &caller.org_id, id)
            .await?
            .ok_or_else(not_found)?;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
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
        .bind(&caller.org_id)
        .execute(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        get(&self.db, &caller.org_id, id)
            .await?
            .ok_or_else(not_found)
    }

    /// `DELETE /v1/models/{id}` (the record, not the weights it points at).
    pub(super) async fn delete_model(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        let deleted = sqlx::query("DELETE FROM bitstride_models WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(&caller.org_id)
            .execute(&mut *self.db.conn().await?)
            .await
            .map_err(crate::platform::DbError::from)?
            .rows_affected();
        if deleted == 0 {
            return Err(not_found());
        }
        Ok(())
    }
}
