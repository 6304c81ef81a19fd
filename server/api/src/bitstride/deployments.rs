//! Wire types of deployments and of the gateway's chat inference routes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{list_envelope, ObjectOnly};

/// Serving engine behind a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackendType {
    Dynamo,
    Triton,
    Vllm,
    Sglang,
    Tgi,
    Ollama,
    Smg,
    Custom,
}

/// Wire protocol the gateway uses to reach the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentProtocol {
    Http,
    Grpc,
    Openai,
}

/// Cache-routing preference: `none`, `prefix` (route requests sharing a prompt
/// prefix to the same replica) or `session` (pin a conversation to a replica).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheAffinity {
    None,
    Prefix,
    Session,
}

/// What a backend can do, as declared by its owner.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeploymentCapabilities {
    /// Whether the backend can stream tokens (`stream: true` is refused with 400 otherwise).
    pub streaming: bool,
    /// Adapter kinds the backend can load, e.g. `lora`.
    pub adapter_types: Vec<String>,
    /// Cache-routing preference.
    pub cache_affinity: CacheAffinity,
    /// Protocols the backend speaks.
    pub supported_protocols: Vec<DeploymentProtocol>,
}

/// Serving state: `pending` (created or restarted, the health probe has not
/// answered yet), `ready` (the probe passed; the gateway routes traffic to it),
/// `failed` (the probe failed; inference answers 409) or `stopped` (stopped by
/// its owner; inference answers 409).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    Pending,
    Ready,
    Failed,
    Stopped,
}

/// The state an owner asks for: `active` (probe the backend again and serve
/// when it answers) or `stopped`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentTargetStatus {
    Active,
    Stopped,
}

/// A deployment: a named, routable inference backend.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Deployment {
    /// Always `deployment`.
    pub object: String,
    /// Deployment id (`dep_` prefix).
    pub id: String,
    /// Display name.
    pub name: String,
    /// DNS label that routes `/v1/chat/completions` to this deployment; unique, immutable.
    pub subdomain: String,
    /// Backend base URL the gateway forwards to (`builtin://echo` selects the built-in echo backend).
    pub endpoint: String,
    /// Serving engine.
    pub backend_type: BackendType,
    /// Protocol used to reach the backend.
    pub protocol: DeploymentProtocol,
    /// Region label.
    pub region: String,
    /// Lower replica bound.
    pub min_replicas: i64,
    /// Upper replica bound.
    pub max_replicas: i64,
    /// Requests the gateway lets through at once.
    pub concurrency_limit: i64,
    /// Declared backend capabilities.
    pub capabilities: DeploymentCapabilities,
    /// Serving state.
    pub status: DeploymentStatus,
    /// Model served (`model_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub model_id: Option<String>,
    /// Project it belongs to (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// Body of `POST /v1/deployments`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeploymentCreate {
    /// Display name, 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// DNS label: lowercase letters, digits and inner hyphens, at most 63 characters.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub subdomain: String,
    /// Backend base URL (`builtin://echo` for the built-in echo backend).
    pub endpoint: String,
    /// Serving engine.
    pub backend_type: BackendType,
    /// Protocol used to reach the backend.
    pub protocol: DeploymentProtocol,
    /// Region label; `local` when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub region: Option<String>,
    /// Lower replica bound, 0 to 100; 1 when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 0, max = 100))]
    pub min_replicas: Option<i64>,
    /// Upper replica bound, 1 to 100; equal to `min_replicas` (at least 1) when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: Option<i64>,
    /// Concurrent requests allowed, 1 to 10000; 16 when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 10000))]
    pub concurrency_limit: Option<i64>,
    /// Declared capabilities; no streaming, no adapters, no cache affinity and the
    /// deployment's own protocol when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub capabilities: Option<DeploymentCapabilities>,
    /// Model served (`model_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub model_id: Option<String>,
    /// Project to file it under (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
}

/// Body of `PUT /v1/deployments/{id}`: fields to change; omitted fields stay as
/// they are. The subdomain cannot change.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeploymentUpdate {
    /// New display name, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New backend base URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub endpoint: Option<String>,
    /// New serving engine.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub backend_type: Option<BackendType>,
    /// New backend protocol.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub protocol: Option<DeploymentProtocol>,
    /// New region label.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub region: Option<String>,
    /// New lower replica bound, 0 to 100.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 0, max = 100))]
    pub min_replicas: Option<i64>,
    /// New upper replica bound, 1 to 100.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: Option<i64>,
    /// New concurrency limit, 1 to 10000.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 10000))]
    pub concurrency_limit: Option<i64>,
    /// New capabilities (replace the old ones).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub capabilities: Option<DeploymentCapabilities>,
    /// `active` to probe the backend again and serve, `stopped` to refuse traffic.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub status: Option<DeploymentTargetStatus>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

list_envelope!(
    /// A page of deployments.
    DeploymentList, Deployment
);

/// Path parameter `{deployment_id}` of the deployment-scoped chat route.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeploymentPath {
    /// Deployment id (`dep_` prefix).
    pub deployment_id: String,
}

/// Author of a chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One message of a conversation (text content only).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// Message text.
    pub content: String,
    /// Optional author name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub name: Option<String>,
}

/// An OpenAI-style chat-completions request. Fields not listed here are passed
/// to the backend unchanged.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChatCompletionRequest {
    /// Model name passed to the backend. On `/v1/chat/completions` it may also
    /// name a deployment (subdomain or id) when the host does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The conversation so far; at least one message.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature, 0 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 2.0))]
    pub temperature: Option<f64>,
    /// Nucleus-sampling mass, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub top_p: Option<f64>,
    /// Upper bound on generated tokens, at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_tokens: Option<i64>,
    /// Sequences that end generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// `true` streams the answer as server-sent events (`text/event-stream`), passed
    /// through from the backend as it arrives and ended by `data: [DONE]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Caller's end-user id, at most 256 characters, no control characters: stored
    /// with the request's usage record, so that `GET /v1/usage?user=` reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub user: Option<String>,
}

/// Why generation stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
}

/// One generated alternative.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChatChoice {
    /// Position among the choices, from 0.
    pub index: i64,
    /// The generated message (role `assistant`).
    pub message: ChatMessage,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
}

/// Token accounting of one completion (what usage and billing record).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CompletionUsage {
    /// Tokens in the prompt.
    pub prompt_tokens: i64,
    /// Tokens generated.
    pub completion_tokens: i64,
    /// Sum of the two.
    pub total_tokens: i64,
}

/// An OpenAI-style chat completion.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ChatCompletion {
    /// Completion id (`chatcmpl-` prefix).
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Model that answered, as reported by the backend.
    pub model: String,
    /// Deployment that served the request (`dep_` prefix).
    pub deployment_id: String,
    /// Generated alternatives (one).
    pub choices: Vec<ChatChoice>,
    /// Token accounting.
    pub usage: CompletionUsage,
}
