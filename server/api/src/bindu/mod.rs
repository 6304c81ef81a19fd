//! The Bindu surface: an A2A agent that speaks JSON-RPC 2.0 on `POST /`, with
//! REST routes for discovery (agent card, skills, DID), negotiation, x402
//! payment sessions, health and metrics. Contract: `openapi/bindu.yaml`.
//!
//! Credentials (bearer JWT, DID signature headers, X-PAYMENT) are read by the
//! handlers from the request headers, so they do not appear as extractors.

pub mod error;
pub mod types;

use dropshot::{
    Body, Header, HttpResponseFound, HttpResponseOk, Path, Query, RequestContext, TypedBody,
    UntypedBody,
};
use http::Response;

pub use error::{
    DidFailureReason, ErrorCode, JsonRpcError, JsonRpcErrorResponse, BODY_LIMIT_BYTES,
    PUSH_CONFIG_NOT_FOUND_MESSAGE,
};
pub use types::*;

/// The Bindu agent API.
#[dropshot::api_description]
pub trait BinduApi {
    /// Server state.
    type Context: Send + Sync + 'static;

    /// Redirect to the agent card.
    #[endpoint { method = GET, path = "/", tags = ["discovery"] }]
    async fn redirect_to_agent_card(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseFound, JsonRpcErrorResponse>;

    /// JSON-RPC 2.0 endpoint for all twelve methods.
    ///
    /// The body is read raw so that malformed JSON is answered with -32700, and
    /// the answer is built by hand: JSON for every method, an event stream for
    /// `message/stream`, with the HTTP status that belongs to each error code.
    #[endpoint {
        method = POST,
        path = "/",
        tags = ["json-rpc"],
        request_body_max_bytes = BODY_LIMIT_BYTES,
    }]
    async fn json_rpc(
        rqctx: RequestContext<Self::Context>,
        body: UntypedBody,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// The agent card.
    #[endpoint { method = GET, path = "/.well-known/agent.json", tags = ["discovery"] }]
    async fn get_agent_card(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<AgentCard>, JsonRpcErrorResponse>;

    /// Headers of the agent card, without the body.
    #[endpoint { method = HEAD, path = "/.well-known/agent.json", tags = ["discovery"] }]
    async fn head_agent_card(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// The agent card at the A2A 0.3 well-known path.
    #[endpoint { method = GET, path = "/.well-known/agent-card.json", tags = ["discovery"] }]
    async fn get_a2a_agent_card(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<AgentCard>, JsonRpcErrorResponse>;

    /// Headers of the agent card at the A2A 0.3 path, without the body.
    #[endpoint { method = HEAD, path = "/.well-known/agent-card.json", tags = ["discovery"] }]
    async fn head_a2a_agent_card(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// Resolve the agent's DID (query form).
    #[endpoint { method = GET, path = "/did/resolve", tags = ["identity"] }]
    async fn resolve_did(
        rqctx: RequestContext<Self::Context>,
        query: Query<DidResolveQuery>,
    ) -> Result<HttpResponseOk<DidDocument>, JsonRpcErrorResponse>;

    /// Resolve the agent's DID (body form).
    #[endpoint {
        method = POST,
        path = "/did/resolve",
        tags = ["identity"],
        request_body_max_bytes = BODY_LIMIT_BYTES,
    }]
    async fn resolve_did_post(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<DidResolveRequest>,
    ) -> Result<HttpResponseOk<DidDocument>, JsonRpcErrorResponse>;

    /// List the agent's skills.
    #[endpoint { method = GET, path = "/agent/skills", tags = ["skills"] }]
    async fn list_skills(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<SkillList>, JsonRpcErrorResponse>;

    /// One skill's full manifest.
    #[endpoint { method = GET, path = "/agent/skills/{skillId}", tags = ["skills"] }]
    async fn get_skill(
        rqctx: RequestContext<Self::Context>,
        path: Path<SkillPath>,
    ) -> Result<HttpResponseOk<SkillDetail>, JsonRpcErrorResponse>;

    /// One skill's manifest file, as YAML.
    #[endpoint {
        method = GET,
        path = "/agent/skills/{skillId}/documentation",
        tags = ["skills"],
    }]
    async fn get_skill_documentation(
        rqctx: RequestContext<Self::Context>,
        path: Path<SkillPath>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// Ask whether the agent would take a task.
    #[endpoint {
        method = POST,
        path = "/agent/negotiation",
        tags = ["negotiation"],
        request_body_max_bytes = BODY_LIMIT_BYTES,
    }]
    async fn negotiate(
        rqctx: RequestContext<Self::Context>,
        body: TypedBody<NegotiationRequest>,
    ) -> Result<HttpResponseOk<NegotiationResponse>, JsonRpcErrorResponse>;

    /// Open an x402 payment session.
    #[endpoint { method = POST, path = "/api/start-payment-session", tags = ["payments"] }]
    async fn start_payment_session(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<PaymentSession>, JsonRpcErrorResponse>;

    /// State of a payment session.
    #[endpoint { method = GET, path = "/api/payment-status/{sessionId}", tags = ["payments"] }]
    async fn get_payment_status(
        rqctx: RequestContext<Self::Context>,
        path: Path<PaymentSessionPath>,
        query: Query<PaymentStatusQuery>,
        headers: Header<PaymentSessionSecretHeader>,
    ) -> Result<HttpResponseOk<PaymentStatus>, JsonRpcErrorResponse>;

    /// Browser page of a payment session (HTML).
    #[endpoint { method = GET, path = "/payment-capture", tags = ["payments"] }]
    async fn payment_capture(
        rqctx: RequestContext<Self::Context>,
        query: Query<PaymentCaptureQuery>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// Liveness and readiness (200 healthy, 503 degraded, same body).
    #[endpoint { method = GET, path = "/health", tags = ["operations"] }]
    async fn get_health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;

    /// Prometheus metrics (text exposition format 0.0.4).
    #[endpoint { method = GET, path = "/metrics", tags = ["operations"] }]
    async fn get_metrics(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<Response<Body>, JsonRpcErrorResponse>;
}
