//! Projects: named groupings within an organization (names unique per organization).

mod store;

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, ListParams, Project, ProjectCreate, ProjectList,
    ProjectUpdate,
};

use super::auth::Caller;
use super::store::{check_name, new_id, page, unique_or};
use super::{err, Bitstride};
use crate::platform::Db;

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::PROJECT_NOT_FOUND)
}

/// 400 unless `project_id` (when given) names a project of `org_id`.
pub async fn check_ref(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
) -> Result<(), ErrorEnvelope> {
    match project_id {
        Some(id) if !store::exists(db, org_id, id).await? => Err(err(
            ErrorCode::InvalidRequest,
            messages::UNKNOWN_PROJECT_REF,
        )),
        _ => Ok(()),
    }
}

impl Bitstride {
    async fn project(&self, org_id: &str, id: &str) -> Result<Project, ErrorEnvelope> {
        store::get(&self.db, org_id, id)
            .await?
            .ok_or_else(not_found)
    }

    /// `GET /v1/projects`.
    pub(super) async fn list_projects(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<ProjectList, ErrorEnvelope> {
        let all = store::list(&self.db, &caller.org_id).await?;
        let (data, has_more) = page(all, params, |p| &p.id)?;
        Ok(ProjectList {
            object: "list".into(),
            data,
            has_more,
        })
    }

    /// `POST /v1/projects`.
    pub(super) async fn create_project(
        &self,
        caller: &Caller,
        body: ProjectCreate,
    ) -> Result<Project, ErrorEnvelope> {
        check_name(&body.name)?;
        let id = new_id("proj");
        store::insert(&self.db, &caller.org_id, &id, &body.name, body.description)
            .await
            .map_err(|e| unique_or(e, messages::PROJECT_NAME_TAKEN))?;
        self.project(&caller.org_id, &id).await
    }

    /// `GET /v1/projects/{id}`.
    pub(super) async fn get_project(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Project, ErrorEnvelope> {
        self.project(&caller.org_id, id).await
    }

    /// `PUT /v1/projects/{id}`.
    pub(super) async fn update_project(
        &self,
        caller: &Caller,
        id: &str,
        body: ProjectUpdate,
    ) -> Result<Project, ErrorEnvelope> {
        self.project(&caller.org_id, id).await?;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        store::update(&self.db, &caller.org_id, id, body.name, body.description)
            .await
            .map_err(|e| unique_or(e, messages::PROJECT_NAME_TAKEN))?;
        self.project(&caller.org_id, id).await
    }

    /// `DELETE /v1/projects/{id}`: what was filed under it is kept, without a project.
    pub(super) async fn delete_project(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        if store::delete(&self.db, &caller.org_id, id).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}
