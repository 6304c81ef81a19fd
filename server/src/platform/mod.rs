//! What every surface stands on: storage (SQLite or PostgreSQL), bearer
//! parsing, secrets, hashed revocable credentials, the OAuth token service,
//! the mapping of internal failures, and starting a dropshot server.

pub mod bearer;
pub mod cache;
pub mod cached_credentials;
pub mod changes;
pub mod credentials;
pub mod fault;
pub mod http;
pub mod oauth;
pub mod secrets;
pub mod storage;

use std::path::PathBuf;
use std::sync::Arc;

use slog::Logger;

pub use fault::Fault;
pub use storage::{Db, DbError, Migration};

/// The shared services a surface is started with.
#[derive(Clone)]
pub struct Platform {
    /// The database.
    pub db: Db,
    /// The token service (one per process, shared by every surface that accepts its tokens).
    pub tokens: Arc<oauth::TokenService>,
    /// Changes made by other processes and instances (`None` in admin commands, which only publish).
    pub changes: Option<Arc<changes::Changes>>,
    /// The data directory (the SQLite file, search indexes).
    pub data_dir: PathBuf,
    /// The process logger.
    pub log: Logger,
}

/// Migrations of the platform's own tables, applied before any surface's.
pub fn migrations() -> Vec<Migration> {
    [
        &changes::MIGRATIONS[..],
        &credentials::MIGRATIONS[..],
        &oauth::MIGRATIONS[..],
    ]
    .concat()
}
