//! Usage records and invoice states.

use quartet_api::bitstride::InvoiceStatus;
use sqlx::AnyConnection;

use crate::bitstride::store::{new_id, parse_enum};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

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
