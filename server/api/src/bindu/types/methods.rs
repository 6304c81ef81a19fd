//! Bindu wire types: Method parameters and results.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{JsonObject, Message};

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
