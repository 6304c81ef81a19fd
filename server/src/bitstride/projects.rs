//! Projects: named groupings within an organization (names unique per organization).

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, ListParams, Project, ProjectCreate, ProjectList,
    ProjectUpdate,
};
use sqlx::Row as _;

use super::auth::Caller;
use super::store::{check_name, new_id, ord_now, org_rows, page, unique_or};
use super::{err, Bitstride};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

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

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::PROJECT_NOT_FOUND)
}

/// 400 unless `project_id` (when given) names a project of `org_id`.
pub async fn check_ref(
    db: &Db,
    org_id: &str,
    project_id: Option<&str>,
) -> Result<(), ErrorEnvelope> {
    let Some(id) = project_id else {
        return Ok(());
    };
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM bitstride_projects WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .fetch_optional(&mut *db.conn().await?)
            .await
            .map_err(crate::platform::DbError::from)?;
    match found {
        Some(_) => Ok(()),
        None => Err(err(
            ErrorCode::InvalidRequest,
            messages::UNKNOWN_PROJECT_REF,
        )),
    }
}

const COLUMNS: &str = "id, org_id, name, description, created_at, updated_at";

impl Bitstride {
    async fn project(&self, org_id: &str, id: &str) -> Result<Project, ErrorEnvelope> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM bitstride_projects WHERE id = $1 AND org_id = $2"
        )))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        match row {
            Some(r) => Ok(from_row(&r)?),
            None => Err(not_found()),
        }
    }

    /// `GET /v1/projects`.
    pub(super) async fn list_projects(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<ProjectList, ErrorEnvelope> {
        let all = org_rows(
            &self.db,
            "bitstride_projects",
            COLUMNS,
            &caller.org_id,
            from_row,
        )
        .await?;
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
        let now = now();
        let inserted = sqlx::query(
            "INSERT INTO bitstride_projects (id, org_id, name, description, ord, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(&caller.org_id)
        .bind(&body.name)
        .bind(body.description)
        .bind(ord_now())
        .bind(now)
        .execute(&mut *self.db.conn().await?)
        .await;
        inserted.map_err(|e| unique_or(e, messages::PROJECT_NAME_TAKEN))?;
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
        let updated = sqlx::query(
            "UPDATE bitstride_projects SET name = COALESCE($1, name),
                 description = COALESCE($2, description), updated_at = $3
             WHERE id = $4 AND org_id = $5",
        )
        .bind(body.name)
        .bind(body.description)
        .bind(now())
        .bind(id)
        .bind(&caller.org_id)
        .execute(&mut *self.db.conn().await?)
        .await;
        updated.map_err(|e| unique_or(e, messages::PROJECT_NAME_TAKEN))?;
        self.project(&caller.org_id, id).await
    }

    /// `DELETE /v1/projects/{id}`: what was filed under it is kept, without a project.
    pub(super) async fn delete_project(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        let mut tx = self.db.begin().await?;
        let deleted = sqlx::query("DELETE FROM bitstride_projects WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(&caller.org_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?
            .rows_affected();
        if deleted == 0 {
            return Err(not_found());
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
            .bind(&caller.org_id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        }
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        Ok(())
    }
}
