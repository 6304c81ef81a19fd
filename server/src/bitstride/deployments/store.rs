//! Deployment rows.

use quartet_api::bitstride::{Deployment, DeploymentStatus, DeploymentUpdate};
use sqlx::Row as _;

use crate::bitstride::store::{enum_text, ord_now, org_row, org_rows, parse_enum};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

const COLUMNS: &str = "id, org_id, name, subdomain, endpoint, backend_type, protocol, region, \
                       min_replicas, max_replicas, concurrency_limit, capabilities, status, model_id, \
                       project_id, created_at, updated_at";

/// A deployment row with its organization.
#[derive(Debug, Clone)]
pub struct Row {
    /// The wire form.
    pub wire: Deployment,
    /// Owner.
    pub org_id: String,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Row, DbError> {
    let text = |c: &str| r.try_get::<String, _>(c);
    let caps: String = r.try_get("capabilities")?;
    Ok(Row {
        org_id: r.try_get("org_id")?,
        wire: Deployment {
            object: "deployment".into(),
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            subdomain: r.try_get("subdomain")?,
            endpoint: r.try_get("endpoint")?,
            backend_type: parse_enum("backend type", &text("backend_type")?)?,
            protocol: parse_enum("protocol", &text("protocol")?)?,
            region: r.try_get("region")?,
            min_replicas: r.try_get("min_replicas")?,
            max_replicas: r.try_get("max_replicas")?,
            concurrency_limit: r.try_get("concurrency_limit")?,
            capabilities: serde_json::from_str(&caps)
                .map_err(|e| DbError::Corrupt(format!("capabilities: {e}")))?,
            status: parse_enum("deployment status", &text("status")?)?,
            model_id: r.try_get("model_id")?,
            project_id: r.try_get("project_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        },
    })
}

/// The deployment `id` of `org_id`.
pub async fn get(db: &Db, org_id: &str, id: &str) -> Result<Option<Row>, DbError> {
    org_row(db, "bitstride_deployments", COLUMNS, org_id, id, from_row).await
}

/// The deployment with subdomain `sub`.
pub async fn by_subdomain(db: &Db, sub: &str) -> Result<Option<Row>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_deployments WHERE subdomain = $1"
    )))
    .bind(sub)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every deployment of `org_id`, newest first.
pub async fn list(db: &Db, org_id: &str) -> Result<Vec<Row>, DbError> {
    org_rows(db, "bitstride_deployments", COLUMNS, org_id, from_row).await
}

/// How many deployments' backends passed, and failed, their last health probe.
pub async fn probe_counts(db: &Db) -> Result<(i64, i64), DbError> {
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM bitstride_deployments",
    )
    .fetch_one(&mut *db.conn().await?)
    .await?;
    Ok(counts)
}

/// The deployments waiting for their probe.
pub async fn pending(db: &Db) -> Result<Vec<Row>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_deployments WHERE status = 'pending'"
    )))
    .fetch_all(&mut *db.conn().await?)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Records the probe of `id` at `endpoint`, unless the deployment changed meanwhile
/// (no longer pending, or another endpoint).
pub async fn probed(
    db: &Db,
    id: &str,
    endpoint: &str,
    status: DeploymentStatus,
    error: Option<String>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_deployments SET status = $1, probe_error = $2, updated_at = $3
         WHERE id = $4 AND status = 'pending' AND endpoint = $5",
    )
    .bind(enum_text(&status))
    .bind(error)
    .bind(now())
    .bind(id)
    .bind(endpoint)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// Records deployment `d` of `org_id` (a subdomain taken is a unique violation).
pub async fn insert(db: &Db, org_id: &str, d: &Deployment) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_deployments (id, org_id, name, subdomain, endpoint, backend_type,
             protocol, region, min_replicas, max_replicas, concurrency_limit, capabilities, status,
             model_id, project_id, ord, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&d.id)
    .bind(org_id)
    .bind(&d.name)
    .bind(&d.subdomain)
    .bind(&d.endpoint)
    .bind(enum_text(&d.backend_type))
    .bind(enum_text(&d.protocol))
    .bind(&d.region)
    .bind(d.min_replicas)
    .bind(d.max_replicas)
    .bind(d.concurrency_limit)
    .bind(serde_json::to_string(&d.capabilities).unwrap_or_default())
    .bind(enum_text(&d.status))
    .bind(&d.model_id)
    .bind(&d.project_id)
    .bind(ord_now())
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}

/// The values of an update that the area settled from the request and the current row.
pub struct Settled<'a> {
    /// The endpoint (new or current).
    pub endpoint: &'a str,
    /// The replica bounds (new or current).
    pub min_replicas: i64,
    /// See `min_replicas`.
    pub max_replicas: i64,
    /// The status after the update.
    pub status: DeploymentStatus,
}

/// Changes deployment `id` of `org_id`: the fields `body` gives, and `settled`.
pub async fn update(
    db: &Db,
    org_id: &str,
    id: &str,
    body: DeploymentUpdate,
    settled: Settled<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE bitstride_deployments SET name = COALESCE($1, name), endpoint = $2,
             backend_type = COALESCE($3, backend_type), protocol = COALESCE($4, protocol),
             region = COALESCE($5, region), min_replicas = $6, max_replicas = $7,
             concurrency_limit = COALESCE($8, concurrency_limit),
             capabilities = COALESCE($9, capabilities), status = $10, updated_at = $11
         WHERE id = $12 AND org_id = $13",
    )
    .bind(body.name)
    .bind(settled.endpoint)
    .bind(body.backend_type.map(|b| enum_text(&b)))
    .bind(body.protocol.map(|p| enum_text(&p)))
    .bind(body.region)
    .bind(settled.min_replicas)
    .bind(settled.max_replicas)
    .bind(body.concurrency_limit)
    .bind(
        body.capabilities
            .map(|c| serde_json::to_string(&c).unwrap_or_default()),
    )
    .bind(enum_text(&settled.status))
    .bind(now())
    .bind(id)
    .bind(org_id)
    .execute(&mut *db.conn().await?)
    .await?;
    Ok(())
}
