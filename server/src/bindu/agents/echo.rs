//! The deterministic echo agent (the default): the text parts of each message,
//! joined with newlines, become the result. A message without text cannot be
//! echoed: the task waits for input.

use super::{has_text, Agent, AgentError, AgentRequest, BoxFuture, Reply, Updates};

/// The question an echo task asks when its message has no text part.
pub const NEEDS_TEXT: &str = "This agent echoes text; send a message with at least one text part.";

/// Echoes text.
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

impl Agent for Echo {
    fn handle<'a>(
        &'a self,
        request: AgentRequest,
        _updates: Updates,
    ) -> BoxFuture<'a, Result<Reply, AgentError>> {
        Box::pin(async move {
            if !has_text(&request.message.parts) {
                return Ok(Reply::InputRequired(NEEDS_TEXT.to_owned()));
            }
            Ok(Reply::text(request.text()))
        })
    }
}
