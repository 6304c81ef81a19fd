//! Bindu wire types: Messages, parts, tasks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::JsonObject;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    // The caller.
    User,
    // The agent.
    Agent,
    // A system instruction.
    System,
}

/// Marker value "message".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    // The only value.
    #[default]
    Message,
}

/// Marker value "task".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    // The only value.
    #[default]
    Task,
}

/// A text part's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TextPart {
    /// The text.
    pub text: String,
    /// Free-form part metadata (artifacts carry `did.message.signature` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// A structured-data part's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataPart {
    /// The JSON object carried by the part.
    pub data: JsonObject,
    /// Free-form part metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// One piece of a message or artifact, told apart by `kind` (`text` or `data`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Part {
    /// `kind: text`.
    Text(TextPart),
    /// `kind: data`.
    Data(DataPart),
}

/// A message as sent by the caller in `message/send` (camelCase; snake_case accepted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Caller-chosen message id.
    #[serde(alias = "message_id")]
    #[schemars(length(min = 1, max = 128))]
    pub message_id: String,
    /// Conversation to continue or start; generated when absent.
    #[serde(default, alias = "context_id", skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// Unfinished task to continue; a new task is created when absent.
    #[serde(default, alias = "task_id", skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Earlier tasks whose results this message builds on.
    #[serde(
        default,
        alias = "reference_task_ids",
        skip_serializing_if = "Option::is_none"
    )]
    pub reference_task_ids: Option<Vec<String>>,
    /// "message"; may be omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageKind>,
    /// Author of the message.
    pub role: Role,
    /// Content; at least one part.
    #[schemars(length(min = 1))]
    pub parts: Vec<Part>,
    /// Free-form message metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
    /// URIs of protocol extensions the message uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<String>>,
}

/// A message as stored in a task's history (snake_case).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryMessage {
    /// Message id (caller's for user messages, generated for agent messages).
    pub message_id: String,
    /// Conversation the message belongs to.
    pub context_id: String,
    /// Task the message belongs to.
    pub task_id: String,
    /// Earlier tasks the message referred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_task_ids: Option<Vec<String>>,
    /// Always "message".
    pub kind: MessageKind,
    /// Content.
    pub parts: Vec<Part>,
    /// Author.
    pub role: Role,
    /// Free-form metadata (user messages always carry an object, possibly empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// The lifecycle state of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TaskState {
    // Queued, not yet picked up.
    Submitted,
    // Being processed.
    Working,
    // Paused until the caller sends another message to the task.
    InputRequired,
    // Finished successfully (terminal).
    Completed,
    // Canceled by the caller (terminal).
    Canceled,
    // Ended in error (terminal).
    Failed,
    // Declined by the agent (terminal).
    Rejected,
    // Paused until the caller authenticates (never entered by this agent).
    AuthRequired,
}

impl TaskState {
    /// Whether the task can no longer change.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Canceled | TaskState::Failed | TaskState::Rejected
        )
    }
}

/// Current state of a task and when it was entered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskStatus {
    /// The state.
    pub state: TaskState,
    /// When the state was entered (RFC 3339).
    pub timestamp: String,
    /// The agent's explanation or question (input-required, failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<HistoryMessage>,
}

/// An output of a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Artifact {
    /// Artifact id.
    pub artifact_id: String,
    /// Name; this agent uses "result".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Content.
    pub parts: Vec<Part>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// A unit of work created by `message/send` (snake_case, as Bindu sends it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Conversation the task belongs to.
    pub context_id: String,
    /// Always "task".
    pub kind: TaskKind,
    /// Current state.
    pub status: TaskStatus,
    /// Messages exchanged, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryMessage>>,
    /// Results, present once the task completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Vec<Artifact>>,
    /// Free-form metadata copied from `message/send` params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}
