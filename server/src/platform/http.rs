//! Starting a surface's dropshot server and stopping it, behind one type that
//! does not care which surface it is.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use dropshot::{ApiDescription, ConfigDropshot, HandlerTaskMode, ServerBuilder, ServerContext};
use slog::Logger;

/// Largest request body a surface reads unless an operation says otherwise.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

type Closer = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send>;

/// A server that could not start listening.
#[derive(Debug, thiserror::Error)]
#[error("listening on {addr}: {reason}")]
pub struct ServeError {
    /// The address it tried.
    pub addr: SocketAddr,
    /// What went wrong.
    pub reason: String,
}

/// A running server.
pub struct Server {
    /// Where it listens.
    pub local_addr: SocketAddr,
    close: Closer,
}

impl Server {
    /// Stops accepting requests and lets those in flight finish.
    pub async fn close(self) -> Result<(), String> {
        (self.close)().await
    }
}

/// Serves `api` with `context` on `addr`. Each handler runs in a task of its own
/// and finishes even if its client goes away, so nothing is left half-way.
pub fn serve<C: ServerContext>(
    api: ApiDescription<C>,
    context: C,
    addr: SocketAddr,
    log: Logger,
) -> Result<Server, ServeError> {
    serve_with_mode(api, context, addr, log, HandlerTaskMode::Detached)
}

/// [`serve`] with a choice of how handlers run. `CancelOnDisconnect` runs each
/// handler inside its connection's task (no task hop per request) and drops it
/// when the client goes away: for surfaces whose handlers change nothing that a
/// cancellation could leave half-done.
pub fn serve_with_mode<C: ServerContext>(
    api: ApiDescription<C>,
    context: C,
    addr: SocketAddr,
    log: Logger,
    mode: HandlerTaskMode,
) -> Result<Server, ServeError> {
    let config = ConfigDropshot {
        bind_address: addr,
        default_request_body_max_bytes: DEFAULT_BODY_LIMIT,
        default_handler_task_mode: mode,
        ..Default::default()
    };
    let server = ServerBuilder::new(api, context, log)
        .config(config)
        .start()
        .map_err(|e| ServeError {
            addr,
            reason: e.to_string(),
        })?;
    Ok(Server {
        local_addr: server.local_addr(),
        close: Box::new(move || Box::pin(server.close())),
    })
}
