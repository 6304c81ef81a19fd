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
use crate::bitstride::net;
use crate::bitstride::store::enum_text;
use crate::bitstride::Bitstride;
use crate::platform::storage::now;
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
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM bitstride_deployments WHERE status = 'pending'")
            .fetch_all(&mut *ctx.db.conn().await?)
            .await?;
    for id in ids {
        let Some(row) = super::get(&ctx.db, None, &id).await? else {
            continue;
        };
        let outcome = probe(ctx, &row).await;
        let status = if outcome.is_ok() {
            DeploymentStatus::Ready
        } else {
            DeploymentStatus::Failed
        };
        sqlx::query(
            "UPDATE bitstride_deployments SET status = $1, probe_error = $2, updated_at = $3
             WHERE id = $4 AND status = 'pending' AND endpoint = $5",
        )
        .bind(enum_text(&status))
        .bind(outcome.err())
        .bind(now())
        .bind(&id)
        .bind(&row.wire.endpoint)
        .execute(&mut *ctx.db.conn().await?)
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
    let url = net::check_url(&d.endpoint, ctx.policy())
        .await
        .map_err(|e| e.to_string())?;
    let target = format!("{}{path}", url.as_str().trim_end_matches('/'));
    match ctx.http.get(target).timeout(PROBE_TIMEOUT).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("the backend answered {}", r.status())),
        Err(e) => Err(format!("the backend did not answer: {e}")),
    }
}
