//! Accounts and sessions: registration, email/password sign-in (with
//! throttling and the MFA second step), refresh, logout and introspection;
//! email verification and password recovery are in [`recovery`].

pub mod passwords;
pub mod recovery;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use recovery::password_rules;

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, LoginRequest, LoginResponse, RegisterRequest, Session,
    TokenInfo,
};

pub use users::UserRow;

use super::auth::{Caller, Credential};
use super::{err, mfa, Bitstride};
use crate::platform::Fault;

/// What a sign-in step answers: a session, the MFA challenge, or how long to wait.
pub enum SignIn {
    /// Signed in (or the MFA challenge).
    Answer(Box<LoginResponse>),
    /// Throttled for this many seconds.
    Throttled(i64),
}

/// A full session as a sign-in answer.
pub fn signed_in(s: Session) -> LoginResponse {
    LoginResponse {
        mfa_required: false,
        mfa_token: None,
        access_token: Some(s.access_token),
        refresh_token: Some(s.refresh_token),
        token_type: Some(s.token_type),
        expires_in: Some(s.expires_in),
        user: Some(s.user),
    }
}

impl Bitstride {
    /// `POST /v1/auth/register`.
    pub(super) async fn register(&self, body: RegisterRequest) -> Result<Session, ErrorEnvelope> {
        let email = body.email.trim().to_lowercase();
        if !users::is_email(&email) {
            return Err(err(ErrorCode::InvalidRequest, messages::EMAIL_FORMAT));
        }
        password_rules(&body.password)?;
        let organization_name = body
            .organization_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.clone());
        if organization_name.chars().count() > 100 {
            return Err(err(ErrorCode::InvalidRequest, messages::NAME_LENGTH));
        }
        let hash = passwords::hash(body.password).await?;
        let created = users::create(
            &self.db,
            users::NewUser {
                email,
                name: body.name.filter(|n| !n.trim().is_empty()),
                password_hash: Some(hash),
                organization_name,
                email_verified: false,
            },
        )
        .await;
        let user = match created {
            Ok(u) => u,
            Err(e) if e.is_unique_violation() => {
                return Err(err(ErrorCode::Conflict, messages::EMAIL_TAKEN))
            }
            Err(e) => return Err(e.into()),
        };
        self.mail_verification_detached(&user).await;
        Ok(sessions::start(&self.db, &self.tokens, &user).await?)
    }

    /// `POST /v1/auth/login`. The attempt is counted before the password is
    /// checked (see [`throttle`]), so a locked address never reaches Argon2.
    pub(super) async fn login(&self, body: LoginRequest) -> Result<SignIn, ErrorEnvelope> {
        let email = body.email.trim().to_lowercase();
        let lock = match throttle::reserve(&self.db, &email).await? {
            throttle::Attempt::Locked(wait) => return Ok(SignIn::Throttled(wait)),
            throttle::Attempt::Reserved(lock) => lock,
        };
        let user = users::by_email(&self.db, &email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if !passwords::verify(body.password, stored).await? {
            return match lock {
                Some(wait) => Ok(SignIn::Throttled(wait)),
                None => Err(err(
                    ErrorCode::InvalidCredentials,
                    messages::INVALID_CREDENTIALS,
                )),
            };
        }
        throttle::cleared(&self.db, &email).await?;
        let user = user.ok_or_else(|| Fault::internal("verified a password without an account"))?;
        Ok(SignIn::Answer(Box::new(self.sign_in(&user).await?)))
    }

    /// The answer of a successful first factor: a session, or the MFA challenge.
    pub(super) async fn sign_in(&self, user: &UserRow) -> Result<LoginResponse, ErrorEnvelope> {
        if user.mfa_secret.is_some() {
            let token = mfa::challenge(&self.db, &user.id).await?;
            return Ok(LoginResponse {
                mfa_required: true,
                mfa_token: Some(token),
                access_token: None,
                refresh_token: None,
                token_type: None,
                expires_in: None,
                user: None,
            });
        }
        Ok(signed_in(
            sessions::start(&self.db, &self.tokens, user).await?,
        ))
    }

    /// `POST /v1/auth/refresh`.
    pub(super) async fn refresh(&self, token: &str) -> Result<Session, ErrorEnvelope> {
        match sessions::refresh(&self.db, &self.tokens, token).await? {
            Ok(s) => Ok(s),
            Err(_) => Err(err(
                ErrorCode::Unauthorized,
                messages::INVALID_REFRESH_TOKEN,
            )),
        }
    }

    /// `POST /v1/auth/logout`.
    pub(super) async fn logout(&self, caller: &Caller) -> Result<(), ErrorEnvelope> {
        let sid = caller.session()?;
        sessions::revoke(&self.db, sid, "logout").await?;
        Ok(())
    }

    /// `GET /v1/auth/verify`.
    pub(super) fn token_info(&self, caller: &Caller) -> TokenInfo {
        let (api_key_id, expires_at) = match &caller.credential {
            Credential::Session { expires_at, .. } => (None, Some(*expires_at)),
            Credential::ApiKey { id, expires_at, .. } => (Some(id.clone()), *expires_at),
        };
        TokenInfo {
            object: "token_info".into(),
            active: true,
            credential: caller.kind(),
            user: caller.user.to_wire(),
            org_id: caller.org_id.clone(),
            scopes: caller.scopes(),
            api_key_id,
            expires_at,
        }
    }
}
