//! What every surface stands on: storage (SQLite or PostgreSQL), bearer
//! parsing, secrets, hashed revocable credentials, the OAuth token service,
//! the mapping of internal failures, calls to caller-chosen URLs, outgoing
//! mail, and starting a dropshot server.

pub mod bearer;
pub mod cache;
pub mod cached_credentials;
pub mod changes;
pub mod credentials;
pub mod fault;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod oauth;
pub mod outbound;
pub mod secrets;
pub mod special_addresses;
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
    /// The data directory (the SQLite file, search indexes, the mail folder).
    pub data_dir: PathBuf,
    /// Outgoing mail (SMTP, or the mail folder when no relay is configured).
    pub mail: Arc<mail::Mailer>,
    /// The process logger.
    pub log: Logger,
}

impl Platform {
    /// The platform a library user embeds a surface in: the database in `data_dir`
    /// (or at `database_url`) with every migration of the registry, the token service
    /// with quartet's default policy, the change feed, and mail written to the
    /// mail folder of `data_dir`.
    pub async fn open(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        log: Logger,
    ) -> Result<Self, DbError> {
        let db = Db::connect(database_url, data_dir, crate::surfaces::migrations()).await?;
        let tokens = oauth::TokenService::new(
            db.clone(),
            oauth::TokenPolicy {
                issuer: quartet_api::bitmind::DEFAULT_ISSUER.into(),
                default_audience: quartet_api::bitmind::DEFAULT_AUDIENCE.into(),
                lifetime_secs: quartet_api::bitmind::TOKEN_LIFETIME_SECS,
                leeway_secs: oauth::tokens::LEEWAY_SECS,
            },
        );
        let changes = changes::Changes::start(db.clone(), log.clone());
        tokens.follow(&changes);
        let mail = mail::Mailer::new(
            None,
            mail::DEFAULT_FROM,
            mail::DEFAULT_TIMEOUT,
            data_dir,
            log.clone(),
        )
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
        Ok(Self {
            db,
            tokens,
            changes: Some(changes),
            data_dir: data_dir.to_owned(),
            mail: Arc::new(mail),
            log,
        })
    }
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
