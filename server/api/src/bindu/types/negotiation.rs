//! Bindu wire types: Negotiation.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// An optional member that may be absent but not `null` (the document gives none a null value).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Relative weights of the negotiation subscores (each 0 to 1; defaults 0.55/0.20/0.15/0.05/0.05).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NegotiationWeights {
    /// Weight of the skill keyword match.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub skill_match: Option<f64>,
    /// Weight of media-type compatibility.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub io_compatibility: Option<f64>,
    /// Weight of the latency fit.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub performance: Option<f64>,
    /// Weight of current load.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub load: Option<f64>,
    /// Weight of cost.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub cost: Option<f64>,
}

/// Body of `POST /agent/negotiation`: a task an orchestrator wants placed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NegotiationRequest {
    /// One-line description of the work.
    #[schemars(length(min = 1, max = 10000))]
    pub task_summary: String,
    /// Longer description; also searched for skill keywords.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub task_details: Option<String>,
    /// Media types the caller will send.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub input_mime_types: Option<Vec<String>>,
    /// Media types the caller wants back.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub output_mime_types: Option<Vec<String>>,
    /// Latency the caller tolerates, in milliseconds.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0))]
    pub max_latency_ms: Option<i64>,
    /// Cost the caller tolerates (decimal string; this agent is free).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_cost_amount: Option<String>,
    /// Tools the work needs.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub required_tools: Option<Vec<String>>,
    /// Tools the work must not use.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub forbidden_tools: Option<Vec<String>>,
    /// Scores below this are declined (default 0).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0, max = 1))]
    pub min_score: Option<f64>,
    /// Subscore weights; missing ones take their defaults.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub weights: Option<NegotiationWeights>,
}

/// How well one skill fits the task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkillMatch {
    /// Skill id.
    pub skill_id: String,
    /// Skill name.
    pub skill_name: String,
    /// Fit from 0 to 1.
    pub score: f64,
    /// Why.
    pub reasons: Vec<String>,
}

/// The five factors of a negotiation score (each 0 to 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NegotiationSubscores {
    /// Best skill keyword match.
    pub skill_match: f64,
    /// Media-type compatibility.
    pub io_compatibility: f64,
    /// Latency fit.
    pub performance: f64,
    /// Spare capacity.
    pub load: f64,
    /// Cost fit.
    pub cost: f64,
}

/// Answer of `POST /agent/negotiation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NegotiationResponse {
    /// Whether the agent offers to take the task.
    pub accepted: bool,
    /// Weighted score from 0 to 1 (four decimals).
    pub score: f64,
    /// How much the agent trusts its own score, 0 to 1.
    pub confidence: f64,
    /// Why the task was declined ("score_below_threshold").
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rejection_reason: Option<String>,
    /// Skills that matched, best first (absent when none matched).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub skill_matches: Option<Vec<SkillMatch>>,
    /// Skill tags found in the task text (absent when none).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub matched_tags: Option<Vec<String>>,
    /// Expected processing time of the best skill, in milliseconds.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub latency_estimate_ms: Option<i64>,
    /// Tasks waiting or running right now.
    pub queue_depth: i64,
    /// The factors behind the score.
    pub subscores: NegotiationSubscores,
}
