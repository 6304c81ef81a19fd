//! `quartet admin secrets …`: the key secrets are sealed under at rest.
//!
//! `rotate` stages the new key beside the key file (`PATH.new`), re-seals every
//! sealed value and the check value under it in one transaction (announcing the
//! new key id on the change feed), renames the staged file over the old one, and
//! finally re-seals what a serving process sealed under the old key before it
//! heard of the new one. A crash before the commit leaves the old key in force; a
//! crash after it leaves the new key in `PATH.new`, where serving processes and
//! the next start find it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::Subcommand;
use quartet_server::platform::sealed::SecretKey;
use quartet_server::platform::{sealing, secret_key, Platform};
use quartet_server::surfaces;

/// How long serving processes are given to hear of a rotation before the last
/// sweep (they hear within the change feed's poll interval).
const SWEEP_AFTER: Duration = Duration::from_secs(2);

/// `quartet admin secrets …`.
#[derive(Subcommand)]
pub enum Command {
    /// Re-seal every sealed secret under a new key, and make it the key.
    Rotate {
        /// The new key (64 hex characters, mode 0600); by default one is generated.
        /// Required when the current key comes from QUARTET_SECRET_KEY.
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
    /// Print the id of the key in force (not the key).
    Show,
}

/// Runs one `secrets` command.
pub async fn run(platform: Platform, command: Command) -> Result<()> {
    // Opening the database checks that it is sealed under the current key.
    platform.db.ping().await.context("checking the database")?;
    match command {
        Command::Show => {
            println!("key_id  {}", platform.sealer.current_id());
            println!("source  {}", platform.key_source);
        }
        Command::Rotate { new_key_file } => rotate(&platform, new_key_file).await?,
    }
    Ok(())
}

async fn rotate(platform: &Platform, new_key_file: Option<PathBuf>) -> Result<()> {
    let new = match &new_key_file {
        Some(path) => secret_key::read_file(path)?,
        None => SecretKey::generate(),
    };
    let old_id = platform.sealer.current_id();
    if new.id() == old_id {
        bail!("the new key is the key in force ({old_id})");
    }
    let path = platform.key_source.path().map(ToOwned::to_owned);
    let staged = match &path {
        Some(path) => Some(secret_key::stage(path, &new)?),
        None if new_key_file.is_none() => bail!(
            "the key comes from {}, which this command cannot change: write a new key to a \
             file (openssl rand -hex 32 > new.key; chmod 600 new.key) and pass --new-key-file",
            secret_key::KEY_ENV
        ),
        None => None,
    };
    let columns = surfaces::sealed_columns();
    let done = sealing::rotate(&platform.db, &platform.sealer, &new, &columns)
        .await
        .context("re-sealing under the new key (nothing was changed)")?;
    if let Some(path) = &path {
        secret_key::commit_staged(path).with_context(|| {
            format!(
                "the database is sealed under the new key, which is in {}: move it to {}",
                staged.as_deref().unwrap_or(path).display(),
                path.display()
            )
        })?;
    }
    platform.sealer.adopt(&new);
    tokio::time::sleep(SWEEP_AFTER).await;
    let swept = sealing::sweep(&platform.db, &platform.sealer, &columns).await?;
    // The values sealed under the old key must not stay in the SQLite log.
    platform.db.checkpoint().await;
    println!("old_key_id  {old_id}");
    println!("new_key_id  {}", new.id());
    println!("resealed    {}", done.total() + swept.total());
    match &path {
        Some(path) => println!("key_file    {}", path.display()),
        None => eprintln!(
            "set {} to the new key and restart every instance: running servers cannot \
             re-read the environment",
            secret_key::KEY_ENV
        ),
    }
    Ok(())
}
