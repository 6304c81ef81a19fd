//! Bindu wire types: Streaming and webhook events.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, TaskStatus};

/// A change of task state, as streamed by `message/stream` and posted to webhooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskStatusUpdateEvent {
    /// Task id.
    pub task_id: String,
    /// Context id.
    pub context_id: String,
    /// The new status.
    pub status: TaskStatus,
    /// True on the last event of a stream (terminal or paused state).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Failure explanation when the state is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A new or extended artifact, as streamed by `message/stream` and posted to webhooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskArtifactUpdateEvent {
    /// Task id.
    pub task_id: String,
    /// Context id.
    pub context_id: String,
    /// The artifact.
    pub artifact: Artifact,
    /// Whether the parts extend an artifact sent earlier.
    pub append: bool,
    /// Whether this is the artifact's last chunk.
    pub last_chunk: bool,
}

/// One event of a `message/stream` answer (`data:` line), told apart by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StreamEvent {
    /// `kind: status-update`.
    StatusUpdate(TaskStatusUpdateEvent),
    /// `kind: artifact-update`.
    ArtifactUpdate(TaskArtifactUpdateEvent),
}

/// Media type of the `message/stream` answer.
pub const EVENT_STREAM_CONTENT_TYPE: &str = "text/event-stream";
