//! Settles usage records a dead writer left `open`.
//!
//! A streamed request's record is written while the stream flows; when the
//! process serving it is killed, the record keeps the counts last written and
//! stays open. Every instance, at start-up and then every [`PERIOD`], settles
//! the open records that nobody wrote for [`STALE_SECS`] (a live stream
//! writes at least every [`HEARTBEAT`], so only orphans are that quiet, even
//! with several instances on one database).

use std::sync::Arc;
use std::time::Duration;

use crate::bitstride::{billing, Bitstride};
use crate::platform::storage::now;

/// How long an open record must go unwritten before it is settled, seconds.
pub const STALE_SECS: i64 = 60;
/// How often a live stream writes its record even when no tokens flow.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// How often the sweeper looks.
pub const PERIOD: Duration = Duration::from_secs(30);

/// Starts the sweeper of this instance.
pub fn start(ctx: Arc<Bitstride>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        loop {
            tick.tick().await;
            match billing::settle_stale(&ctx.db, now() - STALE_SECS).await {
                Ok(0) => {}
                Ok(n) => {
                    slog::warn!(ctx.log, "settled usage records left open by a stopped writer";
                    "records" => n)
                }
                Err(e) => slog::warn!(ctx.log, "usage sweep failed"; "error" => e.to_string()),
            }
        }
    });
}
