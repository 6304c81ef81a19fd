//! Bindu wire types: JSON-RPC framing.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

use super::{
    ContextSummary, ContextsClearParams, ContextsClearResult, ContextsListParams, FeedbackResult,
    MessageSendParams, PushNotificationConfigDeleteParams, PushNotificationConfigGetParams,
    PushNotificationConfigListParams, PushNotificationConfigSetParams, Task,
    TaskPushNotificationConfig, TasksCancelParams, TasksFeedbackParams, TasksGetParams,
    TasksListParams,
};

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

    /// `oneOf: [JsonRpcIdValue, null]`. OpenAPI 3.0.3 has no null type, and `nullable`
    /// only adds null to a `type` in the same schema object (beside an `allOf` or `$ref`
    /// it has no effect), so null is a member of its own: a typed, nullable schema whose
    /// `enum` leaves null as the only value.
    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let mut null = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(vec![Value::Null]),
            ..Default::default()
        };
        null.extensions
            .insert("nullable".to_string(), Value::Bool(true));
        Schema::Object(SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                one_of: Some(vec![
                    gen.subschema_for::<JsonRpcIdValue>(),
                    Schema::Object(null),
                ]),
                ..Default::default()
            })),
            ..Default::default()
        })
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

/// The JSON-RPC methods the agent serves on `POST /`: the twelve Bindu methods,
/// `tasks/resubscribe` and A2A's `agent/getAuthenticatedExtendedCard`.
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
    /// Follow an existing task's events as a stream.
    #[serde(rename = "tasks/resubscribe")]
    TasksResubscribe,
    /// Read the authenticated extended card (not configured: -32007).
    #[serde(rename = "agent/getAuthenticatedExtendedCard")]
    GetAuthenticatedExtendedCard,
}

/// Bearer-token scope that unlocks reading (`agent:execute` also does).
pub const SCOPE_READ: &str = "agent:read";
/// Bearer-token scope that unlocks writing (`agent:execute` also does).
pub const SCOPE_WRITE: &str = "agent:write";
/// Audience of the tokens Bindu accepts unless `--bindu-token-audience` says otherwise.
pub const DEFAULT_AUDIENCE: &str = "bindu-agent";

/// Scope that implies both [`SCOPE_READ`] and [`SCOPE_WRITE`].
pub const SCOPE_EXECUTE: &str = "agent:execute";

impl JsonRpcMethod {
    /// Every method, in documentation order.
    pub const ALL: [JsonRpcMethod; 14] = [
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
        JsonRpcMethod::TasksResubscribe,
        JsonRpcMethod::GetAuthenticatedExtendedCard,
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
            JsonRpcMethod::TasksResubscribe => "tasks/resubscribe",
            JsonRpcMethod::GetAuthenticatedExtendedCard => "agent/getAuthenticatedExtendedCard",
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
            | JsonRpcMethod::PushNotificationConfigList
            | JsonRpcMethod::TasksResubscribe
            | JsonRpcMethod::GetAuthenticatedExtendedCard => SCOPE_READ,
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
