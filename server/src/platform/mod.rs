//! What every surface stands on: storage (SQLite or PostgreSQL), bearer
//! parsing, secrets (hashed, or sealed at rest), hashed revocable credentials,
//! the OAuth token service, the mapping of internal failures, calls to
//! caller-chosen URLs, outgoing mail, and starting a dropshot server.

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
pub mod sealed;
pub mod sealing;
pub mod secret_key;
pub mod secrets;
pub mod special_addresses;
pub mod storage;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use slog::Logger;
use thiserror::Error;

pub use fault::Fault;
pub use sealed::Sealer;
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
    /// Seals the secrets the surfaces store and must read back.
    pub sealer: Sealer,
    /// Where the sealing key came from.
    pub key_source: secret_key::KeySource,
    /// The process logger.
    pub log: Logger,
}

/// What a platform is assembled from.
pub struct Options<'a> {
    /// The data directory.
    pub data_dir: &'a Path,
    /// A PostgreSQL URL instead of the SQLite file in `data_dir`.
    pub database_url: Option<&'a str>,
    /// The sealing key file (`--secret-key-file`); see [`secret_key::load`].
    pub secret_key_file: Option<&'a Path>,
    /// How tokens are issued.
    pub token_policy: oauth::TokenPolicy,
    /// Outgoing mail.
    pub mail: Arc<mail::Mailer>,
    /// The process logger.
    pub log: Logger,
}

/// Why a platform cannot be assembled.
#[derive(Debug, Error)]
pub enum OpenError {
    /// The database cannot be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The sealing key cannot be had.
    #[error(transparent)]
    Key(#[from] secret_key::KeySourceError),
    /// The mailer cannot be configured.
    #[error(transparent)]
    Mail(#[from] mail::MailError),
}

/// The token policy quartet serves with unless told otherwise.
pub fn default_token_policy() -> oauth::TokenPolicy {
    oauth::TokenPolicy {
        issuer: quartet_api::bitmind::DEFAULT_ISSUER.into(),
        default_audience: quartet_api::bitmind::DEFAULT_AUDIENCE.into(),
        lifetime_secs: quartet_api::bitmind::TOKEN_LIFETIME_SECS,
        leeway_secs: oauth::tokens::LEEWAY_SECS,
    }
}

impl Platform {
    /// The platform a library user embeds a surface in: the database in `data_dir`
    /// (or at `database_url`) with every migration of the registry, the sealing key
    /// from `QUARTET_SECRET_KEY` or the data directory, the token service with
    /// quartet's default policy, the change feed, and mail written to the mail
    /// folder of `data_dir`.
    pub async fn open(
        data_dir: &Path,
        database_url: Option<&str>,
        log: Logger,
    ) -> Result<Self, OpenError> {
        let mut platform = Self::assemble(Options {
            data_dir,
            database_url,
            secret_key_file: None,
            token_policy: default_token_policy(),
            mail: Arc::new(mail::Mailer::new(
                None,
                mail::DEFAULT_FROM,
                mail::DEFAULT_TIMEOUT,
                data_dir,
                log.clone(),
            )?),
            log: log.clone(),
        })
        .await?;
        platform.follow_changes(log);
        Ok(platform)
    }

    /// The platform without the change feed (what `quartet admin` needs): the
    /// sealing key, then the database (whose first use checks the key and seals
    /// rows left in clear), then the token service.
    pub async fn assemble(options: Options<'_>) -> Result<Self, OpenError> {
        let (key, key_source) = secret_key::load(options.secret_key_file, options.data_dir)?;
        let sealer = match key_source.path() {
            Some(path) => Sealer::with_lookup(&key, Arc::new(secret_key::FileLookup::new(path))),
            None => Sealer::new(&key),
        };
        let db = Db::connect_with(
            options.database_url,
            options.data_dir,
            crate::surfaces::migrations(),
            Some(sealing::after_migrate(
                sealer.clone(),
                key_source.clone(),
                crate::surfaces::sealed_columns(),
            )),
        )
        .await?;
        let tokens = oauth::TokenService::new(db.clone(), options.token_policy, sealer.clone());
        Ok(Self {
            db,
            tokens,
            changes: None,
            data_dir: options.data_dir.to_owned(),
            mail: options.mail,
            sealer,
            key_source,
            log: options.log,
        })
    }

    /// Starts following the change feed (a serving process): revoked clients and
    /// rotated signing and sealing keys are seen at once.
    pub fn follow_changes(&mut self, log: Logger) {
        let changes = changes::Changes::start(self.db.clone(), log.clone());
        self.tokens.follow(&changes);
        sealing::follow(&self.sealer, &self.key_source, &changes, log);
        self.changes = Some(changes);
    }
}

/// Migrations of the platform's own tables, applied before any surface's.
pub fn migrations() -> Vec<Migration> {
    [
        &changes::MIGRATIONS[..],
        &credentials::MIGRATIONS[..],
        &oauth::MIGRATIONS[..],
        &sealing::MIGRATIONS[..],
    ]
    .concat()
}
