//! Bindu wire types: Health.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Overall health.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    // Everything works (HTTP 200).
    Healthy,
    // Storage or the task worker is failing (HTTP 503).
    Degraded,
}

/// Short status, mirroring [`HealthState`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    // Healthy.
    Ok,
    // Degraded.
    Error,
}

/// Runtime components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthRuntime {
    /// Storage implementation.
    pub storage_backend: String,
    /// Task scheduler implementation.
    pub scheduler_backend: String,
    /// Whether the task worker is running.
    pub task_manager_running: bool,
    /// Whether readiness also requires the storage check to pass.
    pub strict_ready: bool,
}

/// Agent identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthApplication {
    /// Agent instance id (UUID).
    pub penguin_id: String,
    /// Agent DID.
    pub agent_did: String,
}

/// Host facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthSystem {
    /// Operating system.
    pub platform: String,
    /// Deployment environment name.
    pub environment: String,
}

/// Body of `GET /health`, identical for 200 and 503.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthResponse {
    /// Server version.
    pub version: String,
    /// Overall health.
    pub health: HealthState,
    /// Runtime components.
    pub runtime: HealthRuntime,
    /// Agent identity.
    pub application: HealthApplication,
    /// Host facts.
    pub system: HealthSystem,
    /// Short status.
    pub status: HealthStatus,
    /// Whether new tasks are accepted.
    pub ready: bool,
    /// Seconds since start.
    pub uptime_seconds: f64,
}

/// Media type of `GET /metrics`.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Media type of `GET /agent/skills/{skillId}/documentation`.
pub const SKILL_DOCUMENTATION_CONTENT_TYPE: &str = "application/yaml";
/// Media type of `GET /payment-capture`.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
