//! Wire types of the Bindu surface, named as the schemas in `openapi/bindu.yaml`.
//!
//! Casing follows what Bindu agents really send: tasks, history, artifacts,
//! contexts and skills are snake_case; the agent card is camelCase. Request
//! parameters are documented in camelCase but also read in snake_case, and task
//! ids are read from `taskId`, `task_id` or `id` (serde aliases below).

use serde_json::{Map, Value};

/// A free-form JSON object (metadata, skill manifest sections, data parts).
pub type JsonObject = Map<String, Value>;

mod card;
mod did;
mod events;
mod health;
mod jsonrpc;
mod methods;
mod negotiation;
mod payments;
mod skills;
mod task;

pub use card::*;
pub use did::*;
pub use events::*;
pub use health::*;
pub use jsonrpc::*;
pub use methods::*;
pub use negotiation::*;
pub use payments::*;
pub use skills::*;
pub use task::*;
