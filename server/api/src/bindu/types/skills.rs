//! Bindu wire types: Skills.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::JsonObject;

/// One skill in `GET /agent/skills` (snake_case).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkillSummary {
    /// Skill id.
    pub id: String,
    /// Short name.
    pub name: String,
    /// What the skill does.
    pub description: String,
    /// Skill version.
    pub version: String,
    /// Keywords.
    pub tags: Vec<String>,
    /// Accepted media types.
    pub input_modes: Vec<String>,
    /// Produced media types.
    pub output_modes: Vec<String>,
    /// Sample requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Vec<String>>,
    /// Path of the skill manifest the agent loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_path: Option<String>,
}

/// Answer of `GET /agent/skills`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkillList {
    /// The skills.
    pub skills: Vec<SkillSummary>,
    /// How many.
    pub total: i64,
}

/// Path of the skill routes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkillPath {
    /// Skill id.
    #[serde(rename = "skillId")]
    pub skill_id: String,
}

/// Full skill manifest (snake_case); the descriptive sections are free-form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkillDetail {
    /// Skill id.
    pub id: String,
    /// Short name.
    pub name: String,
    /// What the skill does.
    pub description: String,
    /// Keywords.
    pub tags: Vec<String>,
    /// Accepted media types.
    pub input_modes: Vec<String>,
    /// Produced media types.
    pub output_modes: Vec<String>,
    /// Skill version.
    pub version: String,
    /// Author contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Sample requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Vec<String>>,
    /// What the skill can do, by feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities_detail: Option<JsonObject>,
    /// Packages, system needs, memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<JsonObject>,
    /// Expected latency and concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<JsonObject>,
    /// Tools the skill may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_tools: Option<Vec<String>>,
    /// Long-form documentation sections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation: Option<JsonObject>,
    /// Keywords and patterns used by negotiation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<JsonObject>,
    /// Path of the skill manifest the agent loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_path: Option<String>,
    /// Whether `/agent/skills/{skillId}/documentation` has content.
    pub has_documentation: bool,
}
