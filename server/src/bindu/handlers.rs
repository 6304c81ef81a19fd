//! The `BinduApi` trait implemented over [`Bindu`]: one thin method per operation.

use std::sync::Arc;

use dropshot::{
    ApiDescription, Body, Header, HttpResponseFound, HttpResponseOk, Path, Query, RequestContext,
    TypedBody, UntypedBody,
};
use http::Response;
use quartet_api::bindu::*;
use serde_json::json;

use super::failure::Failure;
use super::payment::{capture_page, payment_required_response};
use super::rpc::json_response;
use super::{negotiation, store, Bindu};
use crate::platform::metrics::Status;

/// The Bindu API description, ready to serve.
pub fn api() -> ApiDescription<Arc<Bindu>> {
    bindu_api_mod::api_description::<BinduImpl>().expect("the Bindu trait describes a valid API")
}

/// Marker type carrying the trait implementation.
enum BinduImpl {}

type Ctx = RequestContext<Arc<Bindu>>;
type Reply<T> = Result<T, JsonRpcErrorResponse>;

impl Bindu {
    /// The public base URL: configured, else from the request's `Host`.
    pub(super) fn base_url(&self, headers: &http::HeaderMap) -> String {
        if self.config.bindu_public_url.is_some() {
            return self.public_url.clone();
        }
        headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && !h.contains(['/', ' ']))
            .map_or_else(|| self.public_url.clone(), |h| format!("http://{h}"))
    }

    fn resolve(&self, did: &str) -> Result<DidDocument, Failure> {
        let own = self.did()?;
        if did != own {
            return Err(Failure::names_nothing(format!("DID not found: {did}")));
        }
        Ok(self.identity()?.document(&own))
    }

    fn skill_or_404(&self, id: &str) -> Result<&super::skills::Skill, Failure> {
        self.manifest
            .skill(id)
            .ok_or_else(|| Failure::rpc(ErrorCode::SkillNotFound, Some(json!({ "skill_id": id }))))
    }

    async fn health(&self) -> Response<Body> {
        let storage = self.db.ping().await.is_ok();
        let worker = self.pool.as_ref().is_some_and(|p| p.is_running());
        let identity = self.identity.get();
        let healthy = storage && worker && identity.is_some();
        let body = HealthResponse {
            version: env!("CARGO_PKG_VERSION").into(),
            health: if healthy {
                HealthState::Healthy
            } else {
                HealthState::Degraded
            },
            runtime: HealthRuntime {
                storage_backend: match self.db.backend() {
                    crate::platform::storage::Backend::Sqlite => "SqliteStorage".into(),
                    crate::platform::storage::Backend::Postgres => "PostgresStorage".into(),
                },
                scheduler_backend: "DatabaseQueueScheduler".into(),
                task_manager_running: worker,
                strict_ready: true,
            },
            application: HealthApplication {
                penguin_id: identity.map(|i| i.agent_id.clone()).unwrap_or_default(),
                agent_did: identity
                    .map(|i| i.did(&self.manifest.author, &self.manifest.name))
                    .unwrap_or_default(),
            },
            system: HealthSystem {
                platform: std::env::consts::OS.into(),
                environment: "development".into(),
            },
            status: if healthy {
                HealthStatus::Ok
            } else {
                HealthStatus::Error
            },
            ready: healthy,
            uptime_seconds: (self.started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        };
        json_response(
            if healthy { 200 } else { 503 },
            &serde_json::to_value(&body).unwrap_or_default(),
        )
    }
}

impl Status for JsonRpcErrorResponse {
    fn status(&self) -> u16 {
        self.http_status()
    }
}

/// Runs the operation of `rqctx` and records it in the metrics (with its
/// JSON-RPC error, if it failed; `POST /` counts its own).
async fn metered<T: Status>(
    rqctx: &Ctx,
    work: impl std::future::Future<Output = Reply<T>>,
) -> Reply<T> {
    let bd = rqctx.context();
    let r = bd
        .metrics
        .requests
        .measure(&rqctx.endpoint.operation_id, work)
        .await;
    if let Err(e) = &r {
        bd.metrics.error(&super::metrics::error_type(e.error.code));
    }
    r
}

/// The card (both well-known paths serve it).
// The error is the surface's envelope, returned to dropshot as it is.
#[allow(clippy::result_large_err)]
fn card(rqctx: &Ctx) -> Reply<HttpResponseOk<AgentCard>> {
    let bd = rqctx.context();
    Ok(HttpResponseOk(
        bd.card(&bd.base_url(rqctx.request.headers()))?,
    ))
}

/// The card's headers, without the card (`HEAD` on either well-known path).
#[allow(clippy::result_large_err)]
fn card_head(rqctx: &Ctx) -> Reply<Response<Body>> {
    let bd = rqctx.context();
    let card = bd.card(&bd.base_url(rqctx.request.headers()))?;
    let length = serde_json::to_vec(&card).map(|v| v.len()).unwrap_or(0);
    Ok(Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, length)
        .body(Body::empty())
        .expect("a static response builds"))
}

fn text(content_type: &'static str, body: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a static response builds")
}

impl BinduApi for BinduImpl {
    type Context = Arc<Bindu>;

    async fn redirect_to_agent_card(rqctx: Ctx) -> Reply<HttpResponseFound> {
        metered(&rqctx, async {
            dropshot::http_response_found("/.well-known/agent.json".to_owned())
                .map_err(|e| Failure::from(crate::platform::Fault::internal(e)).into())
        })
        .await
    }

    async fn json_rpc(rqctx: Ctx, body: UntypedBody) -> Reply<Response<Body>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            Ok(bd.json_rpc(rqctx.request.headers(), body.as_bytes()).await)
        })
        .await
    }

    async fn get_agent_card(rqctx: Ctx) -> Reply<HttpResponseOk<AgentCard>> {
        metered(&rqctx, async { card(&rqctx) }).await
    }

    async fn head_agent_card(rqctx: Ctx) -> Reply<Response<Body>> {
        metered(&rqctx, async { card_head(&rqctx) }).await
    }

    async fn get_a2a_agent_card(rqctx: Ctx) -> Reply<HttpResponseOk<AgentCard>> {
        metered(&rqctx, async { card(&rqctx) }).await
    }

    async fn head_a2a_agent_card(rqctx: Ctx) -> Reply<Response<Body>> {
        metered(&rqctx, async { card_head(&rqctx) }).await
    }

    async fn resolve_did(
        rqctx: Ctx,
        query: Query<DidResolveQuery>,
    ) -> Reply<HttpResponseOk<DidDocument>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            Ok(HttpResponseOk(bd.resolve(&query.into_inner().did)?))
        })
        .await
    }

    async fn resolve_did_post(
        rqctx: Ctx,
        body: TypedBody<DidResolveRequest>,
    ) -> Reply<HttpResponseOk<DidDocument>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            Ok(HttpResponseOk(bd.resolve(&body.into_inner().did)?))
        })
        .await
    }

    async fn list_skills(rqctx: Ctx) -> Reply<HttpResponseOk<SkillList>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let skills: Vec<SkillSummary> =
                bd.manifest.skills.iter().map(|s| s.summary()).collect();
            Ok(HttpResponseOk(SkillList {
                total: skills.len() as i64,
                skills,
            }))
        })
        .await
    }

    async fn get_skill(rqctx: Ctx, path: Path<SkillPath>) -> Reply<HttpResponseOk<SkillDetail>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            Ok(HttpResponseOk(
                bd.skill_or_404(&path.into_inner().skill_id)?.detail.clone(),
            ))
        })
        .await
    }

    async fn get_skill_documentation(rqctx: Ctx, path: Path<SkillPath>) -> Reply<Response<Body>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let skill = bd.skill_or_404(&path.into_inner().skill_id)?;
            Ok(text(SKILL_DOCUMENTATION_CONTENT_TYPE, skill.source.clone()))
        })
        .await
    }

    async fn negotiate(
        rqctx: Ctx,
        body: TypedBody<NegotiationRequest>,
    ) -> Reply<HttpResponseOk<NegotiationResponse>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let depth = store::active_count(&bd.db).await?;
            Ok(HttpResponseOk(negotiation::negotiate(
                &bd.manifest,
                &body.into_inner(),
                depth,
            )?))
        })
        .await
    }

    async fn start_payment_session(rqctx: Ctx) -> Reply<HttpResponseOk<PaymentSession>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            Ok(HttpResponseOk(bd.start_session().await?))
        })
        .await
    }

    async fn get_payment_status(
        rqctx: Ctx,
        path: Path<PaymentSessionPath>,
        query: Query<PaymentStatusQuery>,
        headers: Header<PaymentSessionSecretHeader>,
    ) -> Reply<HttpResponseOk<PaymentStatus>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let secret = headers.into_inner().secret;
            let status = bd
                .session_status(
                    &path.into_inner().session_id,
                    query.into_inner().wait,
                    secret.as_deref(),
                )
                .await?;
            Ok(HttpResponseOk(status))
        })
        .await
    }

    async fn payment_capture(
        rqctx: Ctx,
        query: Query<PaymentCaptureQuery>,
    ) -> Reply<Response<Body>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let id = query.into_inner().session_id;
            match bd.capture(&id, rqctx.request.headers()).await {
                Ok(session) => Ok(text(HTML_CONTENT_TYPE, capture_page(&session))),
                Err(Failure::PaymentRequired(body)) => Ok(payment_required_response(&body)),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn get_health(rqctx: Ctx) -> Reply<Response<Body>> {
        let bd = rqctx.context();
        metered(&rqctx, async { Ok(bd.health().await) }).await
    }

    async fn get_metrics(rqctx: Ctx) -> Reply<Response<Body>> {
        let bd = rqctx.context();
        metered(&rqctx, async {
            let active = store::active_count(&bd.db).await?;
            Ok(text(METRICS_CONTENT_TYPE, bd.metrics.render(active)))
        })
        .await
    }
}
