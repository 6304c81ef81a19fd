//! Datasets: metadata, the uploaded JSONL file (kept in the database beside
//! the row), and validation of every line against the declared row format.

mod store;
pub mod validate;

use quartet_api::bitstride::{
    messages, Dataset, DatasetCreate, DatasetList, DatasetPurpose, DatasetRowFormat, DatasetStatus,
    DatasetUpdate, DatasetValidationReport, ErrorCode, ErrorEnvelope, ListParams,
};

use super::auth::Caller;
use super::projects::check_ref;
use super::store::{check_name, new_id, page};
use super::{err, Bitstride};
use crate::platform::storage::now;
use store::NewDataset;
pub use store::{file, get};

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
        let all = store::list(&self.db, &caller.org_id).await?;
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
        store::insert(
            &self.db,
            &caller.org_id,
            &id,
            NewDataset {
                name: body.name,
                description: body.description,
                project_id: body.project_id,
                purpose: body.purpose,
                row_format,
            },
        )
        .await?;
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
        store::update(
            &self.db,
            &caller.org_id,
            id,
            body.name,
            body.description,
            body.project_id,
        )
        .await?;
        self.dataset(&caller.org_id, id).await
    }

    /// `DELETE /v1/datasets/{id}` (and its file).
    pub(super) async fn delete_dataset(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        if !store::delete(&self.db, &caller.org_id, id).await? {
            return Err(not_found());
        }
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
        store::store_file(&self.db, &caller.org_id, id, data, rows).await?;
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
        let set_status =
            |status: DatasetStatus| store::set_status(&self.db, &caller.org_id, id, status);
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
