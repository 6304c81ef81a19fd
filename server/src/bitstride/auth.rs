//! Who is calling: a session JWT or a `bsk_` API key, both as
//! `Authorization: Bearer …`, and what that credential may do.
//!
//! A session token is an RS256 JWT from the platform's token service with
//! audience [`AUDIENCE`](super::AUDIENCE); its `sid` must name a live session
//! (logout and refresh-token reuse revoke sessions at once). An API key is a
//! platform credential of kind [`KEY_KIND`](super::store::KEY_KIND) owned by
//! the organization.

use quartet_api::bitstride::{messages, ApiKeyScope, CredentialKind, ErrorCode, ErrorEnvelope};

use super::accounts::{self, UserRow};
use super::{err, Bitstride, AUDIENCE};
use crate::platform::bearer::{self, BearerError};
use crate::platform::credentials::Lookup;
use crate::platform::oauth::VerifyError;
use crate::platform::Fault;

/// The prefix of every API key.
pub const KEY_PREFIX: &str = "bsk_";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account behind the credential.
    pub user: UserRow,
    /// The organization it acts for.
    pub org_id: String,
    /// How it authenticated.
    pub credential: Credential,
}

/// The credential of a request.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A session access token.
    Session {
        /// Session id (`sid`).
        session_id: String,
        /// Token expiry.
        expires_at: i64,
    },
    /// An API key.
    ApiKey {
        /// Key id.
        id: String,
        /// Granted scopes.
        scopes: Vec<ApiKeyScope>,
        /// Key expiry, if any.
        expires_at: Option<i64>,
    },
}

/// Every scope, in wire order.
pub const ALL_SCOPES: [ApiKeyScope; 3] = [
    ApiKeyScope::Read,
    ApiKeyScope::Write,
    ApiKeyScope::Inference,
];

/// The wire name of a scope.
pub fn scope_name(s: ApiKeyScope) -> &'static str {
    match s {
        ApiKeyScope::Read => "read",
        ApiKeyScope::Write => "write",
        ApiKeyScope::Inference => "inference",
    }
}

/// The scope called `name`, if any.
pub fn scope_from(name: &str) -> Option<ApiKeyScope> {
    ALL_SCOPES.into_iter().find(|s| scope_name(*s) == name)
}

impl Caller {
    /// What kind of credential it is.
    pub fn kind(&self) -> CredentialKind {
        match self.credential {
            Credential::Session { .. } => CredentialKind::Session,
            Credential::ApiKey { .. } => CredentialKind::ApiKey,
        }
    }

    /// Its scopes (sessions have all of them).
    pub fn scopes(&self) -> Vec<ApiKeyScope> {
        match &self.credential {
            Credential::Session { .. } => ALL_SCOPES.to_vec(),
            Credential::ApiKey { scopes, .. } => scopes.clone(),
        }
    }

    /// 403 unless the credential has `scope`.
    pub fn require(&self, scope: ApiKeyScope) -> Result<(), ErrorEnvelope> {
        if self.scopes().contains(&scope) {
            Ok(())
        } else {
            Err(err(
                ErrorCode::Forbidden,
                messages::missing_scope(scope_name(scope)),
            ))
        }
    }

    /// 403 unless the credential is a session; returns the session id.
    pub fn session(&self) -> Result<&str, ErrorEnvelope> {
        match &self.credential {
            Credential::Session { session_id, .. } => Ok(session_id),
            Credential::ApiKey { .. } => Err(err(ErrorCode::Forbidden, messages::SESSION_REQUIRED)),
        }
    }

    /// The API key id, when it is one.
    pub fn api_key_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey { id, .. } => Some(id),
            Credential::Session { .. } => None,
        }
    }
}

fn unauthorized(message: &str) -> ErrorEnvelope {
    err(ErrorCode::Unauthorized, message)
}

impl Bitstride {
    /// Authenticates the request's bearer credential.
    pub(super) async fn caller(&self, headers: &http::HeaderMap) -> Result<Caller, ErrorEnvelope> {
        let token = bearer::bearer(headers).map_err(|e| match e {
            BearerError::Missing => unauthorized(messages::MISSING_TOKEN),
            BearerError::NotBearer => unauthorized(messages::INVALID_TOKEN),
        })?;
        if token.starts_with(KEY_PREFIX) {
            return self.api_key_caller(token).await;
        }
        let claims = match self.tokens.verify(token, AUDIENCE).await {
            Ok(c) => c,
            Err(VerifyError::KeysUnavailable) => {
                return Err(Fault::unavailable("signing keys").into())
            }
            Err(_) => return Err(unauthorized(messages::INVALID_TOKEN)),
        };
        let sid = claims
            .extra
            .get("sid")
            .and_then(|v| v.as_str())
            .ok_or_else(|| unauthorized(messages::INVALID_TOKEN))?;
        let live = accounts::sessions::live_session(&self.db, sid, &claims.sub).await?;
        let Some(user) = live else {
            return Err(unauthorized(messages::INVALID_TOKEN));
        };
        Ok(Caller {
            org_id: user.org_id.clone(),
            user,
            credential: Credential::Session {
                session_id: sid.to_owned(),
                expires_at: claims.exp,
            },
        })
    }

    async fn api_key_caller(&self, token: &str) -> Result<Caller, ErrorEnvelope> {
        let credential = match self.keys.authenticate(token).await? {
            Lookup::Valid(c) => c,
            _ => return Err(unauthorized(messages::INVALID_TOKEN)),
        };
        let org_id = credential
            .owner
            .clone()
            .ok_or_else(|| unauthorized(messages::INVALID_TOKEN))?;
        let user_id = credential
            .attributes
            .get("user_id")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let user = accounts::users::get(&self.db, user_id)
            .await?
            .filter(|u| u.org_id == org_id)
            .ok_or_else(|| unauthorized(messages::INVALID_TOKEN))?;
        Ok(Caller {
            user,
            org_id,
            credential: Credential::ApiKey {
                id: credential.id,
                scopes: credential
                    .scopes
                    .iter()
                    .filter_map(|s| scope_from(s))
                    .collect(),
                expires_at: credential.expires_at,
            },
        })
    }
}
