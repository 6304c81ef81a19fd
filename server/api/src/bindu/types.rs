//! Wire types of the Bindu surface, named as the schemas in `openapi/bindu.yaml`.
//!
//! Casing follows what Bindu agents really send: tasks, history, artifacts,
//! contexts and skills are snake_case; the agent card is camelCase. Request
//! parameters are documented in camelCase but also read in snake_case, and task
//! ids are read from `taskId`, `task_id` or `id` (serde aliases below).

use std::fmt;

use schemars::gen::SchemaGenerator;
use schemars::schema::{Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A free-form JSON object (metadata, skill manifest sections, data parts).
pub type JsonObject = Map<String, Value>;

// ---------------------------------------------------------------------------
// JSON-RPC framing
// ---------------------------------------------------------------------------

/// The protocol marker every JSON-RPC message carries: "2.0".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JsonRpcVersion {
    // JSON-RPC 2.0.
    #[default]
    #[serde(rename = "2.0")]
    V2,
}

/// A JSON-RPC id: a string, an integer, or null (echoed back unchanged).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonRpcId {
    /// A string id (UUIDs are typical).
    String(String),
    /// An integer id.
    Integer(i64),
    /// No usable id (unreadable request, or a REST path).
    #[default]
    Null,
}

impl fmt::Display for JsonRpcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonRpcId::String(s) => f.write_str(s),
            JsonRpcId::Integer(i) => write!(f, "{i}"),
            JsonRpcId::Null => f.write_str("null"),
        }
    }
}

impl JsonSchema for JsonRpcId {
    fn schema_name() -> String {
        "JsonRpcId".to_string()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let mut obj = SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                all_of: Some(vec![gen.subschema_for::<JsonRpcIdValue>()]),
                ..Default::default()
            })),
            ..Default::default()
        };
        obj.extensions
            .insert("nullable".to_string(), Value::Bool(true));
        Schema::Object(obj)
    }
}

impl From<JsonRpcIdValue> for JsonRpcId {
    fn from(value: JsonRpcIdValue) -> Self {
        match value {
            JsonRpcIdValue::String(s) => JsonRpcId::String(s),
            JsonRpcIdValue::Integer(i) => JsonRpcId::Integer(i),
        }
    }
}

/// A JSON-RPC id that is present: a string or an integer (the non-null part of [`JsonRpcId`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonRpcIdValue {
    /// A string id.
    String(String),
    /// An integer id.
    Integer(i64),
}

impl JsonSchema for JsonRpcIdValue {
    fn schema_name() -> String {
        "JsonRpcIdValue".to_string()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                one_of: Some(vec![String::json_schema(gen), i64::json_schema(gen)]),
                ..Default::default()
            })),
            ..Default::default()
        })
    }
}

/// The twelve JSON-RPC methods the agent serves on `POST /`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JsonRpcMethod {
    /// Submit a message; answers with the task in `submitted`.
    #[serde(rename = "message/send")]
    MessageSend,
    /// Submit a message and follow the task as server-sent events.
    #[serde(rename = "message/stream")]
    MessageStream,
    /// Read one task.
    #[serde(rename = "tasks/get")]
    TasksGet,
    /// Read the caller's tasks.
    #[serde(rename = "tasks/list")]
    TasksList,
    /// Cancel an unfinished task.
    #[serde(rename = "tasks/cancel")]
    TasksCancel,
    /// Rate a task.
    #[serde(rename = "tasks/feedback")]
    TasksFeedback,
    /// Register the task's webhook.
    #[serde(rename = "tasks/pushNotificationConfig/set")]
    PushNotificationConfigSet,
    /// Read the task's webhook.
    #[serde(rename = "tasks/pushNotificationConfig/get")]
    PushNotificationConfigGet,
    /// List the task's webhook (one per task).
    #[serde(rename = "tasks/pushNotificationConfig/list")]
    PushNotificationConfigList,
    /// Remove the task's webhook.
    #[serde(rename = "tasks/pushNotificationConfig/delete")]
    PushNotificationConfigDelete,
    /// Read the caller's contexts.
    #[serde(rename = "contexts/list")]
    ContextsList,
    /// Delete a context and its tasks.
    #[serde(rename = "contexts/clear")]
    ContextsClear,
}

/// Bearer-token scope that unlocks reading (`agent:execute` also does).
pub const SCOPE_READ: &str = "agent:read";
/// Bearer-token scope that unlocks writing (`agent:execute` also does).
pub const SCOPE_WRITE: &str = "agent:write";
/// Scope that implies both [`SCOPE_READ`] and [`SCOPE_WRITE`].
pub const SCOPE_EXECUTE: &str = "agent:execute";

impl JsonRpcMethod {
    /// Every method, in documentation order.
    pub const ALL: [JsonRpcMethod; 12] = [
        JsonRpcMethod::MessageSend,
        JsonRpcMethod::MessageStream,
        JsonRpcMethod::TasksGet,
        JsonRpcMethod::TasksList,
        JsonRpcMethod::TasksCancel,
        JsonRpcMethod::TasksFeedback,
        JsonRpcMethod::PushNotificationConfigSet,
        JsonRpcMethod::PushNotificationConfigGet,
        JsonRpcMethod::PushNotificationConfigList,
        JsonRpcMethod::PushNotificationConfigDelete,
        JsonRpcMethod::ContextsList,
        JsonRpcMethod::ContextsClear,
    ];

    /// The wire name, e.g. `tasks/get`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JsonRpcMethod::MessageSend => "message/send",
            JsonRpcMethod::MessageStream => "message/stream",
            JsonRpcMethod::TasksGet => "tasks/get",
            JsonRpcMethod::TasksList => "tasks/list",
            JsonRpcMethod::TasksCancel => "tasks/cancel",
            JsonRpcMethod::TasksFeedback => "tasks/feedback",
            JsonRpcMethod::PushNotificationConfigSet => "tasks/pushNotificationConfig/set",
            JsonRpcMethod::PushNotificationConfigGet => "tasks/pushNotificationConfig/get",
            JsonRpcMethod::PushNotificationConfigList => "tasks/pushNotificationConfig/list",
            JsonRpcMethod::PushNotificationConfigDelete => "tasks/pushNotificationConfig/delete",
            JsonRpcMethod::ContextsList => "contexts/list",
            JsonRpcMethod::ContextsClear => "contexts/clear",
        }
    }

    /// The method with this wire name, if served.
    pub fn from_name(name: &str) -> Option<JsonRpcMethod> {
        JsonRpcMethod::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The scope a bearer token needs for this method.
    pub const fn required_scope(self) -> &'static str {
        match self {
            JsonRpcMethod::TasksGet
            | JsonRpcMethod::TasksList
            | JsonRpcMethod::ContextsList
            | JsonRpcMethod::PushNotificationConfigGet
            | JsonRpcMethod::PushNotificationConfigList => SCOPE_READ,
            _ => SCOPE_WRITE,
        }
    }
}

/// One `message/send` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct MessageSendRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id, echoed in the answer.
    pub id: JsonRpcId,
    /// The message and its options.
    pub params: MessageSendParams,
}

/// One `message/stream` request (same parameters as `message/send`).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct MessageStreamRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// The message and its options.
    pub params: MessageSendParams,
}

/// One `tasks/get` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TasksGetRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task.
    pub params: TasksGetParams,
}

/// One `tasks/list` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TasksListRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Optional caps; may be omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<TasksListParams>,
}

/// One `tasks/cancel` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TasksCancelRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task.
    pub params: TasksCancelParams,
}

/// One `tasks/feedback` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TasksFeedbackRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task and the feedback.
    pub params: TasksFeedbackParams,
}

/// One `tasks/pushNotificationConfig/set` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationConfigSetRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task and the webhook.
    pub params: PushNotificationConfigSetParams,
}

/// One `tasks/pushNotificationConfig/get` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationConfigGetRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task.
    pub params: PushNotificationConfigGetParams,
}

/// One `tasks/pushNotificationConfig/list` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationConfigListRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task.
    pub params: PushNotificationConfigListParams,
}

/// One `tasks/pushNotificationConfig/delete` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationConfigDeleteRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which task and which configuration.
    pub params: PushNotificationConfigDeleteParams,
}

/// One `contexts/list` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ContextsListRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Optional cap; may be omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ContextsListParams>,
}

/// One `contexts/clear` request.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ContextsClearRequest {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// Caller-chosen id.
    pub id: JsonRpcId,
    /// Which context.
    pub params: ContextsClearParams,
}

/// Any request to `POST /`, told apart by `method`.
///
/// The server reads the body in stages (JSON, envelope, method, params) so that
/// each failure gets its own code; this enum is the fully parsed form.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method")]
pub enum JsonRpcRequest {
    /// `message/send`.
    #[serde(rename = "message/send")]
    MessageSend(MessageSendRequest),
    /// `message/stream`.
    #[serde(rename = "message/stream")]
    MessageStream(MessageStreamRequest),
    /// `tasks/get`.
    #[serde(rename = "tasks/get")]
    TasksGet(TasksGetRequest),
    /// `tasks/list`.
    #[serde(rename = "tasks/list")]
    TasksList(TasksListRequest),
    /// `tasks/cancel`.
    #[serde(rename = "tasks/cancel")]
    TasksCancel(TasksCancelRequest),
    /// `tasks/feedback`.
    #[serde(rename = "tasks/feedback")]
    TasksFeedback(TasksFeedbackRequest),
    /// `tasks/pushNotificationConfig/set`.
    #[serde(rename = "tasks/pushNotificationConfig/set")]
    PushNotificationConfigSet(PushNotificationConfigSetRequest),
    /// `tasks/pushNotificationConfig/get`.
    #[serde(rename = "tasks/pushNotificationConfig/get")]
    PushNotificationConfigGet(PushNotificationConfigGetRequest),
    /// `tasks/pushNotificationConfig/list`.
    #[serde(rename = "tasks/pushNotificationConfig/list")]
    PushNotificationConfigList(PushNotificationConfigListRequest),
    /// `tasks/pushNotificationConfig/delete`.
    #[serde(rename = "tasks/pushNotificationConfig/delete")]
    PushNotificationConfigDelete(PushNotificationConfigDeleteRequest),
    /// `contexts/list`.
    #[serde(rename = "contexts/list")]
    ContextsList(ContextsListRequest),
    /// `contexts/clear`.
    #[serde(rename = "contexts/clear")]
    ContextsClear(ContextsClearRequest),
}

/// A successful JSON-RPC answer (JSON methods; `message/stream` answers with events).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct JsonRpcSuccess {
    /// Always "2.0".
    pub jsonrpc: JsonRpcVersion,
    /// The request's id.
    pub id: JsonRpcId,
    /// The method's result.
    pub result: JsonRpcResult,
}

/// The result of any JSON method; its shape depends on the method.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum JsonRpcResult {
    /// message/send, tasks/get, tasks/cancel.
    Task(Box<Task>),
    /// tasks/list (tasks) and contexts/list (context summaries).
    List(ListResult),
    /// tasks/feedback.
    Feedback(FeedbackResult),
    /// tasks/pushNotificationConfig/set, get, list and delete.
    PushNotificationConfig(TaskPushNotificationConfig),
    /// contexts/clear.
    ContextsClear(ContextsClearResult),
}

/// The array answered by tasks/list (tasks) and contexts/list (context summaries).
pub type ListResult = Vec<ListResultItem>;

/// One entry of a list result.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ListResultItem {
    /// A task (tasks/list).
    Task(Box<Task>),
    /// A context summary (contexts/list).
    Context(ContextSummary),
}

// ---------------------------------------------------------------------------
// Messages, parts, tasks
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Method parameters and results
// ---------------------------------------------------------------------------

/// Options of `message/send` and `message/stream`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageSendConfiguration {
    /// Media types the caller can consume; must overlap the agent's output modes.
    #[serde(
        default,
        alias = "accepted_output_modes",
        skip_serializing_if = "Option::is_none"
    )]
    pub accepted_output_modes: Option<Vec<String>>,
    /// Accepted for A2A compatibility; the answer never waits for completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking: Option<bool>,
    /// Keep only the newest N history messages in the returned task.
    #[serde(
        default,
        alias = "history_length",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0))]
    pub history_length: Option<i64>,
    /// Webhook to register for the new task (same as pushNotificationConfig/set).
    #[serde(
        default,
        alias = "push_notification_config",
        skip_serializing_if = "Option::is_none"
    )]
    pub push_notification_config: Option<PushNotificationConfig>,
}

/// Parameters of `message/send` and `message/stream`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageSendParams {
    /// The message.
    pub message: Message,
    /// Options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<MessageSendConfiguration>,
    /// Free-form metadata stored on the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Parameters of `tasks/get`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TasksGetParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// Keep only the newest N history messages.
    #[serde(
        default,
        alias = "history_length",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0))]
    pub history_length: Option<i64>,
    /// Ignored free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Parameters of `tasks/list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TasksListParams {
    /// Return at most N tasks, newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub length: Option<i64>,
    /// Keep only the newest N history messages of each task.
    #[serde(
        default,
        alias = "history_length",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0))]
    pub history_length: Option<i64>,
    /// Ignored free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Parameters of `tasks/cancel`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TasksCancelParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// Ignored free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Parameters of `tasks/feedback`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TasksFeedbackParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// Free-text feedback.
    #[schemars(length(min = 1, max = 10000))]
    pub feedback: String,
    /// Rating from 1 (poor) to 5 (excellent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub rating: Option<i64>,
    /// Free-form metadata stored with the feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Result of `tasks/feedback`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FeedbackResult {
    /// Fixed confirmation text.
    pub message: String,
    /// The rated task.
    pub task_id: String,
}

/// Text of [`FeedbackResult::message`].
pub const FEEDBACK_RECORDED_MESSAGE: &str = "Feedback recorded";

/// How the agent authenticates to a webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationAuthentication {
    /// Scheme names, e.g. "Bearer".
    pub schemes: Vec<String>,
    /// Credentials for the scheme, sent as `Authorization: <scheme> <credentials>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
}

/// A webhook the agent POSTs task events to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PushNotificationConfig {
    /// Configuration id; generated when absent on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// http or https URL of the webhook.
    pub url: String,
    /// Opaque token echoed in the `X-A2A-Notification-Token` header of every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Credentials for the webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<PushNotificationAuthentication>,
}

/// A task's webhook as answered by the pushNotificationConfig methods (snake_case).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskPushNotificationConfig {
    /// The task id.
    pub id: String,
    /// The webhook (its `id` always present).
    pub push_notification_config: PushNotificationConfig,
}

/// Parameters of `tasks/pushNotificationConfig/set`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationConfigSetParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// The webhook; replaces any earlier one.
    #[serde(alias = "push_notification_config")]
    pub push_notification_config: PushNotificationConfig,
}

/// Parameters of `tasks/pushNotificationConfig/get`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationConfigGetParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// Expected configuration id; -32001 when it differs.
    #[serde(
        default,
        alias = "push_notification_config_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub push_notification_config_id: Option<String>,
}

/// Parameters of `tasks/pushNotificationConfig/list`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationConfigListParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
}

/// Parameters of `tasks/pushNotificationConfig/delete`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushNotificationConfigDeleteParams {
    /// Task id (also read from `task_id` or `id`).
    #[serde(alias = "task_id", alias = "id")]
    pub task_id: String,
    /// The configuration to remove.
    #[serde(alias = "push_notification_config_id")]
    pub push_notification_config_id: String,
}

/// Parameters of `contexts/list`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextsListParams {
    /// Return at most N contexts, newest first (`historyLength` is read as a synonym).
    #[serde(
        default,
        alias = "history_length",
        alias = "historyLength",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 0))]
    pub length: Option<i64>,
    /// Ignored free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// One conversation of the caller, as listed by `contexts/list`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextSummary {
    /// Context id.
    pub context_id: String,
    /// How many tasks the context holds.
    pub task_count: i64,
    /// Their ids, oldest first.
    pub task_ids: Vec<String>,
}

/// Parameters of `contexts/clear`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextsClearParams {
    /// Context id (also read from `context_id`).
    #[serde(alias = "context_id")]
    pub context_id: String,
    /// Ignored free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<JsonObject>,
}

/// Result of `contexts/clear`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextsClearResult {
    /// Fixed confirmation text.
    pub message: String,
    /// The removed context.
    pub context_id: String,
}

/// Text of [`ContextsClearResult::message`].
pub const CONTEXT_CLEARED_MESSAGE: &str = "Context cleared";

// ---------------------------------------------------------------------------
// Streaming and webhook events (documented in prose: SSE bodies are text)
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Agent card
// ---------------------------------------------------------------------------

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
}

// ---------------------------------------------------------------------------
// DID
// ---------------------------------------------------------------------------

/// Query of `GET /did/resolve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidResolveQuery {
    /// The DID to resolve.
    pub did: String,
}

/// Body of `POST /did/resolve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidResolveRequest {
    /// The DID to resolve.
    pub did: String,
}

/// Key type of the agent's verification method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VerificationMethodType {
    // Ed25519 public key, base58.
    Ed25519VerificationKey2020,
}

/// A public key that verifies the agent's signatures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerificationMethod {
    /// `<did>#key-1`.
    pub id: String,
    /// Key type.
    #[serde(rename = "type")]
    pub kind: VerificationMethodType,
    /// The DID that controls the key.
    pub controller: String,
    /// 32-byte Ed25519 public key, base58.
    #[serde(rename = "publicKeyBase58")]
    pub public_key_base58: String,
}

/// A W3C DID document for the agent's DID.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DidDocument {
    /// JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID.
    pub id: String,
    /// When the identity was created (RFC 3339).
    pub created: String,
    /// Keys that authenticate as the DID.
    pub authentication: Vec<VerificationMethod>,
}

// ---------------------------------------------------------------------------
// Skills
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Negotiation
// ---------------------------------------------------------------------------

/// Relative weights of the negotiation subscores (each 0 to 1; defaults 0.55/0.20/0.15/0.05/0.05).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NegotiationWeights {
    /// Weight of the skill keyword match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub skill_match: Option<f64>,
    /// Weight of media-type compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub io_compatibility: Option<f64>,
    /// Weight of the latency fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub performance: Option<f64>,
    /// Weight of current load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub load: Option<f64>,
    /// Weight of cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_details: Option<String>,
    /// Media types the caller will send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mime_types: Option<Vec<String>>,
    /// Media types the caller wants back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_mime_types: Option<Vec<String>>,
    /// Latency the caller tolerates, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_latency_ms: Option<i64>,
    /// Cost the caller tolerates (decimal string; this agent is free).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_amount: Option<String>,
    /// Tools the work needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_tools: Option<Vec<String>>,
    /// Tools the work must not use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden_tools: Option<Vec<String>>,
    /// Scores below this are declined (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub min_score: Option<f64>,
    /// Subscore weights; missing ones take their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Skills that matched, best first (absent when none matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_matches: Option<Vec<SkillMatch>>,
    /// Skill tags found in the task text (absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_tags: Option<Vec<String>>,
    /// Expected processing time of the best skill, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_estimate_ms: Option<i64>,
    /// Tasks waiting or running right now.
    pub queue_depth: i64,
    /// The factors behind the score.
    pub subscores: NegotiationSubscores,
}

// ---------------------------------------------------------------------------
// Payments (x402 sessions)
// ---------------------------------------------------------------------------

/// State of a payment session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PaymentSessionStatus {
    // Waiting for the payer.
    Pending,
    // Paid; `payment_token` is available.
    Completed,
    // The payment was refused.
    Failed,
    // Not paid in time.
    Expired,
}

/// Answer of `POST /api/start-payment-session`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSession {
    /// Session id.
    pub session_id: String,
    /// Page the payer opens in a browser.
    pub browser_url: String,
    /// When an unpaid session expires (RFC 3339).
    pub expires_at: String,
    /// Always "pending" at creation.
    pub status: PaymentSessionStatus,
}

/// Path of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentSessionPath {
    /// Session id.
    #[serde(rename = "sessionId")]
    pub session_id: String,
}

/// Query of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentStatusQuery {
    /// Hold the answer until the session leaves `pending` (at most 60 s); default false.
    #[serde(default)]
    pub wait: bool,
}

/// Answer of `GET /api/payment-status/{sessionId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentStatus {
    /// Session id.
    pub session_id: String,
    /// Current state.
    pub status: PaymentSessionStatus,
    /// Why the payment failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Base64 x402 payment payload, to send as X-PAYMENT (completed sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<String>,
}

/// Query of `GET /payment-capture`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentCaptureQuery {
    /// Session id from `browser_url`.
    pub session_id: String,
}

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

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
