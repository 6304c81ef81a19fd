//! Where the sealing key comes from: `QUARTET_SECRET_KEY` (64 hex characters),
//! `--secret-key-file PATH` (a file holding the same), or else a key generated
//! on first start into `DATA_DIR/secret.key`. A key file must be readable by its
//! owner only (mode 0600 or stricter): a looser one is refused, as the key opens
//! every sealed secret.
//!
//! Rotation stages the new key beside the file (`PATH.new`), re-seals the
//! database, then renames the staged file over the old one; a serving process
//! that is told of a new key id looks in both places ([`FileLookup`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::sealed::{KeyError, KeyLookup, SecretKey};

/// The environment variable holding the key itself.
pub const KEY_ENV: &str = "QUARTET_SECRET_KEY";

/// The name of the key generated into the data directory.
pub const GENERATED_NAME: &str = "secret.key";

/// Where this process's key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The `QUARTET_SECRET_KEY` environment variable.
    Env,
    /// A file named with `--secret-key-file`.
    File(PathBuf),
    /// The key generated into the data directory (made now, or on an earlier start).
    Generated(PathBuf),
}

impl KeySource {
    /// The key file, unless the key came from the environment.
    pub fn path(&self) -> Option<&Path> {
        match self {
            KeySource::Env => None,
            KeySource::File(p) | KeySource::Generated(p) => Some(p),
        }
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env => write!(f, "{KEY_ENV}"),
            KeySource::File(p) => write!(f, "--secret-key-file {}", p.display()),
            KeySource::Generated(p) => write!(f, "the generated key {}", p.display()),
        }
    }
}

/// Why the key cannot be had.
#[derive(Debug, Error)]
pub enum KeySourceError {
    /// Both the environment variable and a key file were given.
    #[error("give the secret key either in {KEY_ENV} or with --secret-key-file, not both")]
    Both,
    /// A key file cannot be read or written.
    #[error("secret key file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The key is not 64 hex characters.
    #[error("{what}: {source}")]
    Format {
        /// Where the key was read from.
        what: String,
        /// What is wrong with it.
        source: KeyError,
    },
    /// Others than the owner may read the key file.
    #[error(
        "secret key file {} has mode {mode:o}: others than its owner can read it; chmod 600 it",
        path.display()
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeySourceError + '_ {
    move |source| KeySourceError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The key of this process: `QUARTET_SECRET_KEY`, else `file`, else the key in
/// `data_dir` (generated there, mode 0600, if there is none yet).
pub fn load(
    file: Option<&Path>,
    data_dir: &Path,
) -> Result<(SecretKey, KeySource), KeySourceError> {
    let env = std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty());
    match (env, file) {
        (Some(_), Some(_)) => Err(KeySourceError::Both),
        (Some(text), None) => Ok((
            SecretKey::from_text(&text).map_err(|source| KeySourceError::Format {
                what: KEY_ENV.into(),
                source,
            })?,
            KeySource::Env,
        )),
        (None, Some(path)) => Ok((read_file(path)?, KeySource::File(path.to_owned()))),
        (None, None) => {
            let path = data_dir.join(GENERATED_NAME);
            Ok((generated(&path, data_dir)?, KeySource::Generated(path)))
        }
    }
}

/// The key in `path`, made first if the file does not exist. Two processes
/// starting together agree: the file appears whole or not at all, and only once.
fn generated(path: &Path, data_dir: &Path) -> Result<SecretKey, KeySourceError> {
    if path.exists() {
        return read_file(path);
    }
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    let key = SecretKey::generate();
    match write_new(path, &key) {
        Ok(()) => Ok(key),
        Err(KeySourceError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            read_file(path)
        }
        Err(e) => Err(e),
    }
}

/// Reads a key file, refusing one that others than its owner may read.
pub fn read_file(path: &Path) -> Result<SecretKey, KeySourceError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeySourceError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    SecretKey::from_text(&text).map_err(|source| KeySourceError::Format {
        what: path.display().to_string(),
        source,
    })
}

/// Writes `key` to `path`, mode 0600, atomically and only if `path` does not
/// exist (an `AlreadyExists` error otherwise).
pub fn write_new(path: &Path, key: &SecretKey) -> Result<(), KeySourceError> {
    let temp = temp_with(path, key)?;
    temp.persist_noclobber(path)
        .map_err(|e| KeySourceError::Io {
            path: path.to_owned(),
            source: e.error,
        })?;
    sync_dir(path);
    Ok(())
}

/// A temporary file (mode 0600) beside `path` holding `key`, flushed to disk.
fn temp_with(path: &Path, key: &SecretKey) -> Result<tempfile::NamedTempFile, KeySourceError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".secret-key-")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    temp.write_all(key.to_text().as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(io(temp.path()))?;
    Ok(temp)
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Where rotation stages the new key of key file `path`: `PATH.new`.
pub fn staged_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Writes `key` to [`staged_path`] of `path`, replacing a stale one.
pub fn stage(path: &Path, key: &SecretKey) -> Result<PathBuf, KeySourceError> {
    let staged = staged_path(path);
    let temp = temp_with(&staged, key)?;
    temp.persist(&staged).map_err(|e| KeySourceError::Io {
        path: staged.clone(),
        source: e.error,
    })?;
    sync_dir(&staged);
    Ok(staged)
}

/// Moves the staged key over `path` (atomically: readers see the old key or the new).
pub fn commit_staged(path: &Path) -> Result<(), KeySourceError> {
    let staged = staged_path(path);
    std::fs::rename(&staged, path).map_err(io(&staged))?;
    sync_dir(path);
    Ok(())
}

/// Finds a key by id in a key file or the key staged beside it by a rotation.
pub struct FileLookup {
    path: PathBuf,
}

impl FileLookup {
    /// Looks in `path` and `path.new`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }
}

impl KeyLookup for FileLookup {
    fn find(&self, id: &str) -> Option<SecretKey> {
        [self.path.clone(), staged_path(&self.path)]
            .iter()
            .filter_map(|p| read_file(p).ok())
            .find(|k| k.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (key, source) = load(None, dir.path()).unwrap();
        let path = dir.path().join(GENERATED_NAME);
        assert_eq!(source, KeySource::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            assert!(matches!(
                load(None, dir.path()),
                Err(KeySourceError::Permissions { mode: 0o640, .. })
            ));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(load(None, dir.path()).unwrap().0.id(), key.id());
        assert!(matches!(
            write_new(&path, &SecretKey::generate()),
            Err(KeySourceError::Io { .. })
        ));
    }

    #[test]
    fn a_staged_key_is_found_then_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let (old, new) = (SecretKey::generate(), SecretKey::generate());
        write_new(&path, &old).unwrap();
        let lookup = FileLookup::new(&path);
        assert!(lookup.find(&new.id()).is_none());
        stage(&path, &new).unwrap();
        assert_eq!(lookup.find(&new.id()).unwrap().id(), new.id());
        assert_eq!(lookup.find(&old.id()).unwrap().id(), old.id());
        commit_staged(&path).unwrap();
        assert_eq!(read_file(&path).unwrap().id(), new.id());
        assert!(!staged_path(&path).exists());
    }
}
