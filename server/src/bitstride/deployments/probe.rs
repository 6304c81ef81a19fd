//! The health probe: every pending deployment's backend is asked once whether
//! it serves (`GET <endpoint>/v1/models` for `openai`, `GET <endpoint>/health`
//! for `http`; built-in backends always do), and the deployment becomes
//! `ready` or `failed`. Runs on every instance; a deployment updated with a new
//! endpoint or set `active` again is pending, and probed, once more.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use quartet_api::bitstride::{DeploymentProtocol, DeploymentStatus};
use tokio::sync::Notify;

use super::{Row, ECHO, MODEL};
use crate::bitstride::Bitstride;
use crate::platform::outbound::Refused;
use crate::platform::DbError;

/// How long a probe waits for the backend.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn bell() -> &'static Notify {
    static BELL: OnceLock<Notify> = OnceLock::new();
    BELL.get_or_init(Notify::new)
}

/// Probes pending deployments now rather than at the next tick.
pub fn wake() {
    bell().notify_waiters();
}

/// Starts the probe loop.
pub fn start(ctx: Arc<Bitstride>) {
    tokio::spawn(async move {
        loop {
            let notified = bell().notified();
            if let Err(e) = round(&ctx).await {
                if !e.is_unavailable() {
                    slog::warn!(ctx.log, "probing deployments failed"; "error" => %e);
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    });
}

async fn round(ctx: &Bitstride) -> Result<(), DbError> {
    for row in super::store::pending(&ctx.db).await? {
        let outcome = probe(ctx, &row).await;
        let status = if outcome.is_ok() {
            DeploymentStatus::Ready
        } else {
            DeploymentStatus::Failed
        };
        super::store::probed(
            &ctx.db,
            &row.wire.id,
            &row.wire.endpoint,
            status,
            outcome.err(),
        )
        .await?;
    }
    Ok(())
}

/// Asks the backend of `row` whether it serves.
pub async fn probe(ctx: &Bitstride, row: &Row) -> Result<(), String> {
    let d = &row.wire;
    if d.endpoint == ECHO || d.endpoint == MODEL {
        return Ok(());
    }
    let path = match d.protocol {
        DeploymentProtocol::Openai => "/v1/models",
        DeploymentProtocol::Http => "/health",
        DeploymentProtocol::Grpc => return Err("grpc backends cannot serve the chat routes".into()),
    };
    let target = format!("{}{path}", d.endpoint.trim_end_matches('/'));
    let request = ctx.backends.get(&target).map_err(|e| e.to_string())?;
    match request.timeout(PROBE_TIMEOUT).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("the backend answered {}", r.status())),
        Err(e) => Err(match Refused::of(&e) {
            Some(refused) => refused.to_string(),
            None => format!("the backend did not answer: {e}"),
        }),
    }
}
