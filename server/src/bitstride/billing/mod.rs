//! Usage and invoices. Every completion the gateway serves and every training
//! job that succeeds writes a usage record; reports and invoices are computed
//! from them with integer arithmetic only.
//!
//! Money is in micro-dollars (`*_micros`, 1 USD = 1 000 000): the smallest unit
//! the price table needs. The list prices ([`PRICES`]) are per million tokens;
//! a charge is `tokens × price / 1 000 000` rounded half up, once per usage
//! bucket (reports) or per invoice line (invoices), and an invoice's amount is
//! the sum of its lines.

pub mod meter;
mod store;

use chrono::{Datelike, TimeZone, Utc};
use quartet_api::bitstride::{
    messages, ErrorCode, ErrorEnvelope, Invoice, InvoiceLineItem, InvoiceList, InvoiceStatus,
    ListParams, UsageBucket, UsageKind, UsageParams, UsageReport,
};

use super::auth::Caller;
use super::store::page;
use super::{err, Bitstride};
use crate::platform::secrets::sha256_hex;
use crate::platform::storage::now;
use crate::platform::DbError;
pub use store::{
    by_day, discard_inference, open_inference, record_training, settle_stale, write_inference,
    Filter, OpenUsage, Totals,
};

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
        if q.user
            .as_ref()
            .is_some_and(|u| !super::gateway::valid_user(u))
        {
            return Err(err(ErrorCode::InvalidRequest, messages::USER_TOO_LONG));
        }
        let filter = Filter {
            start,
            end,
            model: q.model.as_deref(),
            end_user: q.user.as_deref(),
        };
        let groups = by_day(&self.db, &caller.org_id, &filter).await?;
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
        let rows = store::by_model(&self.db, org_id, period_start, period_end).await?;
        let mut line_items = Vec::new();
        let (mut requests, mut tokens) = (0, 0);
        for (model, t) in rows {
            requests += t.requests;
            tokens += t.input + t.output + t.trained;
            for (kind, quantity) in [
                (UsageKind::InputTokens, t.input),
                (UsageKind::OutputTokens, t.output),
                (UsageKind::TrainedTokens, t.trained),
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
        let status = match store::invoice_status(&self.db, org_id, period_start).await? {
            Some(s) => s,
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
        let created = super::orgs::created_at(&self.db, &caller.org_id)
            .await?
            .unwrap_or_else(now);
        let first_usage = store::first_usage(&self.db, &caller.org_id).await?;
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
