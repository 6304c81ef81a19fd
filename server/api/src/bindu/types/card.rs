//! Bindu wire types: Agent card.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::JsonObject;

/// What kind of entity the card describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    // A single agent (this server).
    Agent,
    // A team of agents.
    Team,
    // A workflow of agents.
    Workflow,
}

/// A skill as listed on the agent card (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentSkill {
    /// Skill id, e.g. "echo-v1".
    pub id: String,
    /// Short name.
    pub name: String,
    /// What the skill does.
    pub description: String,
    /// Keywords.
    pub tags: Vec<String>,
    /// URL of the skill's detail (`/agent/skills/{skillId}`).
    pub documentation_path: String,
}

/// Parameters of the DID extension on the card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidExtensionParams {
    /// Author the DID was derived from.
    pub author: String,
    /// Agent name the DID was derived from.
    pub agent_name: String,
    /// Agent id (UUID) the DID ends with.
    pub agent_id: String,
}

/// A protocol extension the agent supports; this agent lists its DID identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentExtension {
    /// Extension URI; the agent's DID for the identity extension.
    pub uri: String,
    /// What the extension is.
    pub description: String,
    /// Whether clients must support it.
    pub required: bool,
    /// Extension parameters.
    pub params: DidExtensionParams,
}

/// Optional protocol features the agent supports (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCapabilities {
    /// Extensions, including the DID identity.
    pub extensions: Vec<AgentExtension>,
    /// Whether tasks/pushNotificationConfig/* is available (true).
    pub push_notifications: bool,
    /// Whether message/stream is available (true).
    pub streaming: bool,
}

/// Server facts on the card (snake_case inside, as Bindu sends it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentExtraData {
    /// When the agent identity was created (Unix seconds).
    pub created: i64,
    /// Server software.
    pub server_info: String,
}

/// Who vouches for callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IdentityProvider {
    // Ory Hydra (upstream Bindu's default).
    Hydra,
    // Another issuer; here, quartet's OAuth token service.
    Custom,
}

/// Trust settings of the agent (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentTrust {
    /// Token issuer kind.
    pub identity_provider: IdentityProvider,
    /// Roles inherited from a parent entity.
    pub inherited_roles: Vec<String>,
    /// Who created the agent.
    pub creator_id: String,
    /// When (Unix seconds).
    pub creation_timestamp: i64,
    /// Whether callers must pass trust verification.
    pub trust_verification_required: bool,
    /// Per-operation allowances (free-form; empty here).
    pub allowed_operations: JsonObject,
}

/// The agent card: how clients discover this agent (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCard {
    /// Agent id (UUID; the DID is in capabilities.extensions).
    pub id: String,
    /// Agent name.
    pub name: String,
    /// What the agent does.
    pub description: String,
    /// Base URL of the JSON-RPC endpoint.
    pub url: String,
    /// Server version.
    pub version: String,
    /// A2A protocol version spoken ("0.3.0").
    pub protocol_version: String,
    /// Transport of `url`: "JSONRPC".
    pub preferred_transport: String,
    /// Skills offered.
    pub skills: Vec<AgentSkill>,
    /// Optional features.
    pub capabilities: AgentCapabilities,
    /// Entity kind.
    pub kind: AgentKind,
    /// How many past contexts the agent keeps per caller.
    pub num_history_sessions: i64,
    /// Server facts.
    pub extra_data: AgentExtraData,
    /// Whether debug output is on.
    pub debug_mode: bool,
    /// Debug verbosity, 1 or 2.
    #[schemars(range(min = 1, max = 2))]
    pub debug_level: i64,
    /// Whether monitoring is on.
    pub monitoring: bool,
    /// Whether telemetry is on.
    pub telemetry: bool,
    /// Trust settings.
    pub agent_trust: AgentTrust,
    /// Media types accepted in messages.
    pub default_input_modes: Vec<String>,
    /// Media types produced in artifacts.
    pub default_output_modes: Vec<String>,
    /// How callers authenticate (absent when the agent runs without authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_schemes: Option<JsonObject>,
    /// Whether authenticated callers can read `agent/getAuthenticatedExtendedCard`
    /// (true when the agent authenticates callers; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_authenticated_extended_card: Option<bool>,
    /// Which schemes the JSON-RPC endpoint requires (absent without authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Vec<std::collections::BTreeMap<String, Vec<String>>>>,
}
