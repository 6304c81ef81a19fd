//! `quartet admin bitstride …`: what the back office does without the API.

use anyhow::{bail, Result};
use quartet_api::bitstride::InvoiceStatus;

use super::billing::month_of;
use super::store::enum_text;
use crate::platform::Platform;

/// Bitstride's admin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Set the status of an organization's invoice (`paid`, `void` or `open`).
    InvoiceStatus {
        /// Organization id (`org_…`).
        org_id: String,
        /// Any Unix time inside the billed month.
        month: i64,
        /// New status.
        #[arg(value_parser = ["open", "paid", "void"])]
        status: String,
    },
}

/// Runs one admin command.
pub async fn run(platform: Platform, command: Command) -> Result<()> {
    match command {
        Command::InvoiceStatus {
            org_id,
            month,
            status,
        } => {
            let status: InvoiceStatus = serde_json::from_value(serde_json::json!(status))?;
            let (start, _) = month_of(month);
            let exists: Option<String> =
                sqlx::query_scalar("SELECT id FROM bitstride_orgs WHERE id = $1")
                    .bind(&org_id)
                    .fetch_optional(&mut *platform.db.conn().await?)
                    .await?;
            if exists.is_none() {
                bail!("no organization {org_id}");
            }
            sqlx::query(
                "INSERT INTO bitstride_invoice_status (org_id, period_start, status) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, period_start) DO UPDATE SET status = $3",
            )
            .bind(&org_id)
            .bind(start)
            .bind(enum_text(&status))
            .execute(&mut *platform.db.conn().await?)
            .await?;
            println!(
                "invoice of {org_id} for the month starting {start}: {}",
                enum_text(&status)
            );
            Ok(())
        }
    }
}
