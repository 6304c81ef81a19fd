//! Deployments: routable inference backends. A deployment starts `pending`;
//! the health probe ([`probe`]) moves it to `ready` when its backend answers,
//! or `failed`. Backends are OpenAI-compatible servers (`endpoint`), the
//! built-in echo backend (`builtin://echo`), or a model the reference trainer
//! produced, served in process (`builtin://model` with `model_id`).

pub mod probe;

use quartet_api::bitstride::{
    messages, CacheAffinity, Deployment, DeploymentCapabilities, DeploymentCreate, DeploymentList,
    DeploymentStatus, DeploymentTargetStatus, DeploymentUpdate, ErrorCode, ErrorEnvelope,
    ListParams,
};
use sqlx::Row as _;

use super::auth::Caller;
use super::net::{self, Policy, Refused};
use super::projects::check_ref;
use super::store::{check_name, enum_text, new_id, ord_now, org_rows, page, parse_enum, unique_or};
use super::{err, Bitstride};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// The in-process echo backend.
pub const ECHO: &str = "builtin://echo";
/// The in-process server of reference-trained models.
pub const MODEL: &str = "builtin://model";

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

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::DEPLOYMENT_NOT_FOUND)
}

/// The deployment `id` (of `org_id` when given).
pub async fn get(db: &Db, org_id: Option<&str>, id: &str) -> Result<Option<Row>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bitstride_deployments WHERE id = $1 AND ($2 IS NULL OR org_id = $2)"
    )))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *db.conn().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
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

/// Whether `s` is a DNS label: 1 to 63 lowercase letters, digits or inner hyphens.
pub fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Bitstride {
    /// How many deployments' backends passed, and failed, their last health probe.
    pub(super) async fn backend_health(&self) -> Result<(i64, i64), DbError> {
        let counts: (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM bitstride_deployments",
        )
        .fetch_one(&mut *self.db.conn().await?)
        .await?;
        Ok(counts)
    }

    /// The address policy for backends.
    pub(super) fn policy(&self) -> Policy {
        if self.config.bitstride_loopback_backends_only {
            Policy::LoopbackOnly
        } else if self.config.bitstride_allow_private_backends {
            Policy::Any
        } else {
            Policy::Public
        }
    }

    /// 400 unless `endpoint` is a builtin backend or an allowed http(s) URL.
    async fn check_endpoint(&self, endpoint: &str) -> Result<(), ErrorEnvelope> {
        if endpoint == ECHO || endpoint == MODEL {
            return Ok(());
        }
        match net::check_url(endpoint, self.policy()).await {
            Ok(_) => Ok(()),
            Err(Refused::NotHttp) => Err(err(ErrorCode::InvalidRequest, messages::BAD_ENDPOINT)),
            Err(Refused::Address) => Err(err(ErrorCode::InvalidRequest, messages::PRIVATE_BACKEND)),
        }
    }

    async fn check_model_ref(
        &self,
        org_id: &str,
        endpoint: &str,
        model_id: Option<&str>,
    ) -> Result<(), ErrorEnvelope> {
        if let Some(id) = model_id {
            let m = super::models::get(&self.db, org_id, id).await?;
            let Some(m) = m else {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    "model_id does not name a model in this organization",
                ));
            };
            if endpoint == MODEL
                && m.artifact_uri.as_deref() != Some(&super::jobs::reference::artifact_uri(&m.id))
            {
                return Err(err(
                    ErrorCode::InvalidRequest,
                    "builtin://model serves only models the reference trainer produced",
                ));
            }
        } else if endpoint == MODEL {
            return Err(err(
                ErrorCode::InvalidRequest,
                "builtin://model needs a model_id",
            ));
        }
        Ok(())
    }

    /// `GET /v1/deployments`.
    pub(super) async fn list_deployments(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<DeploymentList, ErrorEnvelope> {
        let all: Vec<Deployment> = org_rows(
            &self.db,
            "bitstride_deployments",
            COLUMNS,
            &caller.org_id,
            from_row,
        )
        .await?
        .into_iter()
        .map(|r| r.wire)
        .collect();
        let (data, has_more) = page(all, params, |d| &d.id)?;
        Ok(DeploymentList {
            object: "list".into(),
            data,
            has_more,
        })
    }

    /// `POST /v1/deployments`.
    pub(super) async fn create_deployment(
        &self,
        caller: &Caller,
        body: DeploymentCreate,
    ) -> Result<Deployment, ErrorEnvelope> {
        check_name(&body.name)?;
        if !is_label(&body.subdomain) {
            return Err(err(ErrorCode::InvalidRequest, messages::SUBDOMAIN_FORMAT));
        }
        let min = body.min_replicas.unwrap_or(1);
        let max = body.max_replicas.unwrap_or(min.max(1));
        check_replicas(min, max)?;
        let concurrency = body.concurrency_limit.unwrap_or(16);
        check_range(concurrency, 1, 10_000, "concurrency_limit")?;
        self.check_endpoint(&body.endpoint).await?;
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        self.check_model_ref(&caller.org_id, &body.endpoint, body.model_id.as_deref())
            .await?;
        let capabilities = body.capabilities.unwrap_or(DeploymentCapabilities {
            streaming: false,
            adapter_types: Vec::new(),
            cache_affinity: CacheAffinity::None,
            supported_protocols: vec![body.protocol],
        });
        let id = new_id("dep");
        let now = now();
        let inserted = sqlx::query(
            "INSERT INTO bitstride_deployments (id, org_id, name, subdomain, endpoint, backend_type,
                 protocol, region, min_replicas, max_replicas, concurrency_limit, capabilities, status,
                 model_id, project_id, ord, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        )
        .bind(&id)
        .bind(&caller.org_id)
        .bind(&body.name)
        .bind(&body.subdomain)
        .bind(&body.endpoint)
        .bind(enum_text(&body.backend_type))
        .bind(enum_text(&body.protocol))
        .bind(body.region.unwrap_or_else(|| "local".into()))
        .bind(min)
        .bind(max)
        .bind(concurrency)
        .bind(serde_json::to_string(&capabilities).unwrap_or_default())
        .bind(enum_text(&DeploymentStatus::Pending))
        .bind(body.model_id)
        .bind(body.project_id)
        .bind(ord_now())
        .bind(now)
        .execute(&mut *self.db.conn().await?)
        .await;
        inserted.map_err(|e| unique_or(e, messages::SUBDOMAIN_TAKEN))?;
        probe::wake();
        Ok(get(&self.db, Some(&caller.org_id), &id)
            .await?
            .ok_or_else(not_found)?
            .wire)
    }

    /// `GET /v1/deployments/{id}`.
    pub(super) async fn get_deployment(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Deployment, ErrorEnvelope> {
        Ok(get(&self.db, Some(&caller.org_id), id)
            .await?
            .ok_or_else(not_found)?
            .wire)
    }

    /// `PUT /v1/deployments/{id}`.
    pub(super) async fn update_deployment(
        &self,
        caller: &Caller,
        id: &str,
        body: DeploymentUpdate,
    ) -> Result<Deployment, ErrorEnvelope> {
        let current = get(&self.db, Some(&caller.org_id), id)
            .await?
            .ok_or_else(not_found)?
            .wire;
        if let Some(name) = &body.name {
            check_name(name)?;
        }
        let min = body.min_replicas.unwrap_or(current.min_replicas);
        let max = body.max_replicas.unwrap_or(current.max_replicas);
        check_replicas(min, max)?;
        if let Some(c) = body.concurrency_limit {
            check_range(c, 1, 10_000, "concurrency_limit")?;
        }
        let endpoint = body.endpoint.clone().unwrap_or(current.endpoint.clone());
        if body.endpoint.is_some() {
            self.check_endpoint(&endpoint).await?;
            self.check_model_ref(&caller.org_id, &endpoint, current.model_id.as_deref())
                .await?;
        }
        // A new backend, or a restart, is probed again.
        let status = match body.status {
            Some(DeploymentTargetStatus::Stopped) => DeploymentStatus::Stopped,
            Some(DeploymentTargetStatus::Active) => DeploymentStatus::Pending,
            None if body.endpoint.is_some() && current.status != DeploymentStatus::Stopped => {
                DeploymentStatus::Pending
            }
            None => current.status,
        };
        sqlx::query(
            "UPDATE bitstride_deployments SET name = COALESCE($1, name), endpoint = $2,
                 backend_type = COALESCE($3, backend_type), protocol = COALESCE($4, protocol),
                 region = COALESCE($5, region), min_replicas = $6, max_replicas = $7,
                 concurrency_limit = COALESCE($8, concurrency_limit),
                 capabilities = COALESCE($9, capabilities), status = $10, updated_at = $11
             WHERE id = $12 AND org_id = $13",
        )
        .bind(body.name)
        .bind(&endpoint)
        .bind(body.backend_type.map(|b| enum_text(&b)))
        .bind(body.protocol.map(|p| enum_text(&p)))
        .bind(body.region)
        .bind(min)
        .bind(max)
        .bind(body.concurrency_limit)
        .bind(
            body.capabilities
                .map(|c| serde_json::to_string(&c).unwrap_or_default()),
        )
        .bind(enum_text(&status))
        .bind(now())
        .bind(id)
        .bind(&caller.org_id)
        .execute(&mut *self.db.conn().await?)
        .await
        .map_err(crate::platform::DbError::from)?;
        if status == DeploymentStatus::Pending {
            probe::wake();
        }
        Ok(get(&self.db, Some(&caller.org_id), id)
            .await?
            .ok_or_else(not_found)?
            .wire)
    }
}

/// 400 unless the replica bounds are in range and in order.
fn check_replicas(min: i64, max: i64) -> Result<(), ErrorEnvelope> {
    check_range(min, 0, 100, "min_replicas")?;
    check_range(max, 1, 100, "max_replicas")?;
    if min > max {
        return Err(err(
            ErrorCode::InvalidRequest,
            messages::REPLICAS_OUT_OF_ORDER,
        ));
    }
    Ok(())
}

fn check_range(v: i64, min: i64, max: i64, name: &str) -> Result<(), ErrorEnvelope> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(err(
            ErrorCode::InvalidRequest,
            format!("{name} must be between {min} and {max}"),
        ))
    }
}
