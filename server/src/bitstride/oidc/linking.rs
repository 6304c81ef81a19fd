//! Which account a provider's identity reaches, and the signed-in account's
//! identity operations (list, unlink).
//!
//! The rules, in order:
//! 1. A linked (provider, subject) signs in to its account, whatever email the
//!    provider reports now.
//! 2. A new (provider, subject) whose email the provider does not report as
//!    verified reaches nothing (502 `upstream_error`): no account is created and
//!    none is linked, so no one can claim an address through a provider.
//! 3. A new (provider, subject) with a verified email that no account has
//!    creates the account (email verified) and links the identity.
//! 4. A new (provider, subject) with a verified email that an account has links
//!    to it only when that account's own email is verified and it has no other
//!    identity of this provider; otherwise 409 `identity_link_required`, with no
//!    session: the owner signs in another way and links from their settings.
//!
//! A link flow (a state from `POST /v1/auth/link/{provider}`) skips the email
//! rules: the caller proved both the session and the provider account.

use quartet_api::bitstride::{messages, ErrorCode, ErrorEnvelope, IdentityList, LoginResponse};
use serde_json::Value;

use super::identities::{self, LinkError, UnlinkError};
use super::store::LinkOwner;
use super::upstream;
use crate::bitstride::accounts::users::{self, UserRow};
use crate::bitstride::auth::Caller;
use crate::bitstride::{err, Bitstride};

/// Longest subject accepted from a provider.
const MAX_SUBJECT: usize = 255;

/// What the provider said about the user.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The stable subject id (`sub`).
    pub subject: String,
    /// Lower-cased email, when it has the form of one.
    pub email: Option<String>,
    /// Whether the provider vouches for the email (`email_verified: true`).
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
}

impl Reported {
    /// Reads the ID token's claims (or the userinfo answer); `None` without a usable `sub`.
    pub fn from_claims(claims: &Value) -> Option<Self> {
        let subject = match claims.get("sub")? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if subject.is_empty()
            || subject.len() > MAX_SUBJECT
            || subject.chars().any(char::is_control)
        {
            return None;
        }
        Some(Self {
            subject,
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(|e| e.trim().to_lowercase())
                .filter(|e| users::is_email(e)),
            email_verified: claims.get("email_verified").and_then(Value::as_bool) == Some(true),
            name: claims
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The email, if the provider vouches for it.
    fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

fn link_required() -> ErrorEnvelope {
    err(
        ErrorCode::IdentityLinkRequired,
        messages::IDENTITY_LINK_REQUIRED,
    )
}

impl Bitstride {
    /// A sign-in with the provider (no link flow): rules 1 to 4 of this module.
    pub(super) async fn provider_sign_in(
        &self,
        provider: &str,
        who: &Reported,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        if let Some(user) = self.linked_account(provider, who).await? {
            return self.sign_in(&user).await;
        }
        let email = who
            .verified_email()
            .ok_or_else(|| err(ErrorCode::UpstreamError, messages::OAUTH_NO_VERIFIED_EMAIL))?;
        let existing = match users::by_email(&self.db, email).await? {
            Some(u) => u,
            None => match self.create_account(email, who).await? {
                Some(created) => return self.link_new(provider, who, created).await,
                // Signed up at the same moment by another request: an existing account.
                None => users::by_email(&self.db, email)
                    .await?
                    .ok_or_else(upstream)?,
            },
        };
        if !users::email_verified(&self.db, &existing.id).await? {
            return Err(link_required());
        }
        match identities::link(&self.db, provider, &who.subject, &existing.id, Some(email)).await? {
            Ok(()) => self.signed_in_through(provider, who, &existing).await,
            Err(LinkError::ProviderLinked) => Err(link_required()),
            // The same identity was linked by a concurrent sign-in: use that.
            Err(LinkError::Taken) => self.sign_in_linked(provider, who).await,
        }
    }

    /// The account (`provider`, `who.subject`) is linked to, recording the sign-in.
    async fn linked_account(
        &self,
        provider: &str,
        who: &Reported,
    ) -> Result<Option<UserRow>, ErrorEnvelope> {
        let Some(identity) = identities::find(&self.db, provider, &who.subject).await? else {
            return Ok(None);
        };
        match users::get(&self.db, &identity.user_id).await? {
            Some(user) => {
                identities::touch(&self.db, provider, &who.subject, who.email.as_deref()).await?;
                Ok(Some(user))
            }
            None => {
                // Its account was deleted: the identity is free again.
                identities::forget(&self.db, provider, &who.subject).await?;
                Ok(None)
            }
        }
    }

    /// Creates an OAuth-only account for `email` (verified by the provider);
    /// `None` when the email was taken meanwhile.
    async fn create_account(
        &self,
        email: &str,
        who: &Reported,
    ) -> Result<Option<UserRow>, ErrorEnvelope> {
        let created = users::create(
            &self.db,
            users::NewUser {
                email: email.to_owned(),
                name: who.name.clone(),
                password_hash: None,
                organization_name: email.to_owned(),
                email_verified: true,
            },
        )
        .await;
        match created {
            Ok(u) => Ok(Some(u)),
            Err(e) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Links the identity to the account just created for it and signs in.
    async fn link_new(
        &self,
        provider: &str,
        who: &Reported,
        created: UserRow,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        match identities::link(
            &self.db,
            provider,
            &who.subject,
            &created.id,
            who.email.as_deref(),
        )
        .await?
        {
            Ok(()) => self.signed_in_through(provider, who, &created).await,
            Err(_) => self.sign_in_linked(provider, who).await,
        }
    }

    /// Signs in the account a concurrent sign-in linked the identity to (it
    /// won the race to link it); 502 when that account is gone too.
    async fn sign_in_linked(
        &self,
        provider: &str,
        who: &Reported,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        match self.linked_account(provider, who).await? {
            Some(user) => self.sign_in(&user).await,
            None => Err(upstream()),
        }
    }

    /// Marks the identity used and answers the sign-in of `user`.
    async fn signed_in_through(
        &self,
        provider: &str,
        who: &Reported,
        user: &UserRow,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        identities::touch(&self.db, provider, &who.subject, who.email.as_deref()).await?;
        self.sign_in(user).await
    }

    /// The callback of a link flow: links the identity to the flow's account
    /// (409 if it belongs to another account, or the account has another identity
    /// of this provider), then signs that account in.
    pub(super) async fn link_and_sign_in(
        &self,
        provider: &str,
        who: &Reported,
        owner: &LinkOwner,
    ) -> Result<LoginResponse, ErrorEnvelope> {
        let user = users::get(&self.db, &owner.user_id)
            .await?
            .ok_or_else(|| err(ErrorCode::Unauthorized, messages::INVALID_TOKEN))?;
        match identities::link(
            &self.db,
            provider,
            &who.subject,
            &user.id,
            who.email.as_deref(),
        )
        .await?
        {
            Ok(()) => self.signed_in_through(provider, who, &user).await,
            Err(LinkError::Taken) => Err(err(ErrorCode::Conflict, messages::IDENTITY_TAKEN)),
            Err(LinkError::ProviderLinked) => {
                Err(err(ErrorCode::Conflict, messages::PROVIDER_ALREADY_LINKED))
            }
        }
    }

    /// `GET /v1/auth/identities`.
    pub(in crate::bitstride) async fn list_identities(
        &self,
        caller: &Caller,
    ) -> Result<IdentityList, ErrorEnvelope> {
        let rows = identities::of_user(&self.db, &caller.user.id).await?;
        Ok(IdentityList {
            object: "list".into(),
            data: rows.iter().map(|r| r.to_wire()).collect(),
            has_more: false,
        })
    }

    /// `DELETE /v1/auth/identities/{provider}`.
    pub(in crate::bitstride) async fn unlink_identity(
        &self,
        caller: &Caller,
        provider: &str,
    ) -> Result<(), ErrorEnvelope> {
        match identities::unlink(&self.db, &caller.user.id, provider).await? {
            Ok(()) => Ok(()),
            Err(UnlinkError::NotFound) => {
                Err(err(ErrorCode::NotFound, messages::IDENTITY_NOT_FOUND))
            }
            Err(UnlinkError::LastMethod) => {
                Err(err(ErrorCode::InvalidState, messages::LAST_SIGN_IN_METHOD))
            }
        }
    }
}
