//! Usage and invoices. Every completion the gateway serves and every training
//! job that succeeds writes a usage record; reports and invoices are computed
//! from them with integer arithmetic only.
//!
//! Money is in micro-dollars (`*_micros`, 1 USD = 1 000 000): the smallest unit
//! the price table needs. The list prices ([`PRICES`]) are per million tokens;
//! a charge is `tokens × price / 1 000 000` rounded half up, once per usage
//! bucket (reports) or per invoice line (invoices), and an invoice's amount is
//! the sum of its lines.

use chrono::{Datelike, TimeZone, Utc};
use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, Invoice, InvoiceLineItem, InvoiceList, InvoiceStatus,
    ListParams, UsageBucket, UsageKind, UsageParams, UsageReport,
};
use sqlx::AnyConnection;

use super::auth::Caller;
use super::store::{new_id, page, parse_enum};
use super::{err, Bitstride};
use crate::platform::secrets::sha256_hex;
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// List prices in micro-dollars per million tokens, by kind.
pub const PRICES: [(UsageKind, i64); 3] = [
    (UsageKind::InputTokens, 500_000),
    (UsageKind::OutputTokens, 1_500_000),
    (UsageKind::TrainedTokens, 3_000_000),
];

/// The price of `kind`, micro-dollars per million tokens.
pub fn price(kind: UsageKind) -> i64 {
    PRICES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0, |(_, p)| *p)
}

/// `tokens` of `kind`, in micro-dollars, rounded half up.
pub fn charge(kind: UsageKind, tokens: i64) -> i64 {
    (tokens * price(kind) + 500_000) / 1_000_000
}

/// Longest usage window, seconds.
pub const MAX_WINDOW_SECS: i64 = 366 * 86_400;
/// Default usage window, seconds.
pub const DEFAULT_WINDOW_SECS: i64 = 30 * 86_400;

/// Records one gateway completion.
pub async fn record_inference(
    db: &Db,
    org_id: &str,
    model: &str,
    deployment_id: &str,
    credential_id: Option<&str>,
    input: i64,
    output: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_usage (id, org_id, model, deployment_id, credential_id, input_tokens,
             output_tokens, trained_tokens, requests, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, $8)",
    )
    .bind(new_id("use"))
    .bind(org_id)
    .bind(model)
    .bind(deployment_id)
    .bind(credential_id)
    .bind(input)
    .bind(output)
    .bind(now())
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Records the tokens of a finished training job (inside its transaction).
pub async fn record_training(
    conn: &mut AnyConnection,
    org_id: &str,
    job_id: &str,
    base_model: &str,
    tokens: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_usage (id, org_id, model, job_id, input_tokens, output_tokens,
             trained_tokens, requests, created_at)
         VALUES ($1, $2, $3, $4, 0, 0, $5, 0, $6)",
    )
    .bind(new_id("use"))
    .bind(org_id)
    .bind(base_model)
    .bind(job_id)
    .bind(tokens)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Totals of one group of usage records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Completions.
    pub requests: i64,
    /// Prompt tokens.
    pub input: i64,
    /// Generated tokens.
    pub output: i64,
    /// Trained tokens.
    pub trained: i64,
}

/// Usage of `org_id` in `[start, end)`, grouped by UTC day and model, oldest first.
pub async fn by_day(
    db: &Db,
    org_id: &str,
    start: i64,
    end: i64,
    model: Option<&str>,
) -> Result<Vec<(i64, String, Totals)>, DbError> {
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT CAST(created_at - (created_at % 86400) AS BIGINT) AS day, model, CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT),
                CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(trained_tokens) AS BIGINT)
         FROM bitstride_usage
         WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 AND ($4 IS NULL OR model = $4)
         GROUP BY day, model ORDER BY day, model",
    )
    .bind(org_id)
    .bind(start)
    .bind(end)
    .bind(model)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, model, requests, input, output, trained)| {
            (
                day,
                model,
                Totals {
                    requests,
                    input,
                    output,
                    trained,
                },
            )
        })
        .collect())
}

/// The cost of one bucket, micro-dollars.
pub fn bucket_cost(t: &Totals) -> i64 {
    charge(UsageKind::InputTokens, t.input)
        + charge(UsageKind::OutputTokens, t.output)
        + charge(UsageKind::TrainedTokens, t.trained)
}

/// First second of the UTC month containing `t`, and of the next one.
pub fn month_of(t: i64) -> (i64, i64) {
    let d = Utc.timestamp_opt(t, 0).single().unwrap_or_else(Utc::now);
    let start = Utc
        .with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0)
        .single()
        .map_or(0, |s| s.timestamp());
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    let end = Utc
        .with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .map_or(start, |s| s.timestamp());
    (start, end)
}

impl Bitstride {
    /// `GET /v1/usage`.
    pub(super) async fn usage(
        &self,
        caller: &Caller,
        q: &UsageParams,
    ) -> Result<UsageReport, ErrorEnvelope> {
        let end = q.end_time.unwrap_or_else(|| now() + 1);
        let start = q
            .start_time
            .unwrap_or(end.saturating_sub(DEFAULT_WINDOW_SECS));
        if start >= end {
            return Err(err(
                ErrorCode::InvalidRequest,
                messages::TIME_RANGE_INVERTED,
            ));
        }
        if end.saturating_sub(start) > MAX_WINDOW_SECS {
            return Err(err(
                ErrorCode::InvalidRequest,
                messages::TIME_RANGE_TOO_LONG,
            ));
        }
        let groups = by_day(&self.db, &caller.org_id, start, end, q.model.as_deref()).await?;
        let data: Vec<UsageBucket> = groups
            .into_iter()
            .map(|(day, model, t)| UsageBucket {
                object: "usage.bucket".into(),
                bucket_start: day,
                model,
                requests: t.requests,
                input_tokens: t.input,
                output_tokens: t.output,
                total_tokens: t.input + t.output + t.trained,
                trained_tokens: t.trained,
                cost_micros: bucket_cost(&t),
            })
            .collect();
        Ok(UsageReport {
            object: "usage".into(),
            start_time: start,
            end_time: end,
            total_requests: data.iter().map(|b| b.requests).sum(),
            total_tokens: data.iter().map(|b| b.total_tokens).sum(),
            total_cost_micros: data.iter().map(|b| b.cost_micros).sum(),
            data,
        })
    }

    /// The invoice of `org_id` for the month starting at `period_start`.
    async fn invoice(
        &self,
        org_id: &str,
        period_start: i64,
        period_end: i64,
    ) -> Result<Invoice, DbError> {
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT model, CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(trained_tokens) AS BIGINT)
             FROM bitstride_usage WHERE org_id = $1 AND created_at >= $2 AND created_at < $3
             GROUP BY model ORDER BY model",
        )
        .bind(org_id)
        .bind(period_start)
        .bind(period_end)
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        let mut line_items = Vec::new();
        let (mut requests, mut tokens) = (0, 0);
        for (model, req, input, output, trained) in rows {
            requests += req;
            tokens += input + output + trained;
            for (kind, quantity) in [
                (UsageKind::InputTokens, input),
                (UsageKind::OutputTokens, output),
                (UsageKind::TrainedTokens, trained),
            ] {
                if quantity > 0 {
                    line_items.push(InvoiceLineItem {
                        model: model.clone(),
                        kind,
                        quantity,
                        unit_price_micros: price(kind),
                        amount_micros: charge(kind, quantity),
                    });
                }
            }
        }
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT status FROM bitstride_invoice_status WHERE org_id = $1 AND period_start = $2",
        )
        .bind(org_id)
        .bind(period_start)
        .fetch_optional(&mut *self.db.conn().await?)
        .await?;
        let status = match stored {
            Some(s) => parse_enum("invoice status", &s)?,
            None if period_end > now() => InvoiceStatus::Draft,
            None => InvoiceStatus::Open,
        };
        Ok(Invoice {
            object: "invoice".into(),
            id: invoice_id(org_id, period_start),
            status,
            currency: "usd".into(),
            period_start,
            period_end,
            total_requests: requests,
            total_tokens: tokens,
            amount_micros: line_items.iter().map(|l| l.amount_micros).sum(),
            line_items,
            created_at: period_start,
        })
    }

    /// `GET /v1/invoices`: one per month since the organization was created, newest first.
    pub(super) async fn list_invoices(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<InvoiceList, ErrorEnvelope> {
        let created: i64 =
            sqlx::query_scalar("SELECT created_at FROM bitstride_orgs WHERE id = $1")
                .bind(&caller.org_id)
                .fetch_optional(&mut *self.db.conn().await?)
                .await
                .map_err(crate::platform::DbError::from)?
                .unwrap_or_else(now);
        let first_usage: Option<i64> =
            sqlx::query_scalar("SELECT MIN(created_at) FROM bitstride_usage WHERE org_id = $1")
                .bind(&caller.org_id)
                .fetch_one(&mut *self.db.conn().await?)
                .await
                .map_err(crate::platform::DbError::from)?;
        let mut months = Vec::new();
        let (mut start, mut end) = month_of(first_usage.map_or(created, |u| u.min(created)));
        let (current, _) = month_of(now());
        while start <= current && months.len() < 1200 {
            months.push((start, end));
            let next = month_of(end);
            start = next.0;
            end = next.1;
        }
        months.reverse();
        let ids: Vec<(String, i64, i64)> = months
            .into_iter()
            .map(|(s, e)| (invoice_id(&caller.org_id, s), s, e))
            .collect();
        let (chosen, has_more) = page(ids, params, |(id, _, _)| id)?;
        let mut data = Vec::new();
        for (_, s, e) in chosen {
            data.push(self.invoice(&caller.org_id, s, e).await?);
        }
        Ok(InvoiceList {
            object: "list".into(),
            data,
            has_more,
        })
    }
}

/// The stable id of an organization's invoice for a month.
pub fn invoice_id(org_id: &str, period_start: i64) -> String {
    format!(
        "inv_{}",
        &sha256_hex(format!("{org_id}|{period_start}").as_bytes())[..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_integer_and_round_half_up() {
        assert_eq!(charge(UsageKind::InputTokens, 1_000_000), 500_000);
        assert_eq!(charge(UsageKind::InputTokens, 27), 14); // 13.5 rounds up
        assert_eq!(charge(UsageKind::OutputTokens, 11), 17); // 16.5 rounds up
        let (s, e) = month_of(1_735_776_000); // 2025-01-02
        assert_eq!((s, e), (1_735_689_600, 1_738_368_000));
    }
}
