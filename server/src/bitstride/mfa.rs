//! TOTP multi-factor authentication (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step of clock skew either way), one-time recovery codes (stored
//! as SHA-256 digests), and the short-lived `mfa_token` of the second sign-in
//! step, which dies after [`MAX_CODE_FAILURES`] wrong codes.

use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, MfaEnrollment, MfaLoginRequest, Session, User,
};
use totp_rs::{Algorithm, Secret, TOTP};

use super::accounts::{sessions, users, UserRow};
use super::store::spend_once;
use super::{err, Bitstride};
use crate::platform::secrets::{constant_time_eq, random_bytes, random_hex, sha256_hex};
use crate::platform::storage::now;
use crate::platform::{Db, DbError, Fault};

/// Issuer shown by authenticator apps.
pub const ISSUER: &str = "Bitstride";
/// Lifetime of an `mfa_token`, seconds.
pub const MFA_TOKEN_SECS: i64 = 300;
/// Wrong codes an `mfa_token` survives.
pub const MAX_CODE_FAILURES: i64 = 5;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

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

/// Whether `code` is current for `secret` and newer than the last code `user_id`
/// used: a code works once, so one seen in transit cannot be replayed.
async fn use_code(db: &Db, user_id: &str, secret: &str, code: &str) -> Result<bool, ErrorEnvelope> {
    let Some(step) = matching_step(secret, code)? else {
        return Ok(false);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let fresh = sqlx::query(
        "UPDATE bitstride_users SET mfa_last_step = $1
         WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&mut *db.conn().await?)
    .await
    .map_err(DbError::from)?
    .rows_affected();
    Ok(fresh == 1)
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
    sqlx::query(
        "INSERT INTO bitstride_mfa_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(sha256_hex(token.as_bytes()))
    .bind(user_id)
    .bind(now() + MFA_TOKEN_SECS)
    .execute(&mut *db.conn().await?)
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
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE bitstride_users SET mfa_pending_secret = $1 WHERE id = $2")
            .bind(&secret)
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1 AND active = 0")
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        for code in &codes {
            sqlx::query(
                "INSERT INTO bitstride_recovery_codes (user_id, code_hash, active) VALUES ($1, $2, 0)",
            )
            .bind(&user.id)
            .bind(sha256_hex(code.as_bytes()))
            .execute(&mut *tx)
            .await.map_err(crate::platform::DbError::from)?;
        }
        tx.commit().await.map_err(crate::platform::DbError::from)?;
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
        if !use_code(&self.db, &user.id, pending, code).await? {
            return Err(wrong_code());
        }
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE bitstride_users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL
             WHERE id = $1",
        )
        .bind(&user.id)
        .execute(&mut *tx)
        .await
        .map_err(crate::platform::DbError::from)?;
        sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1 AND active = 1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        sqlx::query("UPDATE bitstride_recovery_codes SET active = 1 WHERE user_id = $1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        Ok(reload(&self.db, &user.id).await?.to_wire())
    }

    /// `POST /v1/auth/mfa/disable`: needs a current code; forgets the secret and codes.
    pub(super) async fn mfa_disable(
        &self,
        user: &UserRow,
        code: &str,
    ) -> Result<User, ErrorEnvelope> {
        check_format(code)?;
        let Some(secret) = &user.mfa_secret else {
            return Err(err(ErrorCode::InvalidState, messages::MFA_NOT_ENABLED));
        };
        if !use_code(&self.db, &user.id, secret, code).await? {
            return Err(wrong_code());
        }
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE bitstride_users SET mfa_secret = NULL, mfa_pending_secret = NULL WHERE id = $1",
        )
        .bind(&user.id)
        .execute(&mut *tx)
        .await
        .map_err(crate::platform::DbError::from)?;
        sqlx::query("DELETE FROM bitstride_recovery_codes WHERE user_id = $1")
            .bind(&user.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::platform::DbError::from)?;
        tx.commit().await.map_err(crate::platform::DbError::from)?;
        Ok(reload(&self.db, &user.id).await?.to_wire())
    }

    /// `POST /v1/auth/mfa/verify-login`: the second step of a sign-in.
    pub(super) async fn mfa_verify_login(
        &self,
        body: &MfaLoginRequest,
    ) -> Result<Session, ErrorEnvelope> {
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
        let found: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM bitstride_mfa_tokens
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 AND failures < $3",
        )
        .bind(&hash)
        .bind(now())
        .bind(MAX_CODE_FAILURES)
        .fetch_optional(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        let user = match found {
            Some(id) => users::get(&self.db, &id).await?.ok_or_else(invalid_token)?,
            None => return Err(invalid_token()),
        };
        let Some(secret) = &user.mfa_secret else {
            return Err(invalid_token());
        };
        let passed = match (&body.code, &body.recovery_code) {
            (Some(code), _) => use_code(&self.db, &user.id, secret, code).await?,
            (_, Some(recovery)) => {
                sqlx::query(
                    "UPDATE bitstride_recovery_codes SET used_at = $1
                     WHERE user_id = $2 AND code_hash = $3 AND active = 1 AND used_at IS NULL",
                )
                .bind(now())
                .bind(&user.id)
                .bind(sha256_hex(normalise_recovery(recovery).as_bytes()))
                .execute(&mut *self.db.conn().await?)
                .await
                .map_err(crate::platform::DbError::from)?
                .rows_affected()
                    == 1
            }
            _ => false,
        };
        if !passed {
            sqlx::query(
                "UPDATE bitstride_mfa_tokens SET failures = failures + 1 WHERE token_hash = $1",
            )
            .bind(&hash)
            .execute(&mut *self.db.conn().await?)
            .await
            .map_err(crate::platform::DbError::from)?;
            return Err(wrong_code());
        }
        if !spend_once(&self.db, "bitstride_mfa_tokens", "token_hash", &hash).await? {
            return Err(invalid_token());
        }
        Ok(sessions::start(&self.db, &self.tokens, &user).await?)
    }
}
