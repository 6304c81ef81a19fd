//! Email verification and password recovery: the links registration and the
//! resend route mail, `forgot` and `reset`, and the signed-in password change.
//!
//! Where the mail is sent from:
//! - registration and `forgot` store the token, then hand the message to a
//!   task of its own ([`Mailer::send_detached`](crate::platform::mail::Mailer)):
//!   the answer never waits for the relay, and `forgot` answers 202 after the
//!   same work whether or not the address has an account (the lookup itself
//!   runs in that task);
//! - the resend route sends in the request's path, within the mailer's
//!   timeout, and answers 502 when the relay refuses or does not answer.
//!
//! There is no outbox: the link carries the token in clear and only its digest
//! is stored, so a message lost (relay down, process stopped) is asked for
//! again, which the per-account mail limit allows.

use std::sync::Arc;

use quartet_api::bitstride::{
    messages, Accepted, ChangePasswordRequest, ErrorCode, ErrorEnvelope, ForgotPasswordRequest,
    ResetPasswordRequest, User, VerifyEmailRequest,
};

use super::tokens::{self, Purpose};
use super::users::{self, UserRow};
use super::{passwords, sessions, throttle};
use crate::bitstride::auth::Caller;
use crate::bitstride::{err, Bitstride};
use crate::platform::mail::{Mail, MailError};
use crate::platform::storage::now;
use crate::platform::DbError;

/// Why a reset mail (prepared and sent away from any request) was not sent.
#[derive(Debug, thiserror::Error)]
enum ResetMailError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The mailer failed.
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// What a request that may be throttled answers.
pub enum Throttled<T> {
    /// Done.
    Done(T),
    /// Try again after this many seconds.
    Wait(i64),
}

impl Bitstride {
    /// The verification mail of `user`, once the mail limit allows it, or how
    /// long to wait.
    async fn verification_mail(&self, user: &UserRow) -> Result<Throttled<Mail>, DbError> {
        if let Some(wait) = tokens::reserve_mail(&self.db, &user.id, Purpose::VerifyEmail).await? {
            return Ok(Throttled::Wait(wait));
        }
        let ttl = self.config.bitstride_email_verification_ttl_secs;
        let token = tokens::issue(&self.db, &user.id, Purpose::VerifyEmail, ttl).await?;
        let link = format!("{}/verify-email?token={token}", self.public_url);
        Ok(Throttled::Done(Mail {
            to: user.email.clone(),
            subject: "Verify your Bitstride email address".into(),
            text: format!(
                "Hello,\n\n\
                 This address was given for a Bitstride account. To confirm that it is\n\
                 yours, open this link within {}:\n\n\
                 {link}\n\n\
                 (Or send the token to POST /v1/auth/verify-email: {token})\n\n\
                 If you did not sign up, ignore this message.\n",
                in_words(ttl)
            ),
        }))
    }

    /// Mails the verification link of a new account from a task of its own; a
    /// failure is logged (the account can ask again with the resend route).
    pub(super) async fn mail_verification_detached(&self, user: &UserRow) {
        match self.verification_mail(user).await {
            Ok(Throttled::Done(mail)) => self.mail.send_detached(mail),
            Ok(Throttled::Wait(_)) => {}
            Err(e) => slog::warn!(self.log, "verification mail not prepared";
                "user" => &user.id, "error" => %e),
        }
    }

    /// `POST /v1/auth/verify-email/resend`: mails a new link, in the request's path.
    pub(crate) async fn resend_verification(
        &self,
        caller: &Caller,
    ) -> Result<Throttled<Accepted>, ErrorEnvelope> {
        caller.session()?;
        if caller.user.email_verified_at.is_some() {
            return Err(err(
                ErrorCode::InvalidState,
                messages::EMAIL_ALREADY_VERIFIED,
            ));
        }
        let mail = match self.verification_mail(&caller.user).await? {
            Throttled::Done(mail) => mail,
            Throttled::Wait(wait) => return Ok(Throttled::Wait(wait)),
        };
        if let Err(e) = self.mail.send(&mail).await {
            slog::warn!(self.log, "verification mail not sent"; "user" => &caller.user.id, "error" => %e);
            return Err(err(ErrorCode::UpstreamError, messages::MAIL_FAILED));
        }
        Ok(Throttled::Done(accepted(messages::VERIFICATION_SENT)))
    }

    /// `POST /v1/auth/verify-email`: spends the token and marks the address verified.
    pub(crate) async fn verify_email(
        &self,
        body: VerifyEmailRequest,
    ) -> Result<User, ErrorEnvelope> {
        let invalid = || {
            err(
                ErrorCode::InvalidRequest,
                messages::INVALID_VERIFICATION_TOKEN,
            )
        };
        let mut tx = self.db.begin().await?;
        let Some(user_id) = tokens::spend(&mut tx, body.token.trim(), Purpose::VerifyEmail).await?
        else {
            return Err(invalid());
        };
        mark_verified(&mut tx, &user_id).await?;
        tokens::spend_all(&mut tx, &user_id, Purpose::VerifyEmail).await?;
        tx.commit().await.map_err(DbError::from)?;
        let user = users::get(&self.db, &user_id).await?.ok_or_else(invalid)?;
        Ok(user.to_wire())
    }

    /// `POST /v1/auth/password/forgot`: 202 at once; the account, if any, is
    /// looked up and mailed from a task of its own, so the answer and its timing
    /// are the same for every well-formed address.
    pub(crate) fn forgot_password(
        self: &Arc<Self>,
        body: ForgotPasswordRequest,
    ) -> Result<Accepted, ErrorEnvelope> {
        let email = body.email.trim().to_lowercase();
        if !users::is_email(&email) {
            return Err(err(ErrorCode::InvalidRequest, messages::EMAIL_FORMAT));
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.mail_reset(&email).await {
                slog::warn!(this.log, "password reset mail not sent"; "error" => %e);
            }
        });
        Ok(accepted(messages::RESET_REQUESTED))
    }

    /// Mails a reset link to the account of `email`, if there is one and its
    /// mail limit allows.
    async fn mail_reset(&self, email: &str) -> Result<(), ResetMailError> {
        let Some(user) = users::by_email(&self.db, email).await? else {
            return Ok(());
        };
        if tokens::reserve_mail(&self.db, &user.id, Purpose::ResetPassword)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let ttl = self.config.bitstride_password_reset_ttl_secs;
        let token = tokens::issue(&self.db, &user.id, Purpose::ResetPassword, ttl).await?;
        let link = format!("{}/reset-password?token={token}", self.public_url);
        let mail = Mail {
            to: user.email.clone(),
            subject: "Reset your Bitstride password".into(),
            text: format!(
                "Hello,\n\n\
                 Someone asked to reset the password of the Bitstride account of this\n\
                 address. To choose a new password, open this link within {}:\n\n\
                 {link}\n\n\
                 (Or send the token with the new password to POST /v1/auth/password/reset:\n\
                 {token})\n\n\
                 Setting a new password signs the account out everywhere. If you did not\n\
                 ask for this, ignore this message: the password stays as it is.\n",
                in_words(ttl)
            ),
        };
        self.mail.send(&mail).await?;
        Ok(())
    }

    /// `POST /v1/auth/password/reset`: spends the token, sets the password, marks
    /// the address verified (the token came through it) and ends every session.
    pub(crate) async fn reset_password(
        &self,
        body: ResetPasswordRequest,
    ) -> Result<(), ErrorEnvelope> {
        password_rules(&body.password)?;
        let invalid = || err(ErrorCode::InvalidRequest, messages::INVALID_RESET_TOKEN);
        let token = body.token.trim();
        // Hashing is slow: only for a token that can still be spent.
        if tokens::peek(&self.db, token, Purpose::ResetPassword)
            .await?
            .is_none()
        {
            return Err(invalid());
        }
        let hash = passwords::hash(body.password).await?;
        let mut tx = self.db.begin().await?;
        let Some(user_id) = tokens::spend(&mut tx, token, Purpose::ResetPassword).await? else {
            return Err(invalid());
        };
        set_password(&mut tx, &user_id, &hash).await?;
        mark_verified(&mut tx, &user_id).await?;
        sessions::revoke_all_of(&mut tx, &user_id, "", "password_reset").await?;
        tx.commit().await.map_err(DbError::from)?;
        if let Some(user) = users::get(&self.db, &user_id).await? {
            throttle::cleared(&self.db, &user.email).await?;
        }
        Ok(())
    }

    /// `POST /v1/auth/password`: checks the current password (a failure counts
    /// in the sign-in throttle of the address), sets the new one and ends every
    /// other session of the account.
    pub(crate) async fn change_password(
        &self,
        caller: &Caller,
        body: ChangePasswordRequest,
    ) -> Result<Throttled<()>, ErrorEnvelope> {
        let sid = caller.session()?;
        match passwords::check_rules(&body.new_password) {
            Ok(()) => {}
            Err(passwords::RuleBroken::TooShort) => {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    messages::NEW_PASSWORD_TOO_SHORT,
                ))
            }
            Err(passwords::RuleBroken::TooLong) => {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    messages::NEW_PASSWORD_TOO_LONG,
                ))
            }
        }
        let user = &caller.user;
        // Counted before it is checked, as at sign-in.
        let lock = match throttle::reserve(&self.db, &user.email).await? {
            throttle::Attempt::Locked(wait) => return Ok(Throttled::Wait(wait)),
            throttle::Attempt::Reserved(lock) => lock,
        };
        if !passwords::verify(body.current_password, user.password_hash.clone()).await? {
            return match lock {
                Some(wait) => Ok(Throttled::Wait(wait)),
                None => Err(err(
                    ErrorCode::InvalidCredentials,
                    messages::WRONG_CURRENT_PASSWORD,
                )),
            };
        }
        throttle::cleared(&self.db, &user.email).await?;
        let hash = passwords::hash(body.new_password).await?;
        let mut tx = self.db.begin().await?;
        set_password(&mut tx, &user.id, &hash).await?;
        sessions::revoke_all_of(&mut tx, &user.id, sid, "password_changed").await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(Throttled::Done(()))
    }
}

/// 400 unless `password` follows the password rules.
pub(super) fn password_rules(password: &str) -> Result<(), ErrorEnvelope> {
    match passwords::check_rules(password) {
        Ok(()) => Ok(()),
        Err(passwords::RuleBroken::TooShort) => {
            Err(err(ErrorCode::InvalidRequest, messages::PASSWORD_TOO_SHORT))
        }
        Err(passwords::RuleBroken::TooLong) => {
            Err(err(ErrorCode::InvalidRequest, messages::PASSWORD_TOO_LONG))
        }
    }
}

/// Sets the password hash of `user_id` and spends its outstanding reset links
/// (a link mailed before the change must not undo it).
async fn set_password(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    hash: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE bitstride_users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    tokens::spend_all(conn, user_id, Purpose::ResetPassword).await
}

/// Marks the address of `user_id` verified now, unless it was already.
async fn mark_verified(conn: &mut sqlx::AnyConnection, user_id: &str) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_users SET email_verified = 1,
             email_verified_at = COALESCE(email_verified_at, $1)
         WHERE id = $2",
    )
    .bind(now())
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

fn accepted(message: &str) -> Accepted {
    Accepted {
        object: "accepted".into(),
        message: message.into(),
    }
}

/// `secs` in words for a mail: "24 hours", "1 hour", "15 minutes", "90 seconds".
fn in_words(secs: i64) -> String {
    let (n, unit) = if secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::in_words;

    #[test]
    fn lifetimes_read_well() {
        assert_eq!(in_words(86_400), "24 hours");
        assert_eq!(in_words(3600), "1 hour");
        assert_eq!(in_words(900), "15 minutes");
        assert_eq!(in_words(1), "1 second");
        assert_eq!(in_words(90), "90 seconds");
    }
}
