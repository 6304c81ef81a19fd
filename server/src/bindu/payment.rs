//! x402 payment: payment sessions (a browser wallet pays, the client polls the
//! session and sends its token as `X-PAYMENT`), and the gate in front of a paid
//! agent's `message/send`. This agent is free unless a price is configured;
//! sessions are stored so that any instance can answer for them.

use base64::Engine as _;
use quartet_api::bindu::{ErrorCode, PaymentSession, PaymentSessionStatus, PaymentStatus};
use serde_json::{json, Value};

use super::failure::Failure;
use super::{store, x402, Bindu};
use crate::platform::secrets;
use crate::platform::storage::now;

/// `error.message` of -32603 (503) when the x402 facilitator cannot be reached.
pub const FACILITATOR_UNAVAILABLE: &str = "Payment facilitator unavailable";

/// How long an unpaid session lives, in seconds.
pub const SESSION_SECS: i64 = 15 * 60;
/// How long `wait=true` holds the answer at most, in seconds.
pub const WAIT_SECS: u64 = 15;

/// The x402 protocol version spoken (version 1 payloads are refused).
pub const X402_VERSION: i64 = 2;
/// Decimals of USDC.
const USDC_DECIMALS: usize = 6;

/// A verified payment: its nonce is reserved, its task stored (held), then it is settled.
#[derive(Debug)]
pub struct PendingPayment {
    /// The key its authorization nonce is reserved under (`x402:0x…`).
    pub nonce: String,
    payload: Value,
    requirements: Value,
    resource: Value,
    /// The response header the settlement goes back in (`PAYMENT-RESPONSE` or `X-PAYMENT-RESPONSE`).
    pub response_header: &'static str,
}

/// `0.01` USDC as atomic units (`10000`); `None` if it is not a decimal with at most six places.
pub fn atomic_amount(price: &str) -> Option<String> {
    let (whole, fraction) = price.trim().split_once('.').unwrap_or((price.trim(), ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > USDC_DECIMALS
    {
        return None;
    }
    let digits = format!("{whole}{fraction:0<USDC_DECIMALS$}");
    let trimmed = digits.trim_start_matches('0');
    Some(if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn prices_become_atomic_usdc() {
        use super::atomic_amount;
        assert_eq!(atomic_amount("0.01").as_deref(), Some("10000"));
        assert_eq!(atomic_amount("1").as_deref(), Some("1000000"));
        assert_eq!(atomic_amount("2.5").as_deref(), Some("2500000"));
        assert_eq!(atomic_amount("0.0000001"), None);
        assert_eq!(atomic_amount("-1"), None);
        assert_eq!(atomic_amount("abc"), None);
    }
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

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
    /// SHA-256 (hex) of the secret that reads its token.
    secret_hash: Option<String>,
}

/// A payment header of a request: its value and the header the settlement goes back in.
struct OfferedPayment<'a> {
    encoded: &'a str,
    response_header: &'static str,
}

/// The payment a request offers: `PAYMENT-SIGNATURE` (x402 v2), else `X-PAYMENT`.
fn offered_payment(headers: &http::HeaderMap) -> Option<OfferedPayment<'_>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match (header("payment-signature"), header("x-payment")) {
        (Some(encoded), _) => Some(OfferedPayment {
            encoded,
            response_header: "PAYMENT-RESPONSE",
        }),
        (None, Some(encoded)) => Some(OfferedPayment {
            encoded,
            response_header: "X-PAYMENT-RESPONSE",
        }),
        (None, None) => None,
    }
}

/// The HTTP 402 answer carrying x402 `PaymentRequired` `body`, also base64 in `PAYMENT-REQUIRED`.
pub fn payment_required_response(body: &Value) -> http::Response<dropshot::Body> {
    super::rpc::with_header(
        super::rpc::json_response(402, body),
        "payment-required",
        &b64(body),
    )
}

fn unknown_session(id: &str) -> Failure {
    Failure::names_nothing(format!("unknown or expired payment session: {id}"))
}

impl Bindu {
    /// The x402 payment requirements of a paid agent (`None`: the agent is free).
    pub(super) fn requirements(&self) -> Option<Value> {
        let price = self.config.bindu_price.as_deref()?;
        Some(json!({
            "scheme": "exact",
            "network": self.config.bindu_x402_network,
            "amount": atomic_amount(price).unwrap_or_default(),
            "asset": self.config.bindu_x402_asset,
            "payTo": self.config.bindu_pay_to.clone().unwrap_or_default(),
            "maxTimeoutSeconds": 300,
            "extra": {"name": "USDC", "version": "2"},
        }))
    }

    /// What `message/send` and `message/stream` pay for, as x402's `resource`.
    fn message_resource(&self) -> Value {
        json!({
            "url": format!("{}/", self.public_url),
            "description": format!("message/send to {}", self.manifest.name),
            "mimeType": "application/json",
        })
    }

    /// The page where payment session `id` is paid.
    fn capture_url(&self, id: &str) -> String {
        format!("{}/payment-capture?session_id={id}", self.public_url)
    }

    /// What payment session `id` pays for, as x402's `resource`.
    fn session_resource(&self, id: &str) -> Value {
        json!({
            "url": self.capture_url(id),
            "description": format!("payment session {id} of {}", self.manifest.name),
            "mimeType": "text/html",
        })
    }

    /// The 402 answer: an x402 `PaymentRequired` for `resource` saying why.
    fn payment_required(
        &self,
        requirements: &Value,
        resource: &Value,
        error: impl Into<String>,
    ) -> Failure {
        let did = self.did().ok();
        Failure::PaymentRequired(json!({
            "x402Version": X402_VERSION,
            "error": error.into(),
            "resource": resource,
            "accepts": [requirements],
            "agent": {
                "name": self.manifest.name,
                "description": self.manifest.description,
                "agentCard": "/.well-known/agent.json",
                "did": did,
            },
        }))
    }

    /// Reads and verifies the payment of a paid `message/send` or `message/stream`:
    /// `PAYMENT-SIGNATURE` (x402 v2) or `X-PAYMENT`, base64 of a version 2 payment
    /// payload for exactly the requirements, verified by the facilitator, with a
    /// nonce never used before. Free agents: nothing to check.
    pub(super) async fn payment_gate(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<Option<PendingPayment>, Failure> {
        let Some(requirements) = self.requirements() else {
            return Ok(None);
        };
        let resource = self.message_resource();
        let Some(offered) = offered_payment(headers) else {
            return Err(self.payment_required(
                &requirements,
                &resource,
                "PAYMENT-SIGNATURE header is required",
            ));
        };
        let (payload, nonce) = self
            .verify_payment(&offered, &requirements, &resource)
            .await?;
        Ok(Some(PendingPayment {
            nonce: format!("x402:{nonce}"),
            payload,
            requirements,
            resource,
            response_header: offered.response_header,
        }))
    }

    /// Reserves the payment's nonce (atomically, across instances): a payload
    /// pays once, and two concurrent uses of one nonce cannot both settle.
    pub(super) async fn reserve_nonce(&self, payment: &PendingPayment) -> Result<(), Failure> {
        if !store::reserve_nonce(&self.db, &payment.nonce, now() + 7 * 86_400).await? {
            return Err(self.payment_required(
                &payment.requirements,
                &payment.resource,
                "Payment nonce already used (replay)",
            ));
        }
        Ok(())
    }

    /// Gives the nonce of a payment that did not settle back (best effort: a
    /// nonce left reserved only makes the payer sign again).
    pub(super) async fn release_nonce(&self, payment: &PendingPayment) {
        if let Err(e) = store::release_nonce(&self.db, &payment.nonce).await {
            slog::warn!(self.log, "could not release a payment nonce"; "error" => %e);
        }
    }

    /// Checks an offered payment against `requirements` (base64 of a version 2
    /// payload for exactly them, with a nonce, whose signed authorization holds:
    /// [`x402::check`]) and only then has the facilitator verify it;
    /// answers the payload and its nonce. Refusals are 402 for `resource`.
    async fn verify_payment(
        &self,
        offered: &OfferedPayment<'_>,
        requirements: &Value,
        resource: &Value,
    ) -> Result<(Value, String), Failure> {
        let refuse = |error: &str| self.payment_required(requirements, resource, error);
        let payload: Value = match base64::engine::general_purpose::STANDARD
            .decode(offered.encoded.trim())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(v @ Value::Object(_)) => v,
            _ => {
                return Err(refuse(
                    "Invalid payment header: not base64 of a JSON payment payload",
                ))
            }
        };
        if payload.get("x402Version").and_then(Value::as_i64) != Some(X402_VERSION) {
            return Err(refuse("Only x402 version 2 payment payloads are accepted"));
        }
        let accepted = payload.get("accepted").cloned().unwrap_or(Value::Null);
        let same = |k: &str, ci: bool| {
            let (a, b) = (
                accepted.get(k).and_then(Value::as_str),
                requirements[k].as_str(),
            );
            match (a, b, ci) {
                (Some(a), Some(b), true) => a.eq_ignore_ascii_case(b),
                (Some(a), Some(b), false) => a == b,
                _ => false,
            }
        };
        if !(same("scheme", false)
            && same("network", false)
            && same("amount", false)
            && same("asset", true)
            && same("payTo", true))
        {
            return Err(refuse(
                "The payment does not match the payment requirements",
            ));
        }
        let Some(nonce) = payload
            .pointer("/payload/authorization/nonce")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(refuse("Invalid payment header: no authorization nonce"));
        };
        // What was signed, not what is echoed: checked here before the facilitator is asked.
        let terms = x402::Terms {
            network: &self.config.bindu_x402_network,
            asset: &self.config.bindu_x402_asset,
            pay_to: requirements["payTo"].as_str().unwrap_or_default(),
            amount: requirements["amount"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or(u128::MAX),
            name: requirements["extra"]["name"].as_str().unwrap_or_default(),
            version: requirements["extra"]["version"]
                .as_str()
                .unwrap_or_default(),
        };
        let inner = payload.get("payload").unwrap_or(&Value::Null);
        let unix = u64::try_from(now()).unwrap_or_default();
        if let Err(e) = x402::check(inner, &terms, unix) {
            return Err(refuse(&format!("Invalid payment authorization: {e}")));
        }
        let verified = self.facilitator("verify", &payload, requirements).await?;
        if verified.get("isValid") != Some(&Value::Bool(true)) {
            let reason = verified
                .get("invalidReason")
                .and_then(Value::as_str)
                .unwrap_or("the facilitator refused the payment");
            return Err(refuse(&format!("Payment verification failed: {reason}")));
        }
        Ok((payload, nonce))
    }

    /// Settles a verified payment; returns the header carrying the settlement.
    pub(super) async fn settle_payment(
        &self,
        payment: &PendingPayment,
    ) -> Result<(&'static str, String), Failure> {
        let settled = self
            .facilitator("settle", &payment.payload, &payment.requirements)
            .await?;
        if settled.get("success") != Some(&Value::Bool(true)) {
            let reason = settled
                .get("errorReason")
                .and_then(Value::as_str)
                .unwrap_or("the facilitator could not settle the payment");
            return Err(self.payment_required(
                &payment.requirements,
                &payment.resource,
                format!("Payment settlement failed: {reason}"),
            ));
        }
        Ok((payment.response_header, b64(&settled)))
    }

    /// `POST {facilitator}/{op}`; a facilitator that cannot be reached or answers
    /// other than 2xx with JSON is a 503 (-32603), and nothing is charged.
    async fn facilitator(
        &self,
        op: &str,
        payload: &Value,
        requirements: &Value,
    ) -> Result<Value, Failure> {
        let url = format!(
            "{}/{op}",
            self.config.bindu_x402_facilitator_url.trim_end_matches('/')
        );
        let unavailable = || {
            Failure::with_message(
                ErrorCode::InternalError,
                FACILITATOR_UNAVAILABLE,
                Some(Value::String(format!(
                    "the x402 facilitator did not answer {op}"
                ))),
            )
            .into_unavailable()
        };
        let response = self
            .http
            .post(&url)
            .json(&json!({"x402Version": X402_VERSION, "paymentPayload": payload, "paymentRequirements": requirements}))
            .send()
            .await
            .map_err(|_| unavailable())?;
        if !response.status().is_success() {
            return Err(unavailable());
        }
        response.json().await.map_err(|_| unavailable())
    }

    /// Opens a session; its secret is answered this once and stored hashed.
    pub(super) async fn start_session(&self) -> Result<PaymentSession, Failure> {
        let id = uuid::Uuid::new_v4().to_string();
        let secret = secrets::random_secret();
        let created = now();
        let expires_at = created + SESSION_SECS;
        store::insert_payment_session(
            &self.db,
            &id,
            &secrets::sha256_hex(secret.as_bytes()),
            created,
            expires_at,
        )
        .await?;
        Ok(PaymentSession {
            browser_url: self.capture_url(&id),
            session_id: id,
            session_secret: secret,
            expires_at: super::did::rfc3339_seconds(expires_at),
            status: PaymentSessionStatus::Pending,
        })
    }

    /// Reads a session, without its token; unknown ids and sessions purged
    /// after expiry are -32602.
    pub(super) async fn session(&self, id: &str) -> Result<StoredSession, Failure> {
        let Some(row) = store::payment_session(&self.db, id).await? else {
            return Err(unknown_session(id));
        };
        let mut status = status_of(&row.status);
        if status == PaymentSessionStatus::Pending && row.expires_at < now() {
            status = PaymentSessionStatus::Expired;
        }
        Ok(StoredSession {
            status: PaymentStatus {
                session_id: id.to_owned(),
                status,
                error: row.error,
                payment_token: None,
            },
            expires_at: row.expires_at,
            secret_hash: row.secret_hash,
        })
    }

    /// The page of session `id` for a payer: a request carrying a payment
    /// (`PAYMENT-SIGNATURE` or `X-PAYMENT`) for a pending session of a paid agent
    /// has it checked (here, then by the facilitator) and completes the session
    /// with it as its `payment_token`, which pays one `message/send`. The nonce is spent
    /// and the payment settled when the token is used, not here.
    pub(super) async fn capture(
        &self,
        id: &str,
        headers: &http::HeaderMap,
    ) -> Result<StoredSession, Failure> {
        let session = self.session(id).await?;
        let (Some(requirements), Some(offered)) = (self.requirements(), offered_payment(headers))
        else {
            return Ok(session);
        };
        if session.status.status != PaymentSessionStatus::Pending {
            return Ok(session);
        }
        let resource = self.session_resource(id);
        self.verify_payment(&offered, &requirements, &resource)
            .await?;
        store::complete_payment_session(&self.db, &self.sealer, id, offered.encoded.trim(), now())
            .await?;
        self.session(id).await
    }

    /// Reads a session, waiting (at most [`WAIT_SECS`]) while it is pending when
    /// `wait`. Its `payment_token` is in the answer only for the caller that
    /// presents the session's secret.
    pub(super) async fn session_status(
        &self,
        id: &str,
        wait: bool,
        secret: Option<&str>,
    ) -> Result<PaymentStatus, Failure> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(WAIT_SECS);
        let s = loop {
            let s = self.session(id).await?;
            if !wait
                || s.status.status != PaymentSessionStatus::Pending
                || tokio::time::Instant::now() >= deadline
            {
                break s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        };
        let mut status = s.status;
        if status.status == PaymentSessionStatus::Completed
            && secret_matches(s.secret_hash.as_deref(), secret)
        {
            status.payment_token = store::payment_token(&self.db, &self.sealer, id).await?;
        }
        Ok(status)
    }
}

/// Whether `presented` is the secret whose hash is `stored` (constant time on the hashes).
fn secret_matches(stored: Option<&str>, presented: Option<&str>) -> bool {
    match (stored, presented) {
        (Some(stored), Some(presented)) => secrets::constant_time_eq(
            secrets::sha256_hex(presented.as_bytes()).as_bytes(),
            stored.as_bytes(),
        ),
        _ => false,
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
