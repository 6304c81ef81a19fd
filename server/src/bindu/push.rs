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

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use quartet_api::bindu::PushNotificationConfig;
use serde_json::Value;
use slog::Logger;
use tokio::sync::Notify;

use super::failure::Failure;
use super::store::now_ms;
use crate::platform::storage::{Db, DbError};

/// Deliveries of one event after which it is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed delivery is reserved for its sender, in milliseconds.
const LEASE_MS: i64 = 30_000;
/// Timeout of one delivery.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `ip` is an address an API caller must not make the server call.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Webhook checks and delivery.
pub struct Push {
    db: Db,
    http: reqwest::Client,
    allow_private: bool,
    loopback_only: bool,
    wake: Arc<Notify>,
    log: Logger,
}

impl Push {
    /// The deliverer over `db`.
    pub fn new(db: Db, allow_private: bool, loopback_only: bool, log: Logger) -> Arc<Self> {
        Arc::new(Self {
            db,
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client with a timeout builds"),
            allow_private,
            loopback_only,
            wake: Arc::new(Notify::new()),
            log,
        })
    }

    /// Refuses URLs that are not http(s) or that resolve to a private, loopback
    /// or link-local address (unless allowed). A host that does not resolve now is
    /// accepted: every delivery checks again, and one that still does not resolve
    /// is retried and finally given up.
    pub async fn check_url(&self, url: &str) -> Result<(), Failure> {
        self.check(url, false)
            .await
            .map_err(|detail| Failure::invalid_params(format!("webhook URL refused: {detail}")))
    }

    /// The address checks; `delivering` also refuses hosts that do not resolve, and
    /// (with `--bindu-webhooks-loopback-only`) every address but loopback.
    async fn check(&self, url: &str, delivering: bool) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{url:?} is not an http or https URL"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("{url:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if self.allow_private && !(delivering && self.loopback_only) {
            return Ok(());
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(e) if delivering => return Err(format!("{host} does not resolve ({e})")),
                Err(_) => return Ok(()),
            },
        };
        if delivering && self.loopback_only {
            return match addrs.iter().find(|ip| !ip.is_loopback()) {
                Some(ip) => Err(format!(
                    "{host} resolves to {ip}: only loopback webhooks are called"
                )),
                None => Ok(()),
            };
        }
        if let Some(ip) = addrs.iter().find(|ip| is_private(**ip)) {
            return Err(format!(
                "{host} resolves to {ip}, a private, loopback or link-local address"
            ));
        }
        Ok(())
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
                    let skip = crate::bindu::store::skip_locked(backend);
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
        for (id, _task_pk, seq, config, attempts) in claimed {
            sends.push(self.deliver_one(id, seq, config, attempts));
        }
        for r in futures::future::join_all(sends).await {
            r?;
        }
        Ok(any)
    }

    async fn deliver_one(
        &self,
        id: i64,
        seq: i64,
        config: String,
        attempts: i64,
    ) -> Result<(), DbError> {
        let outcome = self.post(seq, &config).await;
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

    /// One POST of event `seq` to the webhook in `config`.
    async fn post(&self, seq: i64, config: &str) -> Result<(), String> {
        let config: PushNotificationConfig =
            serde_json::from_str(config).map_err(|e| format!("stored webhook: {e}"))?;
        self.check(&config.url, true).await?;
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
        let mut request = self.http.post(&config.url).json(&body);
        if let Some(token) = &config.token {
            request = request.header("X-A2A-Notification-Token", token);
        }
        if let Some(auth) = &config.authentication {
            if let (Some(scheme), Some(credentials)) = (auth.schemes.first(), &auth.credentials) {
                request = request.header("Authorization", format!("{scheme} {credentials}"));
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("unreachable: {e}"))?;
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
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
