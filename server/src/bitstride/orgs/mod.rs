//! The caller's organization: read, update, and delete with everything in it.

mod store;

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, Organization, OrganizationUpdate,
};

use super::accounts::users::is_email;
use super::auth::Caller;
use super::{err, Bitstride};
pub use store::created_at;

impl Bitstride {
    async fn org(&self, org_id: &str) -> Result<Organization, ErrorEnvelope> {
        store::get(&self.db, org_id)
            .await?
            .ok_or_else(|| err(ErrorCode::Unauthorized, messages::INVALID_TOKEN))
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
        store::update(&self.db, &caller.org_id, body.name, body.billing_email).await?;
        self.org(&caller.org_id).await
    }

    /// `DELETE /v1/orgs/current`: only the owner, with a session.
    pub(super) async fn delete_org(&self, caller: &Caller) -> Result<(), ErrorEnvelope> {
        caller.session()?;
        let org = self.org(&caller.org_id).await?;
        if org.owner_user_id != caller.user.id {
            return Err(err(ErrorCode::Forbidden, messages::SESSION_REQUIRED));
        }
        store::delete(&self.db, &org.id, super::jobs::CHANNEL).await?;
        self.keys.revoke_owner(&org.id).await?;
        Ok(())
    }
}
