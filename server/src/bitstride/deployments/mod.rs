//! Deployments: routable inference backends. A deployment starts `pending`;
//! the health probe ([`probe`]) moves it to `ready` when its backend answers,
//! or `failed`. Backends are OpenAI-compatible servers (`endpoint`), the
//! built-in echo backend (`builtin://echo`), or a model the reference trainer
//! produced, served in process (`builtin://model` with `model_id`).

pub mod probe;
mod store;

use quartet_api::bitstride::{
    messages, CacheAffinity, Deployment, DeploymentCapabilities, DeploymentCreate, DeploymentList,
    DeploymentStatus, DeploymentTargetStatus, DeploymentUpdate, ErrorCode, ErrorEnvelope,
    ListParams,
};

use super::auth::Caller;
use super::projects::check_ref;
use super::store::{check_name, check_range, new_id, page, unique_or};
use super::{err, Bitstride};
use crate::platform::outbound;
use crate::platform::storage::now;
use crate::platform::DbError;
pub use store::{by_subdomain, get, Row};

/// The in-process echo backend.
pub const ECHO: &str = "builtin://echo";
/// The in-process server of reference-trained models.
pub const MODEL: &str = "builtin://model";

fn not_found() -> ErrorEnvelope {
    err(ErrorCode::NotFound, messages::DEPLOYMENT_NOT_FOUND)
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
        store::probe_counts(&self.db).await
    }

    /// 400 unless `endpoint` is a builtin backend or an allowed http(s) URL.
    async fn check_endpoint(&self, endpoint: &str) -> Result<(), ErrorEnvelope> {
        if endpoint == ECHO || endpoint == MODEL {
            return Ok(());
        }
        match outbound::check_url(endpoint, self.backends.policy()).await {
            Ok(_) => Ok(()),
            Err(r) if r.is_not_http() => {
                Err(err(ErrorCode::InvalidRequest, messages::BAD_ENDPOINT))
            }
            Err(_) => Err(err(ErrorCode::InvalidRequest, messages::PRIVATE_BACKEND)),
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
        let all: Vec<Deployment> = store::list(&self.db, &caller.org_id)
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
        let now = now();
        let deployment = Deployment {
            object: "deployment".into(),
            id: new_id("dep"),
            name: body.name,
            subdomain: body.subdomain,
            endpoint: body.endpoint,
            backend_type: body.backend_type,
            protocol: body.protocol,
            region: body.region.unwrap_or_else(|| "local".into()),
            min_replicas: min,
            max_replicas: max,
            concurrency_limit: concurrency,
            capabilities,
            status: DeploymentStatus::Pending,
            model_id: body.model_id,
            project_id: body.project_id,
            created_at: now,
            updated_at: now,
        };
        store::insert(&self.db, &caller.org_id, &deployment)
            .await
            .map_err(|e| unique_or(e, messages::SUBDOMAIN_TAKEN))?;
        probe::wake();
        Ok(get(&self.db, &caller.org_id, &deployment.id)
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
        Ok(get(&self.db, &caller.org_id, id)
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
        let current = get(&self.db, &caller.org_id, id)
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
        store::update(
            &self.db,
            &caller.org_id,
            id,
            body,
            store::Settled {
                endpoint: &endpoint,
                min_replicas: min,
                max_replicas: max,
                status,
            },
        )
        .await?;
        if status == DeploymentStatus::Pending {
            probe::wake();
        }
        Ok(get(&self.db, &caller.org_id, id)
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
