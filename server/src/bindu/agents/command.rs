//! An agent that runs a program per task, in any language, speaking JSON lines.
//!
//! The program is started with `sh -c COMMAND`. It reads one JSON object on
//! standard input (then end of file):
//!
//! ```json
//! {"task_id": "…", "context_id": "…", "message": {…}, "history": [{…}], "references": [{"task_id": "…", "artifacts": [{…}]}]}
//! ```
//!
//! (messages and artifacts in the task's snake_case shape) and writes one JSON
//! object per line on standard output:
//!
//! | line | effect |
//! |---|---|
//! | `{"type": "progress", "text": "…"}` | a `working` status update with this agent message |
//! | `{"type": "chunk", "text": "…"}` | a piece of the result, streamed as an artifact update |
//! | `{"type": "completed", "text": "…"}` | done; `text` (or, without it, the chunks) is the result |
//! | `{"type": "input-required", "prompt": "…"}` | the task waits for the caller's answer |
//! | `{"type": "auth-required", "prompt": "…"}` | the task waits for the caller to authenticate |
//! | `{"type": "rejected", "reason": "…"}` | the agent declines the task |
//! | `{"type": "failed", "reason": "…"}` | the task fails |
//!
//! The first final line (`completed` … `failed`) ends the run. A line that is not
//! such an object, or a program that exits without a final line, fails the task
//! (the first as an invalid agent response). `tasks/cancel` kills the program.
//! Standard error is discarded.

use std::process::Stdio;

use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::{Agent, AgentError, AgentRequest, BoxFuture, Reply, Updates};

/// Runs `command` once per task.
pub struct Command {
    command: String,
}

impl Command {
    /// An agent running `command` with `sh -c`.
    pub fn new(command: &str) -> Self {
        Self {
            command: command.to_owned(),
        }
    }
}

/// One line the program writes.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Line {
    Progress { text: String },
    Chunk { text: String },
    Completed { text: Option<String> },
    InputRequired { prompt: String },
    AuthRequired { prompt: String },
    Rejected { reason: String },
    Failed { reason: String },
}

impl Agent for Command {
    fn handle<'a>(
        &'a self,
        request: AgentRequest,
        updates: Updates,
    ) -> BoxFuture<'a, Result<Reply, AgentError>> {
        Box::pin(async move {
            let mut child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(&self.command)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| AgentError::Backend(format!("cannot start the agent command: {e}")))?;
            let input = json!({
                "task_id": request.task_id,
                "context_id": request.context_id,
                "message": request.message,
                "history": request.history,
                "references": request.references.iter()
                    .map(|(id, artifacts)| json!({"task_id": id, "artifacts": artifacts}))
                    .collect::<Vec<_>>(),
            });
            if let Some(mut stdin) = child.stdin.take() {
                // A program that does not read its input is its own business.
                let _ = stdin.write_all(format!("{input}\n").as_bytes()).await;
            }
            let stdout = child.stdout.take().expect("stdout is piped");
            let mut lines = BufReader::new(stdout).lines();
            let mut canceled = request.canceled.clone();
            let mut streamed = String::new();
            loop {
                let line = tokio::select! {
                    line = lines.next_line() => line,
                    _ = super::until_canceled(&mut canceled) => {
                        let _ = child.kill().await;
                        return Err(AgentError::Canceled);
                    }
                };
                let line = match line {
                    Ok(Some(line)) => line,
                    Ok(None) | Err(_) => {
                        let status = child.wait().await.ok().and_then(|s| s.code());
                        return Err(AgentError::Backend(match status {
                            Some(code) => format!(
                                "the agent command exited with status {code} without a result"
                            ),
                            None => "the agent command ended without a result".to_owned(),
                        }));
                    }
                };
                if line.trim().is_empty() {
                    continue;
                }
                let parsed: Line = serde_json::from_str(&line).map_err(|e| {
                    AgentError::InvalidResponse(format!(
                        "the agent command wrote an unusable line: {e}"
                    ))
                })?;
                let reply = match parsed {
                    Line::Progress { text } => {
                        updates.progress(text).await;
                        continue;
                    }
                    Line::Chunk { text } => {
                        streamed.push_str(&text);
                        updates.chunk(text).await;
                        continue;
                    }
                    Line::Completed { text } => Reply::text(text.unwrap_or(streamed)),
                    Line::InputRequired { prompt } => Reply::InputRequired(prompt),
                    Line::AuthRequired { prompt } => Reply::AuthRequired(prompt),
                    Line::Rejected { reason } => Reply::Rejected(reason),
                    Line::Failed { reason } => Reply::Failed(reason),
                };
                let _ = child.kill().await;
                return Ok(reply);
            }
        })
    }
}
