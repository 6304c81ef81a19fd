//! API keys: `bsk_` + 40 hex digits, shown once, kept as platform credentials
//! (SHA-256 only) owned by the organization, with scopes and last-used time.

use quartet_api::bitstride::{
    messages, ApiKey, ApiKeyCreate, ApiKeyList, ApiKeyScope, ApiKeyUpdate, CreatedApiKey,
    ErrorCode, ErrorEnvelope, ListParams,
};
use serde_json::json;

use super::auth::{scope_from, scope_name, Caller, ALL_SCOPES, KEY_PREFIX};
use super::store::{check_name, new_id, page};
use super::{err, Bitstride};
use crate::platform::credentials::{Credential, CredentialUpdate, NewCredential};
use crate::platform::secrets::random_hex;
use crate::platform::storage::now;

fn to_wire(c: &Credential) -> ApiKey {
    ApiKey {
        object: "api_key".into(),
        id: c.id.clone(),
        name: c.label.clone(),
        prefix: c.prefix.clone(),
        scopes: c.scopes.iter().filter_map(|s| scope_from(s)).collect(),
        created_at: c.created_at,
        last_used_at: c.last_used_at,
        expires_at: c.expires_at,
    }
}

fn names(scopes: &[ApiKeyScope]) -> Vec<String> {
    // Stored in a fixed order, without duplicates.
    ALL_SCOPES
        .iter()
        .filter(|s| scopes.contains(s))
        .map(|s| scope_name(*s).to_owned())
        .collect()
}

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::API_KEY_NOT_FOUND)
}

impl Bitstride {
    /// `GET /v1/api_keys` (live keys, newest first).
    pub(super) async fn list_api_keys(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<ApiKeyList, ErrorEnvelope> {
        caller.session()?;
        let mut keys: Vec<Credential> = self
            .keys
            .list(Some(&caller.org_id))
            .await?
            .into_iter()
            .filter(|c| c.revoked_at.is_none())
            .collect();
        keys.reverse();
        let (data, has_more) = page(keys, params, |c| &c.id)?;
        Ok(ApiKeyList {
            object: "list".into(),
            data: data.iter().map(to_wire).collect(),
            has_more,
        })
    }

    /// `POST /v1/api_keys`.
    pub(super) async fn create_api_key(
        &self,
        caller: &Caller,
        body: ApiKeyCreate,
    ) -> Result<CreatedApiKey, ErrorEnvelope> {
        caller.session()?;
        check_name(&body.name)?;
        if body.expires_at.is_some_and(|at| at <= now()) {
            return Err(err(ErrorCode::InvalidRequest, messages::EXPIRY_IN_PAST));
        }
        let scopes = names(body.scopes.as_deref().unwrap_or(&ALL_SCOPES));
        let secret = format!("{KEY_PREFIX}{}", random_hex(20));
        let mut attributes = serde_json::Map::new();
        attributes.insert("user_id".into(), json!(caller.user.id));
        let c = self
            .keys
            .create(NewCredential {
                id: new_id("key"),
                secret: secret.clone(),
                prefix_len: 12,
                label: body.name,
                owner: Some(caller.org_id.clone()),
                scopes,
                attributes,
                expires_at: body.expires_at,
            })
            .await?;
        let wire = to_wire(&c);
        Ok(CreatedApiKey {
            object: wire.object,
            id: wire.id,
            name: wire.name,
            key: secret,
            prefix: wire.prefix,
            scopes: wire.scopes,
            created_at: wire.created_at,
            expires_at: wire.expires_at,
        })
    }

    /// `PUT /v1/api_keys/{id}`.
    pub(super) async fn update_api_key(
        &self,
        caller: &Caller,
        id: &str,
        body: ApiKeyUpdate,
    ) -> Result<ApiKey, ErrorEnvelope> {
        caller.session()?;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        let updated = self
            .keys
            .update(
                id,
                Some(&caller.org_id),
                CredentialUpdate {
                    label: body.name,
                    scopes: body.scopes.as_deref().map(names),
                },
            )
            .await?;
        updated.as_ref().map(to_wire).ok_or_else(not_found)
    }

    /// `DELETE /v1/api_keys/{id}`.
    pub(super) async fn delete_api_key(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ErrorEnvelope> {
        caller.session()?;
        if self.keys.revoke(id, Some(&caller.org_id)).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }
}
