//! Wire types of projects, models and datasets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{list_envelope, ObjectOnly};

/// A project: a named grouping of models, datasets, jobs and deployments.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    /// Always `project`.
    pub object: String,
    /// Project id (`proj_` prefix).
    pub id: String,
    /// Name, unique within the organization.
    pub name: String,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Owning organization (`org_` prefix).
    pub org_id: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// Body of `POST /v1/projects`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProjectCreate {
    /// Name, 1 to 100 characters, unique within the organization.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
}

/// Body of `PUT /v1/projects/{id}`: fields to change; omitted fields stay as they are.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ProjectUpdate {
    /// New name, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

list_envelope!(
    /// A page of projects.
    ProjectList, Project
);

/// Where a model came from: `registered` through `POST /v1/models`,
/// `fine_tuned` by a fine-tuning job, `rl_trained` by an RL job, or `base`: a
/// foundation model the server's trainer starts from (listed, read-only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    Registered,
    FineTuned,
    RlTrained,
    Base,
}

/// A model known to the organization (registered weights or a training output).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Model {
    /// Always `model`.
    pub object: String,
    /// Model id (`model_` prefix).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Foundation model it derives from, e.g. `llama-3.1-8b-instruct`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub base_model: Option<String>,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Project it belongs to (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// How the model came to exist.
    pub source: ModelSource,
    /// Location of the weights (e.g. `s3://…`, `hf://…`; `bitstride://models/<id>` for
    /// weights a reference-trainer job produced and this server keeps).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub artifact_uri: Option<String>,
    /// The job that produced it (`ftjob_` or `rljob_` prefix); only for training outputs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub job_id: Option<String>,
    /// The dataset it was trained on (`ds_` prefix); only for training outputs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub dataset_id: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// Body of `POST /v1/models`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ModelCreate {
    /// Display name, 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Foundation model it derives from.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub base_model: Option<String>,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Project to file it under (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Location of the weights.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub artifact_uri: Option<String>,
}

/// Body of `PUT /v1/models/{id}`: fields to change; omitted fields stay as they are.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ModelUpdate {
    /// New display name, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// New project (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// New weights location.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub artifact_uri: Option<String>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

list_envelope!(
    /// A page of models.
    ModelList, Model
);

/// What a dataset feeds: `fine_tuning` (chat rows with `messages`) or `rl` (rows with a `prompt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetPurpose {
    FineTuning,
    Rl,
}

/// File format of a dataset; only JSON Lines today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetFormat {
    Jsonl,
}

/// Shape of each line: `chat` (`messages`: `{role, content}` objects, at least one
/// from the assistant), `preference` (`prompt`, `chosen` and `rejected` strings),
/// `prompt_completion` (`prompt` and `completion` strings) or `prompt` (a `prompt`
/// string and an optional `answer` string; for RL). Purpose `fine_tuning` takes the
/// first three, `rl` the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetRowFormat {
    Chat,
    Preference,
    PromptCompletion,
    Prompt,
}

/// Lifecycle of a dataset: `pending_upload` (created, no file yet) → `uploaded`
/// → `validating` → `valid` or `invalid`. A new upload goes back to `uploaded`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetStatus {
    PendingUpload,
    Uploaded,
    Validating,
    Valid,
    Invalid,
}

/// A dataset: metadata plus at most one uploaded JSONL file.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Dataset {
    /// Always `dataset`.
    pub object: String,
    /// Dataset id (`ds_` prefix).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Project it belongs to (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Which kind of job it can feed.
    pub purpose: DatasetPurpose,
    /// File format.
    pub format: DatasetFormat,
    /// Shape of each line.
    pub row_format: DatasetRowFormat,
    /// Where the dataset is in its lifecycle.
    pub status: DatasetStatus,
    /// Size of the uploaded file in bytes; absent before the first upload.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub bytes: Option<i64>,
    /// Number of non-empty lines in the uploaded file; absent before the first upload.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub row_count: Option<i64>,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

/// Body of `POST /v1/datasets`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DatasetCreate {
    /// Display name, 1 to 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// Which kind of job it will feed.
    pub purpose: DatasetPurpose,
    /// File format; `jsonl` when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub format: Option<DatasetFormat>,
    /// Shape of each line; `chat` for purpose `fine_tuning` and `prompt` for `rl` when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub row_format: Option<DatasetRowFormat>,
    /// Free-text description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// Project to file it under (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
}

/// Body of `PUT /v1/datasets/{id}`: fields to change; omitted fields stay as they are.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DatasetUpdate {
    /// New display name, 1 to 100 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    #[schemars(length(min = 1, max = 100))]
    pub name: Option<String>,
    /// New description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub description: Option<String>,
    /// New project (`proj_` prefix).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::common::present"
    )]
    pub project_id: Option<String>,
    /// Makes the body a JSON object (never an array); other members are ignored.
    #[serde(flatten, skip_serializing)]
    #[schemars(skip)]
    pub unknown: ObjectOnly,
}

list_envelope!(
    /// A page of datasets.
    DatasetList, Dataset
);

/// One problem found in a dataset file.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DatasetValidationError {
    /// 1-based line number in the uploaded file.
    pub line: i64,
    /// What is wrong with that line.
    pub message: String,
}

/// Result of `POST /v1/datasets/{id}/validate`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DatasetValidationReport {
    /// Always `dataset.validation_report`.
    pub object: String,
    /// The dataset checked (`ds_` prefix).
    pub dataset_id: String,
    /// Outcome, also stored on the dataset: `valid` or `invalid`.
    pub status: DatasetStatus,
    /// Non-empty lines read.
    pub row_count: i64,
    /// Lines that passed.
    pub valid_rows: i64,
    /// Lines that failed.
    pub invalid_rows: i64,
    /// The first problems found (at most 20), in file order.
    pub errors: Vec<DatasetValidationError>,
    /// When the check ran, Unix seconds.
    pub checked_at: i64,
}
