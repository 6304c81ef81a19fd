//! Wire types of fine-tuning jobs and reinforcement-learning jobs.

use serde_json::{Map, Value};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{list_envelope, ObjectOnly};

/// Lifecycle of a training job: `validating_files` → `queued` → `running` →
/// `succeeded` | `failed`; `cancelled` from any unfinished state. The last
/// three are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    ValidatingFiles,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// Why a job failed.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct JobError {
    /// Short machine-readable reason.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Training knobs of a fine-tuning job. Omitted values get the server's defaults
/// (3 epochs, batch size 8, learning-rate multiplier 1.0), which the job then shows.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FineTuningHyperparameters {
    /// Passes over the training data, 1 to 50.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 50))]
    pub n_epochs: Option<i64>,
    /// Examples per optimisation step, 1 to 256.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 256))]
    pub batch_size: Option<i64>,
    /// Scale applied to the base learning rate.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub learning_rate_multiplier: Option<f64>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

/// A supervised fine-tuning job.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FineTuningJob {
    /// Always `fine_tuning.job`.
    pub object: String,
    /// Job id (`ftjob_` prefix).
    pub id: String,
    /// Foundation model being tuned.
    pub base_model: String,
    /// Training dataset (`ds_` prefix, purpose `fine_tuning`).
    pub training_dataset_id: String,
    /// Held-out dataset used for evaluation loss.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub validation_dataset_id: Option<String>,
    /// Effective hyperparameters, defaults filled in.
    pub hyperparameters: FineTuningHyperparameters,
    /// Text appended to the output model's name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub suffix: Option<String>,
    /// Project it belongs to (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Where the job is in its lifecycle.
    pub status: JobStatus,
    /// Resulting model (`model_` prefix); only once `succeeded`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub fine_tuned_model: Option<String>,
    /// Tokens processed so far.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub trained_tokens: Option<i64>,
    /// Failure reason; only when `failed`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub error: Option<JobError>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// When training started, Unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub started_at: Option<i64>,
    /// When the job reached a final state, Unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub finished_at: Option<i64>,
}

/// Body of `POST /v1/fine_tuning/jobs`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FineTuningJobCreate {
    /// Foundation model to tune, e.g. `llama-3.1-8b-instruct`.
    #[schemars(length(min = 1))]
    pub base_model: String,
    /// Training dataset: purpose `fine_tuning`, status `valid`.
    pub training_dataset_id: String,
    /// Optional evaluation dataset, same requirements.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub validation_dataset_id: Option<String>,
    /// Training knobs; defaults for anything omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub hyperparameters: Option<FineTuningHyperparameters>,
    /// Up to 40 characters appended to the output model's name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(max = 40))]
    pub suffix: Option<String>,
    /// Project to file it under (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
}

list_envelope!(
    /// A page of fine-tuning jobs.
    FineTuningJobList, FineTuningJob
);

/// Policy-optimisation algorithm of an RL job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RlAlgorithm {
    Grpo,
    Ppo,
}

/// How completions are scored: `exact_match` against a row's `answer`, `regex`
/// (config `pattern`), `http` (config `url` of a scoring service returning a
/// number) or `model_graded` (config `model` and `rubric`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardType {
    ExactMatch,
    Regex,
    Http,
    ModelGraded,
}

/// The reward function of an RL job.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RlReward {
    /// Scoring method.
    #[serde(rename = "type")]
    pub reward_type: RewardType,
    /// Method-specific settings (free-form JSON object).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub config: Option<Map<String, Value>>,
}

/// The environment an RL policy acts in.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RlEnvironment {
    /// Environment name, e.g. `single_turn_chat` or `tool_use`.
    pub name: String,
    /// Environment-specific settings (free-form JSON object).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub config: Option<Map<String, Value>>,
}

/// Training knobs of an RL job. Omitted values get the server's defaults
/// (1 epoch, batch size 16, learning rate 1e-6, group size 8), which the job then shows.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RlHyperparameters {
    /// Passes over the prompt dataset, 1 to 50.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 50))]
    pub n_epochs: Option<i64>,
    /// Prompts per optimisation step, 1 to 256.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 256))]
    pub batch_size: Option<i64>,
    /// Optimiser learning rate.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub learning_rate: Option<f64>,
    /// Completions sampled per prompt (GRPO group size), 1 to 64.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(range(min = 1, max = 64))]
    pub group_size: Option<i64>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

/// A reinforcement-learning job.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RlJob {
    /// Always `rl.job`.
    pub object: String,
    /// Job id (`rljob_` prefix).
    pub id: String,
    /// Policy model being trained.
    pub base_model: String,
    /// Prompt dataset (`ds_` prefix, purpose `rl`).
    pub dataset_id: String,
    /// Optimisation algorithm.
    pub algorithm: RlAlgorithm,
    /// Environment the policy acts in.
    pub environment: RlEnvironment,
    /// How completions are scored.
    pub reward: RlReward,
    /// Effective hyperparameters, defaults filled in.
    pub hyperparameters: RlHyperparameters,
    /// Project it belongs to (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Where the job is in its lifecycle.
    pub status: JobStatus,
    /// Resulting model (`model_` prefix); only once `succeeded`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub result_model: Option<String>,
    /// Failure reason; only when `failed`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub error: Option<JobError>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// When training started, Unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub started_at: Option<i64>,
    /// When the job reached a final state, Unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub finished_at: Option<i64>,
}

/// Body of `POST /v1/rl/jobs`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RlJobCreate {
    /// Policy model to train.
    #[schemars(length(min = 1))]
    pub base_model: String,
    /// Prompt dataset: purpose `rl`, status `valid`.
    pub dataset_id: String,
    /// Optimisation algorithm; `grpo` when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub algorithm: Option<RlAlgorithm>,
    /// Environment the policy acts in.
    pub environment: RlEnvironment,
    /// How completions are scored.
    pub reward: RlReward,
    /// Training knobs; defaults for anything omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub hyperparameters: Option<RlHyperparameters>,
    /// Project to file it under (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
}

list_envelope!(
    /// A page of RL jobs.
    RlJobList, RlJob
);

/// Severity of a job event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobEventLevel {
    Info,
    Warn,
    Error,
}

/// What a job event carries: a log `message`, or `metrics` of one training step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobEventType {
    Message,
    Metrics,
}

/// Measurements of one training step.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct JobMetrics {
    /// Optimisation step, from 1.
    pub step: i64,
    /// Epoch the step belongs to, from 1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub epoch: Option<i64>,
    /// Mean training loss of the step (fine-tuning), nats per token.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub train_loss: Option<f64>,
    /// Mean reward of the step's samples (RL), 0 to 1.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub reward: Option<f64>,
}

/// Something that happened while a job ran: a log line or a step's metrics.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct JobEvent {
    /// Always `job.event`.
    pub object: String,
    /// Event id (`ev_` prefix).
    pub id: String,
    /// When it happened, Unix seconds.
    pub created_at: i64,
    /// Severity.
    pub level: JobEventLevel,
    /// Whether it is a log message or metrics.
    #[serde(rename = "type")]
    pub event_type: JobEventType,
    /// Human-readable text.
    pub message: String,
    /// The step's measurements; only for `metrics` events.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub data: Option<JobMetrics>,
}

list_envelope!(
    /// A page of job events.
    JobEventList, JobEvent
);
