//! TOTP multi-factor authentication (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step of clock skew either way), one-time recovery codes (stored
//! as SHA-256 digests), and the short-lived `mfa_token` of the second sign-in
//! step, which dies after [`MAX_CODE_FAILURES`] wrong codes. TOTP secrets are
//! sealed at rest, bound to their user ([`SEALED_PURPOSE`]).
//!
//! Every code of the second step is counted before it is checked, against its
//! `mfa_token` and against the account ([`lockout`]); only a code with both
//! reservations is evaluated.

pub mod lockout;
mod store;

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, MfaEnrollment, MfaLoginRequest, Session, User,
};
use totp_rs::{Algorithm, Secret, TOTP};

use super::accounts::{sessions, users, UserRow};
use super::store::spend_once;
use super::{err, Bitstride};
use crate::platform::secrets::{constant_time_eq, random_bytes, random_hex, sha256_hex};
use crate::platform::storage::now;
use crate::platform::{Db, DbError, Fault, Sealer};

/// Issuer shown by authenticator apps.
pub const ISSUER: &str = "Bitstride";
/// Lifetime of an `mfa_token`, seconds.
pub const MFA_TOKEN_SECS: i64 = 300;
/// Codes an `mfa_token` takes (each counted before it is checked): after this
/// many wrong ones it is dead.
pub const MAX_CODE_FAILURES: i64 = 5;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The purpose TOTP secrets are sealed under (their row: the user id).
pub const SEALED_PURPOSE: &str = "bitstride.totp";

fn totp(secret_b32: &str) -> Result<TOTP, Fault> {
    let bytes = Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|e| Fault::internal(format!("stored TOTP secret: {e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes)
        .map_err(|e| Fault::internal(format!("stored TOTP secret: {e}")))
}

/// The time step `code` belongs to, if it is current for `secret` (the previous
/// and next step are accepted too). Compared in constant time.
fn matching_step(secret: &str, code: &str) -> Result<Option<u64>, Fault> {
    let totp = totp(secret)?;
    let now = u64::try_from(now()).unwrap_or(0);
    let step = now / 30;
    Ok([step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| constant_time_eq(totp.generate(s * 30).as_bytes(), code.as_bytes())))
}

/// Whether `code` is current for the `sealed` secret of `user_id` and newer than
/// the last code that user used: a code works once, so one seen in transit
/// cannot be replayed.
async fn use_code(
    db: &Db,
    sealer: &Sealer,
    user_id: &str,
    sealed: &str,
    code: &str,
) -> Result<bool, ErrorEnvelope> {
    let secret = sealer
        .open_str(SEALED_PURPOSE, user_id, sealed)
        .map_err(|e| Fault::internal(format!("stored TOTP secret: {e}")))?;
    let Some(step) = matching_step(&secret, code)? else {
        return Ok(false);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    Ok(store::use_step(db, user_id, step).await?)
}

fn check_format(code: &str) -> Result<(), ErrorEnvelope> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(err(ErrorCode::InvalidRequest, messages::MFA_CODE_FORMAT))
    }
}

fn wrong_code() -> ErrorEnvelope {
    err(ErrorCode::InvalidMfaCode, messages::INVALID_MFA_CODE)
}

/// A recovery code: three groups of four hex digits.
fn recovery_code() -> String {
    let h = random_hex(6);
    format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
}

fn normalise_recovery(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// Creates the `mfa_token` of a sign-in that needs a second factor.
pub async fn challenge(db: &Db, user_id: &str) -> Result<String, DbError> {
    let token = format!("mfa_{}", random_hex(16));
    store::insert_token(
        db,
        &sha256_hex(token.as_bytes()),
        user_id,
        now() + MFA_TOKEN_SECS,
    )
    .await?;
    Ok(token)
}

async fn reload(db: &Db, user_id: &str) -> Result<UserRow, ErrorEnvelope> {
    users::get(db, user_id)
        .await?
        .ok_or_else(|| err(ErrorCode::Unauthorized, messages::INVALID_TOKEN))
}

impl Bitstride {
    /// `POST /v1/auth/mfa/enroll`: a new pending secret and recovery codes.
    pub(super) async fn mfa_enroll(&self, user: &UserRow) -> Result<MfaEnrollment, ErrorEnvelope> {
        if user.mfa_secret.is_some() {
            return Err(err(ErrorCode::InvalidState, messages::MFA_ALREADY_ENABLED));
        }
        let secret = match Secret::Raw(random_bytes(20)).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => return Err(Fault::internal("base32 encoding").into()),
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c.as_bytes())).collect();
        let sealed = self.sealer.seal_str(SEALED_PURPOSE, &user.id, &secret);
        store::begin_enrolment(&self.db, &user.id, &sealed, &hashes).await?;
        let label =
            url::form_urlencoded::byte_serialize(format!("{ISSUER}:{}", user.email).as_bytes())
                .collect::<String>()
                .replace("%3A", ":");
        Ok(MfaEnrollment {
            otpauth_uri: format!(
                "otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30"
            ),
            secret,
            recovery_codes: codes,
        })
    }

    /// `POST /v1/auth/mfa/verify`: confirms the pending secret and turns MFA on.
    pub(super) async fn mfa_verify(
        &self,
        user: &UserRow,
        code: &str,
    ) -> Result<User, ErrorEnvelope> {
        check_format(code)?;
        let Some(pending) = &user.mfa_pending_secret else {
            return Err(err(ErrorCode::InvalidState, messages::MFA_NOT_ENROLLING));
        };
        if user.mfa_secret.is_some() {
            return Err(err(ErrorCode::InvalidState, messages::MFA_ALREADY_ENABLED));
        }
        if !use_code(&self.db, &self.sealer, &user.id, pending, code).await? {
            return Err(wrong_code());
        }
        store::enable(&self.db, &user.id).await?;
        Ok(reload(&self.db, &user.id).await?.to_wire())
    }

    /// `POST /v1/auth/mfa/disable`: needs a current code; forgets the secret and
    /// codes. The code guards an active factor, so it is counted against the
    /// account (see [`lockout`]) before it is checked, as at sign-in.
    pub(super) async fn mfa_disable(
        &self,
        user: &UserRow,
        code: &str,
    ) -> Result<Guarded<User>, ErrorEnvelope> {
        check_format(code)?;
        let Some(secret) = &user.mfa_secret else {
            return Err(err(ErrorCode::InvalidState, messages::MFA_NOT_ENABLED));
        };
        if let lockout::Attempt::Locked(wait) = lockout::reserve(&self.db, &user.id).await? {
            return Ok(Guarded::Locked(wait));
        }
        if !use_code(&self.db, &self.sealer, &user.id, secret, code).await? {
            return Err(wrong_code());
        }
        lockout::release(&self.db, &user.id).await?;
        store::disable(&self.db, &user.id).await?;
        Ok(Guarded::Done(reload(&self.db, &user.id).await?.to_wire()))
    }

    /// `POST /v1/auth/mfa/verify-login`: the second step of a sign-in. The
    /// code is counted against the `mfa_token`, then against the account,
    /// before it is checked; a right code gives the account's attempt back.
    pub(super) async fn mfa_verify_login(
        &self,
        body: &MfaLoginRequest,
    ) -> Result<Guarded<Box<Session>>, ErrorEnvelope> {
        match (&body.code, &body.recovery_code) {
            (Some(code), None) => check_format(code)?,
            (None, Some(_)) => {}
            _ => {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    messages::MFA_CODE_OR_RECOVERY,
                ))
            }
        }
        let invalid_token = || err(ErrorCode::Unauthorized, messages::INVALID_MFA_TOKEN);
        let hash = sha256_hex(body.mfa_token.as_bytes());
        let found = store::reserve_attempt(&self.db, &hash, MAX_CODE_FAILURES).await?;
        let user = match found {
            Some(id) => users::get(&self.db, &id).await?.ok_or_else(invalid_token)?,
            None => return Err(invalid_token()),
        };
        let Some(secret) = &user.mfa_secret else {
            return Err(invalid_token());
        };
        if let lockout::Attempt::Locked(wait) = lockout::reserve(&self.db, &user.id).await? {
            return Ok(Guarded::Locked(wait));
        }
        let passed = match (&body.code, &body.recovery_code) {
            (Some(code), _) => use_code(&self.db, &self.sealer, &user.id, secret, code).await?,
            (_, Some(recovery)) => {
                let code_hash = sha256_hex(normalise_recovery(recovery).as_bytes());
                store::use_recovery_code(&self.db, &user.id, &code_hash).await?
            }
            _ => false,
        };
        if !passed {
            return Err(wrong_code());
        }
        lockout::release(&self.db, &user.id).await?;
        if !spend_once(&self.db, "bitstride_mfa_tokens", "token_hash", &hash).await? {
            return Err(invalid_token());
        }
        Ok(Guarded::Done(Box::new(
            sessions::start(&self.db, &self.tokens, &user).await?,
        )))
    }
}

/// The answer of an operation guarded by the account's MFA lockout.
pub enum Guarded<T> {
    /// The code was right: the operation's answer.
    Done(T),
    /// MFA codes of the account are locked for this many seconds.
    Locked(i64),
}
