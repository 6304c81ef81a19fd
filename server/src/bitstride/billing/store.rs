//! Usage records and invoice states.

use quartet_api::bitstride::InvoiceStatus;
use sqlx::AnyConnection;

use crate::bitstride::store::{new_id, parse_enum};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// A gateway request's usage record as it is first written: before the backend
/// is asked, so that nothing is served that is not billed.
pub struct OpenUsage<'a> {
    /// Caller's organization.
    pub org_id: &'a str,
    /// The model billed: the deployment's, never the backend's answer.
    pub model: &'a str,
    /// Deployment.
    pub deployment_id: &'a str,
    /// API key, if one was used.
    pub credential_id: Option<&'a str>,
    /// The request's `user` field (the caller's end user).
    pub end_user: Option<&'a str>,
    /// Prompt tokens, as the gateway counted them.
    pub input: i64,
}

/// Writes an `open` usage record (one request, `input` prompt tokens, nothing
/// generated yet) and returns its id.
pub async fn open_inference(db: &Db, u: &OpenUsage<'_>) -> Result<String, DbError> {
    let id = new_id("use");
    let at = now();
    sqlx::query(
        "INSERT INTO bitstride_usage (id, org_id, model, deployment_id, credential_id, end_user,
             input_tokens, output_tokens, trained_tokens, requests, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 1, 'open', $8, $8)",
    )
    .bind(&id)
    .bind(u.org_id)
    .bind(u.model)
    .bind(u.deployment_id)
    .bind(u.credential_id)
    .bind(u.end_user)
    .bind(u.input)
    .bind(at)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(id)
}

/// Writes the counts of the open record `id` so far (`closed`: and closes it).
/// Fails when no open record `id` was changed, so a caller never believes a
/// write that did not happen.
pub async fn write_inference(
    db: &Db,
    id: &str,
    input: i64,
    output: i64,
    closed: bool,
) -> Result<(), DbError> {
    let changed = sqlx::query(
        "UPDATE bitstride_usage SET input_tokens = $1, output_tokens = $2, updated_at = $3,
             state = $4
         WHERE id = $5 AND state = 'open'",
    )
    .bind(input)
    .bind(output)
    .bind(now())
    .bind(if closed { "closed" } else { "open" })
    .bind(id)
    .execute(&mut *db.conn().await?)
    .await?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(DbError::Corrupt(format!("usage record {id} is not open")))
    }
}

/// Removes the record `id` while it is still open (its request delivered nothing).
pub async fn discard_inference(db: &Db, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM bitstride_usage WHERE id = $1 AND state = 'open'")
        .bind(id)
        .execute(&mut *db.conn().await?)
        .await?;
    Ok(())
}

/// Settles the records left `open` whose writer last wrote before `before` (a
/// crashed or killed process): they keep the counts last written. Returns how
/// many were settled.
pub async fn settle_stale(db: &Db, before: i64) -> Result<u64, DbError> {
    Ok(sqlx::query(
        "UPDATE bitstride_usage SET state = 'settled' WHERE state = 'open' AND updated_at < $1",
    )
    .bind(before)
    .execute(&mut *db.conn().await?)
    .await?
    .rows_affected())
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

impl From<(i64, i64, i64, i64)> for Totals {
    /// Requests, input, output and trained tokens, in the order the queries sum them.
    fn from((requests, input, output, trained): (i64, i64, i64, i64)) -> Self {
        Self {
            requests,
            input,
            output,
            trained,
        }
    }
}

/// Which usage records a report counts.
pub struct Filter<'a> {
    /// Window start, inclusive.
    pub start: i64,
    /// Window end, exclusive.
    pub end: i64,
    /// Only this billed model.
    pub model: Option<&'a str>,
    /// Only this end user (the chat request's `user`).
    pub end_user: Option<&'a str>,
}

/// Usage of `org_id` in the filter's window, grouped by UTC day and model,
/// oldest first. Open records count with what they hold so far.
pub async fn by_day(
    db: &Db,
    org_id: &str,
    f: &Filter<'_>,
) -> Result<Vec<(i64, String, Totals)>, DbError> {
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT CAST(created_at - (created_at % 86400) AS BIGINT) AS day, model, CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT),
                CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(trained_tokens) AS BIGINT)
         FROM bitstride_usage
         WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 AND ($4 IS NULL OR model = $4)
             AND ($5 IS NULL OR end_user = $5)
         GROUP BY day, model ORDER BY day, model",
    )
    .bind(org_id)
    .bind(f.start)
    .bind(f.end)
    .bind(f.model)
    .bind(f.end_user)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, model, r, i, o, t)| (day, model, Totals::from((r, i, o, t))))
        .collect())
}

/// Usage of `org_id` in `[start, end)`, grouped by model, in model order.
pub async fn by_model(
    db: &Db,
    org_id: &str,
    start: i64,
    end: i64,
) -> Result<Vec<(String, Totals)>, DbError> {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT model, CAST(SUM(requests) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(trained_tokens) AS BIGINT)
         FROM bitstride_usage WHERE org_id = $1 AND created_at >= $2 AND created_at < $3
         GROUP BY model ORDER BY model",
    )
    .bind(org_id)
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db.conn().await?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(model, r, i, o, t)| (model, Totals::from((r, i, o, t))))
        .collect())
}

/// The stored status of the invoice of `org_id` for the month starting at `period_start`.
pub async fn invoice_status(
    db: &Db,
    org_id: &str,
    period_start: i64,
) -> Result<Option<InvoiceStatus>, DbError> {
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT status FROM bitstride_invoice_status WHERE org_id = $1 AND period_start = $2",
    )
    .bind(org_id)
    .bind(period_start)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    stored.map(|s| parse_enum("invoice status", &s)).transpose()
}

/// When `org_id` first used anything.
pub async fn first_usage(db: &Db, org_id: &str) -> Result<Option<i64>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT MIN(created_at) FROM bitstride_usage WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&mut *db.conn().await?)
            .await?,
    )
}
