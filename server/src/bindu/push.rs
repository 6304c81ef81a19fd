//! Push notifications: webhook URL checks, and delivery of the outbox that
//! every task event of a task with a webhook lands in (written in the same
//! transaction as the event, so nothing is lost across a restart).
//!
//! Deliveries of one task go out in order: an event is sent only when every
//! earlier event of the task was delivered or given up. A failed delivery is
//! retried with exponential backoff (1 s, 2 s, 4 s … at most 512 s apart) up to
//! [`MAX_ATTEMPTS`] times. Each POST carries the event with `event_id`,
//! `sequence` and `timestamp`, `X-A2A-Notification-Token: <token>` and, with
//! `authentication`, `Authorization: <first scheme> <credentials>`.
//!
//! Every POST is signed by the agent's DID key, so that a receiver can tell a
//! delivery from a forgery without sharing a secret: [`TIMESTAMP_HEADER`] holds
//! the Unix seconds of the attempt and [`SIGNATURE_HEADER`] the base58 Ed25519
//! signature of [`signed_payload`] (`"{timestamp}.{body}"`, the body's exact
//! bytes). The key is the one `/did/resolve` publishes for the agent's DID.

use std::sync::Arc;
use std::time::Duration;

use quartet_api::bindu::PushNotificationConfig;
use serde_json::Value;
use slog::Logger;
use tokio::sync::Notify;

use super::failure::Failure;
use super::store::{self, now_ms};
use super::IdentityCell;
use crate::platform::outbound::{self, Outbound, Policy, Refused};
use crate::platform::storage::{Db, DbError};
use crate::platform::Sealer;

/// The header with the Unix seconds at which a delivery was signed.
pub const TIMESTAMP_HEADER: &str = "X-Bindu-Timestamp";
/// The header with the base58 Ed25519 signature of [`signed_payload`].
pub const SIGNATURE_HEADER: &str = "X-Bindu-Signature";

/// The bytes a delivery's signature covers: the timestamp in decimal, a dot,
/// and the body exactly as sent.
pub fn signed_payload(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut payload = format!("{timestamp}.").into_bytes();
    payload.extend_from_slice(body);
    payload
}

/// Deliveries of one event after which it is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed delivery is reserved for its sender, in milliseconds.
const LEASE_MS: i64 = 30_000;
/// Timeout of one delivery.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Webhook checks and delivery.
pub struct Push {
    db: Db,
    /// Opens the sealed webhook configurations of the outbox.
    sealer: Sealer,
    /// The client deliveries go out with, under the delivery policy.
    http: Outbound,
    /// The policy a URL is checked with when it is set.
    set_policy: Policy,
    /// The agent's key, which signs every delivery.
    identity: IdentityCell,
    wake: Arc<Notify>,
    log: Logger,
}

impl Push {
    /// The deliverer over `db`. With `allow_private`, URLs on any address are
    /// accepted; with `loopback_only`, only loopback addresses are called
    /// (whatever was accepted). Deliveries are signed with `identity` (and wait
    /// until it is loaded).
    pub fn new(
        db: Db,
        sealer: Sealer,
        allow_private: bool,
        loopback_only: bool,
        identity: IdentityCell,
        log: Logger,
    ) -> Arc<Self> {
        let set_policy = if allow_private {
            Policy::Any
        } else {
            Policy::Public
        };
        let delivery_policy = if loopback_only {
            Policy::LoopbackOnly
        } else {
            set_policy
        };
        Arc::new(Self {
            db,
            sealer,
            http: Outbound::new(delivery_policy, reqwest::Client::builder().timeout(TIMEOUT))
                .expect("a client with a timeout builds"),
            set_policy,
            identity,
            wake: Arc::new(Notify::new()),
            log,
        })
    }

    /// Refuses URLs that are not http(s) or that are or resolve to a
    /// special-purpose address (unless allowed). A host that does not
    /// resolve now is accepted: every delivery resolves it again (and checks what
    /// it connects to), and one that still does not resolve is retried and
    /// finally given up.
    pub async fn check_url(&self, url: &str) -> Result<(), Failure> {
        match outbound::check_url(url, self.set_policy).await {
            Ok(_) | Err(Refused::Unresolved { .. }) => Ok(()),
            Err(refused) => Err(Failure::invalid_params(format!(
                "webhook URL refused: {refused}"
            ))),
        }
    }

    /// Starts the delivery loop.
    pub fn start(self: &Arc<Self>, hub: &Arc<super::stream::Hub>) {
        let push = self.clone();
        let mut changes = hub.subscribe();
        let wake = self.wake.clone();
        tokio::spawn(async move {
            while let Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) =
                changes.recv().await
            {
                wake.notify_one();
            }
        });
        tokio::spawn(async move { push.run().await });
    }

    async fn run(self: Arc<Self>) {
        loop {
            let notified = self.wake.notified();
            match self.deliver_due().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    if !e.is_unavailable() {
                        slog::warn!(self.log, "webhook delivery failed"; "error" => %e);
                    }
                }
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), notified).await;
        }
    }

    /// Delivers every due event that is first in line for its task; `true` if it sent any.
    async fn deliver_due(&self) -> Result<bool, DbError> {
        let backend = self.db.backend();
        let claimed = self
            .db
            .write(move |conn| {
                Box::pin(async move {
                    let now = now_ms();
                    let skip = backend.skip_locked();
                    let rows: Vec<(i64, i64, i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT o.id, o.task_pk, o.event_seq, o.config, o.attempts FROM bindu_push_outbox o
                         WHERE o.delivered_at IS NULL AND o.failed_at IS NULL
                           AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1)
                           AND NOT EXISTS (SELECT 1 FROM bindu_push_outbox e WHERE e.task_pk = o.task_pk
                               AND e.id < o.id AND e.delivered_at IS NULL AND e.failed_at IS NULL)
                         ORDER BY o.id LIMIT 16{skip}"
                    )))
                    .bind(now)
                    .fetch_all(&mut *conn)
                    .await?;
                    for (id, ..) in &rows {
                        sqlx::query("UPDATE bindu_push_outbox SET lease_until = $1 WHERE id = $2")
                            .bind(now + LEASE_MS)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(rows)
                })
            })
            .await?;
        let any = !claimed.is_empty();
        let mut sends = Vec::new();
        for (id, task_pk, seq, config, attempts) in claimed {
            sends.push(self.deliver_one(id, task_pk, seq, config, attempts));
        }
        for r in futures::future::join_all(sends).await {
            r?;
        }
        Ok(any)
    }

    async fn deliver_one(
        &self,
        id: i64,
        task_pk: i64,
        seq: i64,
        config: String,
        attempts: i64,
    ) -> Result<(), DbError> {
        let outcome = self.post(task_pk, seq, &config).await;
        let mut conn = self.db.conn().await?;
        match outcome {
            Ok(()) => {
                sqlx::query("UPDATE bindu_push_outbox SET delivered_at = $1, lease_until = NULL, attempts = attempts + 1 WHERE id = $2")
                    .bind(now_ms())
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Err(reason) => {
                let attempts = attempts + 1;
                let backoff = 1000i64 << (attempts - 1).clamp(0, 9);
                let failed = (attempts >= MAX_ATTEMPTS).then(now_ms);
                slog::info!(self.log, "webhook delivery will be retried"; "outbox" => id, "attempts" => attempts, "reason" => &reason);
                sqlx::query(
                    "UPDATE bindu_push_outbox SET attempts = $1, next_attempt_at = $2, lease_until = NULL,
                     last_error = $3, failed_at = $4 WHERE id = $5",
                )
                .bind(attempts)
                .bind(now_ms() + backoff.min(300_000))
                .bind(reason)
                .bind(failed)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    /// One POST of event `seq` to the webhook in `config` (sealed for task `task_pk`).
    async fn post(&self, task_pk: i64, seq: i64, config: &str) -> Result<(), String> {
        let config = store::open_webhook(&self.sealer, task_pk, config)
            .map_err(|e| format!("stored webhook: {e}"))?;
        let config: PushNotificationConfig =
            serde_json::from_str(&config).map_err(|e| format!("stored webhook: {e}"))?;
        // Refused at once for an address literal, else when the name is resolved.
        let request = self
            .http
            .post(&config.url)
            .map_err(|e| format!("refused: {e}"))?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT event, created_at FROM bindu_events WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&mut *self.db.conn().await.map_err(|e| e.to_string())?)
                .await
                .map_err(|e| e.to_string())?;
        let Some((event, created_at)) = row else {
            return Ok(()); // the task was cleared meanwhile
        };
        let mut body: Value = serde_json::from_str(&event).map_err(|e| e.to_string())?;
        if let Some(object) = body.as_object_mut() {
            object.insert("event_id".into(), Value::String(format!("evt-{seq}")));
            object.insert("sequence".into(), Value::from(seq));
            let ts = chrono::DateTime::from_timestamp_millis(created_at).unwrap_or_default();
            object.insert(
                "timestamp".into(),
                Value::String(ts.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()),
            );
        }
        let identity = self
            .identity
            .get()
            .ok_or("the agent identity is not loaded yet")?;
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let timestamp = crate::platform::storage::now();
        let signature = identity.sign_bytes(&signed_payload(timestamp, &body));
        let mut request = request
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body);
        if let Some(token) = &config.token {
            request = request.header("X-A2A-Notification-Token", token);
        }
        if let Some(auth) = &config.authentication {
            if let (Some(scheme), Some(credentials)) = (auth.schemes.first(), &auth.credentials) {
                request = request.header("Authorization", format!("{scheme} {credentials}"));
            }
        }
        let response = request.send().await.map_err(|e| match Refused::of(&e) {
            Some(refused) => format!("refused: {refused}"),
            None => format!("unreachable: {e}"),
        })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered HTTP {}", response.status().as_u16()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_exact_body() {
        let id = super::super::did::Identity::from_seed([7; 32], None, 0);
        let body = br#"{"kind":"status-update","task_id":"t"}"#;
        let payload = signed_payload(1776607158, body);
        assert_eq!(
            payload,
            br#"1776607158.{"kind":"status-update","task_id":"t"}"#.to_vec()
        );
        let signature = id.sign_bytes(&payload);
        let text = std::str::from_utf8(&payload).unwrap();
        let key = id.public_key_base58();
        assert_eq!(super::super::did::verify(&key, text, &signature), Ok(()));
        let moved = std::str::from_utf8(&signed_payload(1776607159, body))
            .unwrap()
            .to_owned();
        assert!(super::super::did::verify(&key, &moved, &signature).is_err());
    }
}
