//! Failures that are not the caller's: the database down or busy (503) and
//! faults inside the server (500). Each surface turns a [`Fault`] into its own
//! envelope with `From`, so handlers propagate storage and internal errors with
//! `?`; the detail is logged here, once, and never sent to the client.

use std::sync::OnceLock;

use slog::Logger;

use super::storage::DbError;

/// A failure the caller cannot fix by changing the request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Fault {
    /// A dependency the server needs (its database) cannot be reached now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Something went wrong inside the server.
    #[error("internal: {0}")]
    Internal(String),
}

static LOG: OnceLock<Logger> = OnceLock::new();

/// Sets where faults are logged (once, at start-up; later calls are ignored).
pub fn set_logger(log: Logger) {
    let _ = LOG.set(log);
}

impl Fault {
    /// An internal fault with this detail (logged, not sent).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string()).logged()
    }

    /// The dependency `what` is unavailable (logged, not sent).
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        Self::Unavailable(detail.to_string()).logged()
    }

    /// Whether this is a 503 rather than a 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Fault::Unavailable(_))
    }

    fn logged(self) -> Self {
        if let Some(log) = LOG.get() {
            match &self {
                Fault::Unavailable(d) => slog::warn!(log, "dependency unavailable"; "error" => d),
                Fault::Internal(d) => slog::error!(log, "internal error"; "error" => d),
            }
        }
        self
    }
}

impl From<DbError> for Fault {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            Fault::unavailable(e)
        } else {
            Fault::internal(e)
        }
    }
}

impl From<tokio::task::JoinError> for Fault {
    fn from(e: tokio::task::JoinError) -> Self {
        Fault::internal(format!("background task: {e}"))
    }
}
