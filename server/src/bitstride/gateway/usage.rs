//! The usage record of one gateway request, written in the request's path.
//!
//! The record is inserted `open` before the backend is asked (a request whose
//! record cannot be written is refused with 503 `not_ready` and never reaches
//! the backend), holds the gateway's prompt count from the start, takes the
//! completion count as a stream flows ([`Record::progress`]) and is closed with
//! the billed figures at the end ([`Record::close`]). A record a crash left
//! open keeps the counts last written and is settled by [`sweeper`].
//!
//! The model billed is always the deployment's ([`billed_model`]), never the
//! name a backend puts in its answer.

pub mod sweeper;

use quartet_api::bitstride::{messages, ErrorCode, ErrorEnvelope};
use serde_json::Value;
use slog::Logger;

use super::Checked;
use crate::bitstride::auth::Caller;
use crate::bitstride::billing::{self, meter};
use crate::bitstride::deployments::Row;
use crate::bitstride::metrics::Metrics;
use crate::bitstride::{err, models, Bitstride};
use crate::platform::Db;

/// The 503 for a usage record that could not be written.
pub fn unrecorded() -> ErrorEnvelope {
    err(ErrorCode::NotReady, messages::USAGE_UNRECORDED)
}

/// The model a deployment's usage is billed under: the name of the model it
/// serves, or its subdomain (unique and immutable) when it names none.
pub async fn billed_model(db: &Db, row: &Row) -> Result<String, ErrorEnvelope> {
    if let Some(id) = &row.wire.model_id {
        if let Some(m) = models::get(db, &row.org_id, id).await? {
            return Ok(m.name);
        }
    }
    Ok(row.wire.subdomain.clone())
}

/// One request's open usage record.
pub struct Record {
    db: Db,
    metrics: Metrics,
    log: Logger,
    id: String,
    deployment_id: String,
    /// The model billed.
    pub model: String,
    /// Prompt tokens as the gateway counted them (what it sends).
    pub prompt: i64,
}

impl Record {
    /// Writes the open record of a request to `row` by `caller`, or answers 503.
    pub async fn open(
        ctx: &Bitstride,
        caller: &Caller,
        row: &Row,
        checked: &Checked,
    ) -> Result<Self, ErrorEnvelope> {
        let model = billed_model(&ctx.db, row).await?;
        let prompt = super::forward::prompt_tokens(checked);
        let credential = caller.api_key_id();
        let opened = billing::open_inference(
            &ctx.db,
            &billing::OpenUsage {
                org_id: &caller.org_id,
                model: &model,
                deployment_id: &row.wire.id,
                credential_id: credential,
                end_user: checked.request.user.as_deref(),
                input: prompt,
            },
        )
        .await;
        let id = opened.map_err(|e| {
            slog::error!(ctx.log, "usage record not written; request refused";
                "deployment_id" => &row.wire.id, "error" => e.to_string());
            unrecorded()
        })?;
        Ok(Self {
            db: ctx.db.clone(),
            metrics: ctx.metrics.clone(),
            log: ctx.log.clone(),
            id,
            deployment_id: row.wire.id.clone(),
            model,
            prompt,
        })
    }

    /// Writes the completion tokens relayed so far (the record stays open).
    pub async fn progress(&self, completion: i64) -> Result<(), ErrorEnvelope> {
        billing::write_inference(&self.db, &self.id, self.prompt, completion, false)
            .await
            .map_err(|e| self.failed(e))
    }

    /// Closes the record with the figures to bill: the backend's `usage` where
    /// believable ([`meter`]), else the gateway's counts; a backend that named
    /// another model than the deployment's is counted too. Returns the billed
    /// `(prompt, completion)`.
    pub async fn close(
        &self,
        reported: Option<&Value>,
        reported_model: Option<&str>,
        completion: i64,
    ) -> Result<(i64, i64), ErrorEnvelope> {
        let (p, c, why) = meter::reconcile(reported, self.prompt, completion);
        for (field, d) in &why {
            slog::warn!(self.log, "backend usage not billed; the gateway's count is";
                "deployment_id" => &self.deployment_id, "field" => *field, "kind" => d.label(),
                "reported" => reported.map(|u| u.to_string()).unwrap_or_default(),
                "counted_prompt" => self.prompt, "counted_completion" => completion);
            self.metrics.discrepancy(d.label());
        }
        if let Some(named) = reported_model.filter(|m| !m.is_empty() && *m != self.model) {
            slog::warn!(self.log, "backend answered as another model; the deployment's is billed";
                "deployment_id" => &self.deployment_id, "reported_model" => named,
                "billed_model" => &self.model);
            self.metrics.discrepancy("model");
        }
        billing::write_inference(&self.db, &self.id, p, c, true)
            .await
            .map_err(|e| self.failed(e))?;
        self.metrics.tokens(p, c);
        Ok((p, c))
    }

    /// Removes the record of a request that delivered nothing (a backend
    /// failure, or an answer withheld because its record could not be closed).
    pub async fn discard(&self) {
        if let Err(e) = billing::discard_inference(&self.db, &self.id).await {
            slog::error!(self.log, "usage record of an undelivered answer not removed";
                "usage_id" => &self.id, "error" => e.to_string());
        }
    }

    fn failed(&self, e: crate::platform::DbError) -> ErrorEnvelope {
        slog::error!(self.log, "usage record not updated";
            "usage_id" => &self.id, "error" => e.to_string());
        unrecorded()
    }
}
