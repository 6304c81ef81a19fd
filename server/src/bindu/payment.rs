//! x402 payment: payment sessions (a browser wallet pays, the client polls the
//! session and sends its token as `X-PAYMENT`), and the gate in front of a paid
//! agent's `message/send`. This agent is free unless a price is configured;
//! sessions are stored so that any instance can answer for them.

use quartet_api::bindu::{PaymentSession, PaymentSessionStatus, PaymentStatus};

use super::failure::Failure;
use super::Bindu;
use crate::platform::storage::{now, DbError};

/// How long an unpaid session lives, in seconds.
pub const SESSION_SECS: i64 = 15 * 60;
/// How long `wait=true` holds the answer at most, in seconds.
pub const WAIT_SECS: u64 = 60;

/// A verified payment waiting to be settled once its task is stored.
#[derive(Debug)]
pub struct PendingPayment;

fn status_of(s: &str) -> PaymentSessionStatus {
    match s {
        "completed" => PaymentSessionStatus::Completed,
        "failed" => PaymentSessionStatus::Failed,
        "expired" => PaymentSessionStatus::Expired,
        _ => PaymentSessionStatus::Pending,
    }
}

/// A session as stored.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// Its answer.
    pub status: PaymentStatus,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

fn unknown_session(id: &str) -> Failure {
    Failure::invalid_params(format!("unknown or expired payment session: {id}"))
}

impl Bindu {
    /// Checks the payment of a `message/send` (free agents: nothing to check).
    pub(super) async fn payment_gate(
        &self,
        _headers: &http::HeaderMap,
    ) -> Result<Option<PendingPayment>, Failure> {
        Ok(None)
    }

    /// Settles a verified payment for the task it paid for.
    pub(super) async fn settle_payment(&self, _payment: PendingPayment, _task_id: &str) {}

    /// Opens a session.
    pub(super) async fn start_session(&self) -> Result<PaymentSession, Failure> {
        let id = uuid::Uuid::new_v4().to_string();
        let created = now();
        let expires_at = created + SESSION_SECS;
        sqlx::query(
            "INSERT INTO bindu_payment_sessions (id, status, created_at, expires_at) VALUES ($1, 'pending', $2, $3)",
        )
        .bind(&id)
        .bind(created)
        .bind(expires_at)
        .execute(&mut *self.db.conn().await?)
        .await?;
        Ok(PaymentSession {
            browser_url: format!("{}/payment-capture?session_id={id}", self.public_url),
            session_id: id,
            expires_at: super::did::rfc3339_seconds(expires_at),
            status: PaymentSessionStatus::Pending,
        })
    }

    /// Reads a session; unknown ids and sessions purged after expiry are -32602.
    pub(super) async fn session(&self, id: &str) -> Result<StoredSession, Failure> {
        let row: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT status, payment_token, error, expires_at FROM bindu_payment_sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await
        .map_err(DbError::from)?;
        let Some((status, token, error, expires_at)) = row else {
            return Err(unknown_session(id));
        };
        let mut status = status_of(&status);
        if status == PaymentSessionStatus::Pending && expires_at < now() {
            status = PaymentSessionStatus::Expired;
        }
        Ok(StoredSession {
            status: PaymentStatus {
                session_id: id.to_owned(),
                status,
                error,
                payment_token: token,
            },
            expires_at,
        })
    }

    /// Reads a session, waiting (at most [`WAIT_SECS`]) while it is pending when `wait`.
    pub(super) async fn session_status(
        &self,
        id: &str,
        wait: bool,
    ) -> Result<PaymentStatus, Failure> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(WAIT_SECS);
        loop {
            let s = self.session(id).await?;
            if !wait
                || s.status.status != PaymentSessionStatus::Pending
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(s.status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// The page of a session.
pub fn capture_page(session: &StoredSession) -> String {
    let id = &session.status.session_id;
    let until = super::did::rfc3339_seconds(session.expires_at);
    let (title, text) = match session.status.status {
        PaymentSessionStatus::Pending => (
            "Payment pending",
            format!("Session {id} waits for an x402 payment until {until}."),
        ),
        PaymentSessionStatus::Completed => ("Payment completed", format!("Session {id} is paid.")),
        PaymentSessionStatus::Failed => {
            ("Payment failed", format!("Session {id} could not be paid."))
        }
        PaymentSessionStatus::Expired => (
            "Payment expired",
            format!("Session {id} expired at {until}."),
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Payment session</title></head>\n<body>\n<h1>{title}</h1>\n<p>{text}</p>\n</body>\n</html>\n"
    )
}
