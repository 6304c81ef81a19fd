//! Models: registered weights, training outputs (with their lineage), and the
//! base models the configured trainer can start from (listed, not stored).

mod store;

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, ListParams, Model, ModelCreate, ModelList, ModelSource,
    ModelUpdate,
};

use super::auth::Caller;
use super::projects::check_ref;
use super::store::{check_name, new_id, page};
use super::{err, Bitstride};
use crate::platform::storage::now;
pub use store::{get, insert, NewModel};

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::MODEL_NOT_FOUND)
}

impl Bitstride {
    /// `GET /v1/models`: the organization's models, newest first.
    pub(super) async fn list_models(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<ModelList, ErrorEnvelope> {
        let mut all = store::list(&self.db, &caller.org_id).await?;
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
        store::update(&self.db, &caller.org_id, id, body).await?;
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
        if !store::delete(&self.db, &caller.org_id, id).await? {
            return Err(not_found());
        }
        Ok(())
    }
}
