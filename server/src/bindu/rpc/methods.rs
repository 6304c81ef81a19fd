//! The JSON-RPC methods, one function each.

use std::sync::Arc;
use std::time::Duration;

use quartet_api::bindu::*;
use serde_json::{json, Value};

use super::params::{check_count, check_message, parse, with_config_id};
use super::{result_response, with_header, Answer};
use crate::bindu::auth::Caller;
use crate::bindu::config::Protocol;
use crate::bindu::failure::Failure;
use crate::bindu::payment::PendingPayment;
use crate::bindu::store;
use crate::bindu::stream::{self, Framing};
use crate::bindu::tasks::{self, trim_history, UnknownTaskId};
use crate::bindu::wire::to_a2a;
use crate::bindu::Bindu;

/// Default and largest `length` of `tasks/list` and `contexts/list`.
pub const LIST_DEFAULT: i64 = 100;
/// Largest `length` honoured.
pub const LIST_MAX: i64 = 1000;

fn value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Bindu {
    fn a2a(&self) -> bool {
        self.config.bindu_protocol == Protocol::A2a
    }

    /// A task in the dialect spoken.
    fn task_value(&self, task: &Task) -> Value {
        if self.a2a() {
            to_a2a(value(task))
        } else {
            value(task)
        }
    }

    /// Runs `method`.
    pub(super) async fn call(
        self: &Arc<Self>,
        caller: &Caller,
        headers: &http::HeaderMap,
        method: JsonRpcMethod,
        raw: Option<Value>,
        id: &JsonRpcId,
    ) -> Result<Answer, Failure> {
        let owner = caller.owner.as_str();
        let result = match method {
            JsonRpcMethod::MessageSend => return self.send(owner, headers, raw, false, id).await,
            JsonRpcMethod::MessageStream => return self.send(owner, headers, raw, true, id).await,
            JsonRpcMethod::TasksGet => {
                let p: TasksGetParams = parse(raw)?;
                check_count("historyLength", p.history_length)?;
                let found = self.tasks.find(owner, &p.task_id).await?;
                self.task_value(&trim_history(found.task, p.history_length))
            }
            JsonRpcMethod::TasksList => {
                let p: TasksListParams = parse(raw)?;
                check_count("length", p.length)?;
                check_count("historyLength", p.history_length)?;
                let limit = p.length.unwrap_or(LIST_DEFAULT).min(LIST_MAX);
                let list = store::list(self.tasks.db(), owner, limit).await?;
                Value::Array(
                    list.into_iter()
                        .map(|t| self.task_value(&trim_history(t, p.history_length)))
                        .collect(),
                )
            }
            JsonRpcMethod::TasksCancel => {
                let p: TasksCancelParams = parse(raw)?;
                let task = self.tasks.cancel(owner, &p.task_id).await?;
                if let Some(pool) = &self.pool {
                    if let Ok(found) = self.tasks.find(owner, &p.task_id).await {
                        pool.cancel_local(found.pk);
                    }
                }
                self.task_value(&task)
            }
            JsonRpcMethod::TasksFeedback => {
                let p: TasksFeedbackParams = parse(raw)?;
                let len = p.feedback.chars().count();
                if !(1..=10_000).contains(&len) {
                    return Err(Failure::invalid_params(
                        "feedback must have 1 to 10000 characters",
                    ));
                }
                if p.rating.is_some_and(|r| !(1..=5).contains(&r)) {
                    return Err(Failure::invalid_params("rating must be between 1 and 5"));
                }
                self.tasks
                    .feedback(
                        owner,
                        &p.task_id,
                        &p.feedback,
                        p.rating,
                        p.metadata.map(Value::Object),
                    )
                    .await?;
                value(&FeedbackResult {
                    message: FEEDBACK_RECORDED_MESSAGE.into(),
                    task_id: p.task_id,
                })
            }
            JsonRpcMethod::PushNotificationConfigSet => {
                self.push_supported()?;
                let p: PushNotificationConfigSetParams = parse(raw)?;
                let config = with_config_id(p.push_notification_config);
                let found = self.tasks.find(owner, &p.task_id).await?;
                self.push.check_url(&config.url).await?;
                let pk = found.pk;
                let stored = config.clone();
                let sealer = self.tasks.sealer().clone();
                self.tasks
                    .db()
                    .write(move |conn| {
                        Box::pin(
                            async move { store::set_push_config(conn, &sealer, pk, &stored).await },
                        )
                    })
                    .await?;
                self.push_value(&p.task_id, config, false)
            }
            JsonRpcMethod::PushNotificationConfigGet => {
                self.push_supported()?;
                let p: PushNotificationConfigGetParams = parse(raw)?;
                let config = self
                    .push_config(owner, &p.task_id, p.push_notification_config_id.as_deref())
                    .await?;
                self.push_value(&p.task_id, config, false)
            }
            JsonRpcMethod::PushNotificationConfigList => {
                self.push_supported()?;
                let p: PushNotificationConfigListParams = parse(raw)?;
                if self.a2a() {
                    let found = self.tasks.find(owner, &p.task_id).await?;
                    let list =
                        store::push_config(self.tasks.db(), self.tasks.sealer(), found.pk).await?;
                    Value::Array(
                        list.into_iter()
                            .map(|c| self.push_value(&p.task_id, c, true))
                            .collect(),
                    )
                } else {
                    let config = self.push_config(owner, &p.task_id, None).await?;
                    self.push_value(&p.task_id, config, false)
                }
            }
            JsonRpcMethod::PushNotificationConfigDelete => {
                self.push_supported()?;
                let p: PushNotificationConfigDeleteParams = parse(raw)?;
                let config = self
                    .push_config(owner, &p.task_id, Some(&p.push_notification_config_id))
                    .await?;
                let found = self.tasks.find(owner, &p.task_id).await?;
                store::delete_push_config(self.tasks.db(), found.pk).await?;
                if self.a2a() {
                    Value::Null
                } else {
                    self.push_value(&p.task_id, config, false)
                }
            }
            JsonRpcMethod::ContextsList => {
                let p: ContextsListParams = parse(raw)?;
                check_count("length", p.length)?;
                let limit = p.length.unwrap_or(LIST_DEFAULT).min(LIST_MAX);
                let list: Vec<ContextSummary> = store::contexts(self.tasks.db(), owner, limit)
                    .await?
                    .into_iter()
                    .map(|(context_id, task_ids)| ContextSummary {
                        context_id,
                        task_count: task_ids.len() as i64,
                        task_ids,
                    })
                    .collect();
                if self.a2a() {
                    to_a2a(value(&list))
                } else {
                    value(&list)
                }
            }
            JsonRpcMethod::ContextsClear => {
                let p: ContextsClearParams = parse(raw)?;
                self.tasks.clear_context(owner, &p.context_id).await?;
                let result = ContextsClearResult {
                    message: CONTEXT_CLEARED_MESSAGE.into(),
                    context_id: p.context_id,
                };
                if self.a2a() {
                    to_a2a(value(&result))
                } else {
                    value(&result)
                }
            }
            JsonRpcMethod::TasksResubscribe => return self.resubscribe(owner, raw, id).await,
            JsonRpcMethod::GetAuthenticatedExtendedCard => {
                // The extended card is the card (this agent has no skills for
                // authenticated callers only); there is none without authentication.
                if self.config.bindu_auth == crate::bindu::config::AuthMode::Off {
                    return Err(Failure::rpc(
                        ErrorCode::AuthenticatedExtendedCardNotConfigured,
                        None,
                    ));
                }
                value(&self.card(&self.base_url(headers))?)
            }
        };
        Ok(Answer::Result(result))
    }

    fn push_supported(&self) -> Result<(), Failure> {
        if self.config.bindu_no_push {
            return Err(Failure::rpc(ErrorCode::PushNotificationNotSupported, None));
        }
        Ok(())
    }

    fn streaming_supported(&self) -> Result<(), Failure> {
        if self.config.bindu_no_streaming {
            return Err(Failure::rpc(
                ErrorCode::UnsupportedOperation,
                Some(Value::String(
                    "streaming is turned off on this agent".into(),
                )),
            ));
        }
        Ok(())
    }

    /// The task's webhook, which must exist (and be `expected` when given).
    async fn push_config(
        &self,
        owner: &str,
        task_id: &str,
        expected: Option<&str>,
    ) -> Result<PushNotificationConfig, Failure> {
        let found = self.tasks.find(owner, task_id).await?;
        let config = store::push_config(self.tasks.db(), self.tasks.sealer(), found.pk).await?;
        match config {
            Some(c) if expected.is_none_or(|e| c.id.as_deref() == Some(e)) => Ok(c),
            _ => Err(Failure::with_message(
                ErrorCode::TaskNotFound,
                PUSH_CONFIG_NOT_FOUND_MESSAGE,
                Some(json!({ "task_id": task_id })),
            )),
        }
    }

    fn push_value(&self, task_id: &str, config: PushNotificationConfig, _listed: bool) -> Value {
        if self.a2a() {
            json!({"taskId": task_id, "pushNotificationConfig": value(&config)})
        } else {
            value(&TaskPushNotificationConfig {
                id: task_id.to_owned(),
                push_notification_config: config,
            })
        }
    }

    /// `message/send` (blocking or not) and `message/stream`.
    async fn send(
        self: &Arc<Self>,
        owner: &str,
        headers: &http::HeaderMap,
        raw: Option<Value>,
        streaming: bool,
        id: &JsonRpcId,
    ) -> Result<Answer, Failure> {
        if streaming {
            self.streaming_supported()?;
        }
        let p: MessageSendParams = parse(raw)?;
        check_message(&p, !self.a2a())?;
        let configuration = p.configuration.clone().unwrap_or_default();
        if let Some(accepted) = &configuration.accepted_output_modes {
            let supported = self.manifest.output_modes();
            let covers = |m: &String| {
                supported.iter().any(|s| {
                    s == m
                        || m == "*/*"
                        || m.strip_suffix("/*")
                            .is_some_and(|t| s.split('/').next() == Some(t))
                })
            };
            if !accepted.is_empty() && !accepted.iter().any(covers) {
                return Err(Failure::rpc(
                    ErrorCode::ContentTypeNotSupported,
                    Some(
                        json!({"accepted_output_modes": accepted, "supported_output_modes": supported}),
                    ),
                ));
            }
        }
        let push = match configuration.push_notification_config.clone() {
            Some(c) => {
                self.push_supported()?;
                let c = with_config_id(c);
                self.push.check_url(&c.url).await?;
                Some(c)
            }
            None => None,
        };
        let payment = self.payment_gate(headers).await?;
        let unknown = if self.a2a() {
            UnknownTaskId::Refuse
        } else {
            UnknownTaskId::Create
        };
        let (submitted, settlement) = match &payment {
            None => (
                self.tasks.submit(owner, p, push, unknown, None).await?,
                None,
            ),
            Some(payment) => self.submit_paid(owner, p, push, unknown, payment).await?,
        };
        if streaming {
            let framing = if self.a2a() {
                Framing::A2a(id.clone())
            } else {
                Framing::Bindu
            };
            let snapshot = self.a2a().then(|| submitted.task.clone());
            let response = stream::respond(
                self.tasks.db().clone(),
                self.tasks.hub().clone(),
                submitted.pk,
                submitted.first_event - 1,
                snapshot,
                Vec::new(),
                framing,
            );
            return Ok(Answer::Raw(match settlement {
                Some((header, value)) => with_header(response, header, &value),
                None => response,
            }));
        }
        let task = if configuration.blocking == Some(true) {
            let timeout = Duration::from_millis(self.config.bindu_blocking_timeout_ms);
            let task = self.tasks.settle(submitted.pk, timeout).await?;
            if task.status.state == TaskState::Failed
                && task
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("error_type"))
                    .and_then(Value::as_str)
                    == Some("invalid_agent_response")
            {
                return Err(Failure::rpc(
                    ErrorCode::InvalidAgentResponse,
                    Some(json!({"task_id": task.id, "state": task.status.state})),
                ));
            }
            task
        } else {
            submitted.task
        };
        let result = self.task_value(&trim_history(task, configuration.history_length));
        Ok(match settlement {
            Some((header, value)) => {
                Answer::Raw(with_header(result_response(id, &result), header, &value))
            }
            None => Answer::Result(result),
        })
    }

    /// A paid message, in the order that charges no one for nothing: the nonce
    /// is reserved, the task stored but held (no worker claims it), the payment
    /// settled, and only then the task released to run. A task that cannot be
    /// stored is never settled; a settlement that fails (or a facilitator that
    /// does not answer) removes the held task and frees the nonce.
    async fn submit_paid(
        &self,
        owner: &str,
        p: MessageSendParams,
        push: Option<PushNotificationConfig>,
        unknown: UnknownTaskId,
        payment: &PendingPayment,
    ) -> Result<(tasks::Submitted, Option<(&'static str, String)>), Failure> {
        self.reserve_nonce(payment).await?;
        let held = match self
            .tasks
            .submit(owner, p, push, unknown, Some(&payment.nonce))
            .await
        {
            Ok(held) => held,
            Err(e) => {
                self.release_nonce(payment).await;
                return Err(e);
            }
        };
        match self.settle_payment(payment).await {
            Ok(settlement) => {
                let released = self.tasks.release(held.pk, &payment.nonce).await?;
                Ok((released, Some(settlement)))
            }
            Err(e) => {
                if let Err(undo) = self.tasks.abort(held.pk, &payment.nonce).await {
                    slog::warn!(self.log, "could not remove an unpaid task"; "error" => ?undo);
                }
                self.release_nonce(payment).await;
                Err(e)
            }
        }
    }

    /// `tasks/resubscribe`: the task's current status, then its events from now on.
    async fn resubscribe(
        self: &Arc<Self>,
        owner: &str,
        raw: Option<Value>,
        id: &JsonRpcId,
    ) -> Result<Answer, Failure> {
        self.streaming_supported()?;
        let p: TasksCancelParams = parse(raw)?;
        let found = self.tasks.find(owner, &p.task_id).await?;
        let after = store::last_event(self.tasks.db(), found.pk).await?;
        // Read again after the cursor: nothing that happened in between is lost.
        let current = self.tasks.find(owner, &p.task_id).await?;
        let framing = if self.a2a() {
            Framing::A2a(id.clone())
        } else {
            Framing::Bindu
        };
        Ok(Answer::Raw(stream::respond(
            self.tasks.db().clone(),
            self.tasks.hub().clone(),
            found.pk,
            after,
            None,
            vec![tasks::status_event(&current.task, None)],
            framing,
        )))
    }
}
