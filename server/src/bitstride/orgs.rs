//! The caller's organization: read, update, and delete with everything in it.

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, Organization, OrganizationUpdate,
};
use sqlx::Row as _;

use super::accounts::users::is_email;
use super::auth::Caller;
use super::{err, Bitstride};
use crate::platform::storage::now;

/// Tables whose rows belong to an organization through `org_id`.
const ORG_TABLES: [&str; 9] = [
    "bitstride_projects",
    "bitstride_models",
    "bitstride_datasets",
    "bitstride_deployments",
    "bitstride_usage",
    "bitstride_invoice_status",
    "bitstride_blobs",
    "bitstride_sessions",
    "bitstride_users",
];

impl Bitstride {
    async fn org(&self, org_id: &str) -> Result<Organization, ErrorEnvelope> {
        let row = sqlx::query(
            "SELECT id, name, billing_email, owner_user_id, created_at, updated_at
             FROM bitstride_orgs WHERE id = $1",
        )
        .bind(org_id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?
        .ok_or_else(|| err(ErrorCode::Unauthorized, messages::INVALID_TOKEN))?;
        let get = |e: sqlx::Error| ErrorEnvelope::from(crate::platform::DbError::from(e));
        Ok(Organization {
            object: "organization".into(),
            id: row.try_get("id").map_err(get)?,
            name: row.try_get("name").map_err(get)?,
            billing_email: row.try_get("billing_email").map_err(get)?,
            owner_user_id: row.try_get("owner_user_id").map_err(get)?,
            created_at: row.try_get("created_at").map_err(get)?,
            updated_at: row.try_get("updated_at").map_err(get)?,
        })
    }

    /// `GET /v1/orgs/current`.
    pub(super) async fn get_org(&self, caller: &Caller) -> Result<Organization, ErrorEnvelope> {
        self.org(&caller.org_id).await
    }

    /// `PUT /v1/orgs/current`.
    pub(super) async fn update_org(
        &self,
        caller: &Caller,
        body: OrganizationUpdate,
    ) -> Result<Organization, ErrorEnvelope> {
        if let Some(name) = &body.name {
            if name.trim().is_empty() || name.chars().count() > 100 {
                return Err(err(ErrorCode::InvalidRequest, messages::NAME_LENGTH));
            }
        }
        if let Some(email) = &body.billing_email {
            if !is_email(email) {
                return Err(err(ErrorCode::InvalidRequest, messages::EMAIL_FORMAT));
            }
        }
        sqlx::query(
            "UPDATE bitstride_orgs SET name = COALESCE($1, name),
                 billing_email = COALESCE($2, billing_email), updated_at = $3
             WHERE id = $4",
        )
        .bind(body.name)
        .bind(body.billing_email)
        .bind(now())
        .bind(&caller.org_id)
        .execute(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        self.org(&caller.org_id).await
    }

    /// `DELETE /v1/orgs/current`: only the owner, with a session.
    pub(super) async fn delete_org(&self, caller: &Caller) -> Result<(), ErrorEnvelope> {
        caller.session()?;
        let org = self.org(&caller.org_id).await?;
        if org.owner_user_id != caller.user.id {
            return Err(err(ErrorCode::Forbidden, messages::SESSION_REQUIRED));
        }
        let mut tx = self.db.begin().await?;
        let users: Vec<String> =
            sqlx::query_scalar("SELECT id FROM bitstride_users WHERE org_id = $1")
                .bind(&org.id)
                .fetch_all(&mut *tx)
                .await
                .map_err(crate::platform::DbError::from)?;
        for user in &users {
            for table in ["bitstride_recovery_codes", "bitstride_mfa_tokens"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE user_id = $1"
                )))
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(crate::platform::DbError::from)?;
            }
        }
        sqlx::query(
            "DELETE FROM bitstride_refresh_tokens WHERE session_id IN
                 (SELECT id FROM bitstride_sessions WHERE org_id = $1)",
        )
        .bind(&org.id)
        .execute(&mut *tx)
        .await
        .map_err(crate::platform::DbError::from)?;
        sqlx::query(
            "DELETE FROM bitstride_job_events WHERE job_id IN
                 (SELECT id FROM bitstride_jobs WHERE org_id = $1)",
        )
        .bind(&org.id)
        .execute(&mut *tx)
        .await
        .map_err(crate::platform::DbError::from)?;
        for table in ORG_TABLES.iter().chain(["bitstride_jobs"].iter()) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE org_id = $1"
            )))
            .bind(&org.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        }
        sqlx::query("DELETE FROM bitstride_orgs WHERE id = $1")
            .bind(&org.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        crate::platform::changes::publish(
            &mut tx,
            self.db.backend(),
            super::jobs::CHANNEL,
            &format!("org-deleted {}", org.id),
        )
        .await?;
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        self.keys.revoke_owner(&org.id).await?;
        Ok(())
    }
}
