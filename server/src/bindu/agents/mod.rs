//! The agent handler: what makes an agent unique. The server stores the task,
//! queues it, and calls an [`Agent`] from a worker with the message, the
//! conversation so far and the results of the tasks it refers to; the agent
//! answers with a [`Reply`] and may stream text on the way through [`Updates`].
//!
//! Three agents come built in ([`echo`], [`openai`], [`command`]); any type
//! implementing [`Agent`] can be served with [`crate::bindu::serve_agent`].
//!
//! ```
//! use quartet_server::bindu::agents::{Agent, AgentError, AgentRequest, BoxFuture, Reply, Updates};
//!
//! /// Answers every message in capitals.
//! struct Shout;
//!
//! impl Agent for Shout {
//!     fn handle<'a>(&'a self, request: AgentRequest, _updates: Updates) -> BoxFuture<'a, Result<Reply, AgentError>> {
//!         Box::pin(async move { Ok(Reply::text(request.text().to_uppercase())) })
//!     }
//! }
//! ```

pub mod command;
pub mod echo;
pub mod openai;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use quartet_api::bindu::{Artifact, HistoryMessage, Part, Role};
use tokio::sync::{mpsc, watch};

/// A boxed, sendable future borrowing the agent.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An agent handler. It is called once per run of a task: when the task is
/// submitted, and again each time the caller answers an `input-required` or
/// `auth-required` pause (a run interrupted by a restart is run again).
pub trait Agent: Send + Sync + 'static {
    /// Works on one task and says how it ended.
    fn handle<'a>(
        &'a self,
        request: AgentRequest,
        updates: Updates,
    ) -> BoxFuture<'a, Result<Reply, AgentError>>;
}

/// What the agent is asked.
#[derive(Debug, Clone)]
pub struct AgentRequest {
    /// The task's id.
    pub task_id: String,
    /// The conversation's id.
    pub context_id: String,
    /// The message that started this run.
    pub message: HistoryMessage,
    /// Every earlier message of the conversation (all its tasks), oldest first,
    /// without `message`.
    pub history: Vec<HistoryMessage>,
    /// Artifacts of the tasks listed in the message's `referenceTaskIds`, by task id
    /// (tasks that do not exist, or are not the caller's, are left out).
    pub references: Vec<(String, Vec<Artifact>)>,
    /// Becomes `true` when the task is canceled; a long-running agent should stop.
    pub canceled: watch::Receiver<bool>,
}

impl AgentRequest {
    /// The text parts of `message`, joined with newlines.
    pub fn text(&self) -> String {
        text_of(&self.message.parts)
    }
}

/// The text parts of `parts`, joined with newlines.
pub fn text_of(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.text.as_str()),
            Part::Data(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether any of `parts` is text.
pub fn has_text(parts: &[Part]) -> bool {
    parts.iter().any(|p| matches!(p, Part::Text(_)))
}

/// Returns once `canceled` turns `true` (never, if nobody can cancel any more).
pub async fn until_canceled(canceled: &mut watch::Receiver<bool>) {
    if canceled.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Done: these parts are the task's `result` artifact (text parts are signed).
    /// Empty parts after streamed text make the streamed text the result.
    Completed(Vec<Part>),
    /// Paused: the agent asks the caller this question.
    InputRequired(String),
    /// Paused: the caller must authenticate somewhere first; the text says how.
    AuthRequired(String),
    /// The agent declines the task, for this reason.
    Rejected(String),
    /// The work failed, for this reason.
    Failed(String),
}

impl Reply {
    /// A completed task whose result is one text part.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Completed(vec![Part::Text(quartet_api::bindu::TextPart {
            text: text.into(),
            metadata: None,
        })])
    }
}

/// Why an agent could not produce a reply. The task fails with this reason.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AgentError {
    /// A backend the agent depends on failed (unreachable, refused, timed out).
    #[error("backend failure: {0}")]
    Backend(String),
    /// The agent produced something unusable (-32006 for a blocking caller).
    #[error("invalid agent response: {0}")]
    InvalidResponse(String),
    /// The agent stopped because the task was canceled.
    #[error("canceled")]
    Canceled,
}

/// What an agent can report while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A piece of the result text, streamed as an `artifact-update`.
    Chunk(String),
    /// A progress note: a `working` status update carrying this agent message.
    Progress(String),
}

/// The channel an agent reports progress on. Sending never blocks for long and
/// never fails the agent: updates of a task that ended are dropped.
#[derive(Debug, Clone)]
pub struct Updates {
    sender: mpsc::Sender<Update>,
}

impl Updates {
    /// A channel and its receiving end (the worker holds the receiver).
    pub fn channel() -> (Self, mpsc::Receiver<Update>) {
        let (sender, receiver) = mpsc::channel(256);
        (Self { sender }, receiver)
    }

    /// Streams a piece of the result text.
    pub async fn chunk(&self, text: impl Into<String>) {
        let _ = self.sender.send(Update::Chunk(text.into())).await;
    }

    /// Reports progress.
    pub async fn progress(&self, text: impl Into<String>) {
        let _ = self.sender.send(Update::Progress(text.into())).await;
    }
}

/// An agent shared by the workers.
pub type SharedAgent = Arc<dyn Agent>;

/// The role of a history message, as chat backends name it.
pub fn chat_role(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Agent => "assistant",
        Role::System => "system",
    }
}
