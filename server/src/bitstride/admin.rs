//! `quartet admin bitstride …`: what the back office does without the API.

use anyhow::{bail, Result};
use quartet_api::bitstride::InvoiceStatus;

use super::accounts::{passwords, users};
use super::auth::KEY_PREFIX;
use super::billing::month_of;
use super::store::{enum_text, new_id, KEY_KIND};
use crate::platform::credentials::{CredentialStore, NewCredential};
use crate::platform::secrets::random_hex;
use crate::platform::storage::now;
use crate::platform::Platform;

/// Bitstride's admin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an account with its organization (as `POST /v1/auth/register` does) and
    /// print it as JSON, with an API key of every scope when `--api-key` is given.
    AccountCreate {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Password, 8 to 128 characters.
        #[arg(long)]
        password: String,
        /// Also create an API key (`read write inference`) and print it (once).
        #[arg(long)]
        api_key: bool,
        /// Record the email address as verified (the operator vouches for it), so
        /// an OAuth provider that reports the same verified address may link to it.
        #[arg(long)]
        email_verified: bool,
    },
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
    /// Record usage by hand (an import from another meter, a correction): it is
    /// reported and invoiced like the gateway's and the trainers' own records.
    UsageRecord {
        /// Organization id (`org_…`).
        #[arg(long)]
        org: String,
        /// Model the tokens were processed by.
        #[arg(long)]
        model: String,
        /// Completions served.
        #[arg(long, default_value_t = 0)]
        requests: i64,
        /// Prompt tokens.
        #[arg(long, default_value_t = 0)]
        input: i64,
        /// Generated tokens.
        #[arg(long, default_value_t = 0)]
        output: i64,
        /// Trained tokens.
        #[arg(long, default_value_t = 0)]
        trained: i64,
        /// When, Unix seconds (default: now).
        #[arg(long)]
        at: Option<i64>,
        /// End user the completions were for (the chat request's `user`).
        #[arg(long)]
        user: Option<String>,
    },
}

/// Runs one admin command.
pub async fn run(platform: Platform, command: Command) -> Result<()> {
    match command {
        Command::AccountCreate {
            email,
            password,
            api_key,
            email_verified,
        } => {
            let email = email.trim().to_lowercase();
            if !users::is_email(&email) {
                bail!("{email:?} is not an email address");
            }
            if !(8..=128).contains(&password.chars().count()) {
                bail!("the password needs 8 to 128 characters");
            }
            let hash = passwords::hash(password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = users::create(
                &platform.db,
                users::NewUser {
                    organization_name: email.clone(),
                    email,
                    name: None,
                    password_hash: Some(hash),
                    email_verified,
                },
            )
            .await?;
            let mut out =
                serde_json::json!({"user_id": user.id, "org_id": user.org_id, "email": user.email});
            if api_key {
                let secret = format!("{KEY_PREFIX}{}", random_hex(20));
                let mut attributes = serde_json::Map::new();
                attributes.insert("user_id".into(), serde_json::json!(user.id));
                CredentialStore::new(platform.db.clone(), KEY_KIND)
                    .create(NewCredential {
                        id: new_id("key"),
                        secret: secret.clone(),
                        prefix_len: 12,
                        label: "admin".into(),
                        owner: Some(user.org_id.clone()),
                        scopes: ["read", "write", "inference"].map(String::from).to_vec(),
                        attributes,
                        expires_at: None,
                    })
                    .await?;
                out["api_key"] = serde_json::json!(secret);
            }
            println!("{out}");
            Ok(())
        }
        Command::InvoiceStatus {
            org_id,
            month,
            status,
        } => {
            let status: InvoiceStatus = serde_json::from_value(serde_json::json!(status))?;
            let (start, _) = month_of(month);
            if super::orgs::created_at(&platform.db, &org_id)
                .await?
                .is_none()
            {
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
        Command::UsageRecord {
            org,
            model,
            requests,
            input,
            output,
            trained,
            at,
            user,
        } => {
            if [requests, input, output, trained].iter().any(|n| *n < 0) {
                bail!("counts must not be negative");
            }
            if super::orgs::created_at(&platform.db, &org).await?.is_none() {
                bail!("no organization {org}");
            }
            let id = new_id("use");
            sqlx::query(
                "INSERT INTO bitstride_usage (id, org_id, model, input_tokens, output_tokens,
                     trained_tokens, requests, created_at, end_user)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(&org)
            .bind(&model)
            .bind(input)
            .bind(output)
            .bind(trained)
            .bind(requests)
            .bind(at.unwrap_or_else(now))
            .bind(user)
            .execute(&mut *platform.db.conn().await?)
            .await?;
            println!("{id}");
            Ok(())
        }
    }
}
