//! Datasets: metadata, the uploaded JSONL file (kept in the database beside
//! the row), and validation of every line against the declared row format.

pub mod validate;

use quartet_api::bitstride::{
    messages, Dataset, DatasetCreate, DatasetList, DatasetPurpose, DatasetRowFormat, DatasetStatus,
    DatasetUpdate, DatasetValidationReport, ErrorCode, ErrorEnvelope, ListParams,
};
use sqlx::Row as _;

use super::auth::Caller;
use super::projects::check_ref;
use super::store::{check_name, enum_text, new_id, ord_now, org_rows, page, parse_enum};
use super::{err, Bitstride};
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

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::DATASET_NOT_FOUND)
}

/// Row formats a purpose accepts.
pub fn fits(purpose: DatasetPurpose, format: DatasetRowFormat) -> bool {
    match purpose {
        DatasetPurpose::FineTuning => format != DatasetRowFormat::Prompt,
        DatasetPurpose::Rl => format == DatasetRowFormat::Prompt,
    }
}

/// The dataset `id` of `org_id`.
pub async fn get(db: &Db, org_id: &str, id: &str) -> Result<Option<Dataset>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_datasets WHERE id = $1 AND org_id = $2"
    )))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
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

impl Bitstride {
    async fn dataset(&self, org_id: &str, id: &str) -> Result<Dataset, ErrorEnvelope> {
        get(&self.db, org_id, id).await?.ok_or_else(not_found)
    }

    /// `GET /v1/datasets`.
    pub(super) async fn list_datasets(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<DatasetList, ErrorEnvelope> {
        let all = org_rows(
            &self.db,
            "bitstride_datasets",
            COLUMNS,
            &caller.org_id,
            from_row,
        )
        .await?;
        let (data, has_more) = page(all, params, |d| &d.id)?;
        Ok(DatasetList {
            object: "list".into(),
            data,
            has_more,
        })
    }

    /// `POST /v1/datasets`.
    pub(super) async fn create_dataset(
        &self,
        caller: &Caller,
        body: DatasetCreate,
    ) -> Result<Dataset, ErrorEnvelope> {
        check_name(&body.name)?;
        let row_format = body.row_format.unwrap_or(match body.purpose {
            DatasetPurpose::FineTuning => DatasetRowFormat::Chat,
            DatasetPurpose::Rl => DatasetRowFormat::Prompt,
        });
        if !fits(body.purpose, row_format) {
            return Err(err(ErrorCode::InvalidRequest, messages::ROW_FORMAT_PURPOSE));
        }
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        let id = new_id("ds");
        let now = now();
        sqlx::query(
            "INSERT INTO bitstride_datasets (id, org_id, name, description, project_id, purpose,
                 format, row_format, status, ord, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(&caller.org_id)
        .bind(&body.name)
        .bind(body.description)
        .bind(body.project_id)
        .bind(enum_text(&body.purpose))
        .bind("jsonl")
        .bind(enum_text(&row_format))
        .bind(enum_text(&DatasetStatus::PendingUpload))
        .bind(ord_now())
        .bind(now)
        .execute(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        self.dataset(&caller.org_id, &id).await
    }

    /// `GET /v1/datasets/{id}`.
    pub(super) async fn get_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Dataset, ErrorEnvelope> {
        self.dataset(&caller.org_id, id).await
    }

    /// `PUT /v1/datasets/{id}`.
    pub(super) async fn update_dataset(
        &self,
        caller: &Caller,
        id: &str,
        body: DatasetUpdate,
    ) -> Result<Dataset, ErrorEnvelope> {
        self.dataset(&caller.org_id, id).await?;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        sqlx::query(
            "UPDATE bitstride_datasets SET name = COALESCE($1, name),
                 description = COALESCE($2, description), project_id = COALESCE($3, project_id),
                 updated_at = $4
             WHERE id = $5 AND org_id = $6",
        )
        .bind(body.name)
        .bind(body.description)
        .bind(body.project_id)
        .bind(now())
        .bind(id)
        .bind(&caller.org_id)
        .execute(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        self.dataset(&caller.org_id, id).await
    }

    /// `DELETE /v1/datasets/{id}` (and its file).
    pub(super) async fn delete_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        let mut tx = self.db.begin().await?;
        let deleted = sqlx::query("DELETE FROM bitstride_datasets WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(&caller.org_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?
            .rows_affected();
        if deleted == 0 {
            return Err(not_found());
        }
        sqlx::query("DELETE FROM bitstride_blobs WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(&caller.org_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        Ok(())
    }

    /// `POST /v1/datasets/{id}/upload`: replaces the file; status `uploaded`.
    pub(super) async fn upload_dataset(
        &self,
        caller: &Caller,
        id: &str,
        data: &[u8],
    ) -> Result<Dataset, ErrorEnvelope> {
        self.dataset(&caller.org_id, id).await?;
        let rows = validate::lines(data).count() as i64;
        if rows == 0 {
            return Err(err(ErrorCode::InvalidRequest, messages::EMPTY_UPLOAD));
        }
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM bitstride_blobs WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(&caller.org_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        sqlx::query("INSERT INTO bitstride_blobs (id, org_id, data) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(&caller.org_id)
            .bind(data.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        sqlx::query(
            "UPDATE bitstride_datasets SET status = $1, bytes = $2, row_count = $3, updated_at = $4
             WHERE id = $5 AND org_id = $6",
        )
        .bind(enum_text(&DatasetStatus::Uploaded))
        .bind(data.len() as i64)
        .bind(rows)
        .bind(now())
        .bind(id)
        .bind(&caller.org_id)
        .execute(&mut *tx)
        .await
        .map_err(crate::platform::DbError::from)?;
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        self.dataset(&caller.org_id, id).await
    }

    /// `POST /v1/datasets/{id}/validate`.
    pub(super) async fn validate_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<DatasetValidationReport, ErrorEnvelope> {
        let dataset = self.dataset(&caller.org_id, id).await?;
        let Some(data) = file(&self.db, &caller.org_id, id).await? else {
            return Err(err(ErrorCode::InvalidState, messages::DATASET_NOT_UPLOADED));
        };
        let set_status = |status: DatasetStatus| {
            let db = self.db.clone();
            let org = caller.org_id.clone();
            let id = id.to_owned();
            async move {
                sqlx::query(
                    "UPDATE bitstride_datasets SET status = $1, updated_at = $2
                     WHERE id = $3 AND org_id = $4",
                )
                .bind(enum_text(&status))
                .bind(now())
                .bind(id)
                .bind(org)
                .execute(&mut *db.conn().await?)
                .await?;
                Ok::<_, DbError>(())
            }
        };
        set_status(DatasetStatus::Validating).await?;
        let format = dataset.row_format;
        let outcome = tokio::task::spawn_blocking(move || validate::validate(format, &data))
            .await
            .map_err(crate::platform::Fault::from)?;
        let status = if outcome.invalid == 0 {
            DatasetStatus::Valid
        } else {
            DatasetStatus::Invalid
        };
        set_status(status).await?;
        Ok(DatasetValidationReport {
            object: "dataset.validation_report".into(),
            dataset_id: dataset.id,
            status,
            row_count: outcome.rows,
            valid_rows: outcome.rows - outcome.invalid,
            invalid_rows: outcome.invalid,
            errors: outcome.errors,
            checked_at: now(),
        })
    }
}
