//! Spawning the real `quartet` binary for a test: a fresh data directory, free
//! loopback ports, fixtures created with `quartet admin`, and a clean stop.
//!
//! Storage follows the environment: by default each data directory holds its own
//! SQLite database; with `QUARTET_TEST_POSTGRES=postgres://…` (a server the tests
//! may create databases on) each data directory gets a fresh PostgreSQL database
//! instead, so every test and the whole conformance run also pass on PostgreSQL.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `quartet serve` process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT` of the first surface it serves.
    pub base_url: String,
    /// The base URL of every surface it serves, by name.
    pub urls: BTreeMap<String, String>,
}

impl ServerProcess {
    /// Starts `bin serve --surface SURFACE --port SURFACE=0 ARGS…` on `data_dir`
    /// and waits until it says where it listens. Its logs go to
    /// `data_dir/<surface>-<n>.log`.
    pub async fn spawn(
        bin: &Path,
        data_dir: &Path,
        surface: &str,
        args: &[String],
    ) -> Result<Self> {
        Self::spawn_many(bin, data_dir, &[surface], args).await
    }

    /// Starts one process serving every surface in `surfaces`, each on a free port.
    pub async fn spawn_many(
        bin: &Path,
        data_dir: &Path,
        surfaces: &[&str],
        args: &[String],
    ) -> Result<Self> {
        let label = surfaces.join("+");
        let log_path = next_log(data_dir, &label);
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let database = database_args(data_dir, args).await?;
        let mut command = Command::new(bin);
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(&database)
            .arg("serve");
        for surface in surfaces {
            command.args(["--surface", surface, "--port", &format!("{surface}=0")]);
        }
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            let mut urls = BTreeMap::new();
            while urls.len() < surfaces.len() {
                let Some(line) = lines.next_line().await? else {
                    break;
                };
                let announced = line
                    .strip_prefix("quartet: ")
                    .and_then(|rest| rest.split_once(" listening on "));
                if let Some((name, url)) = announced {
                    urls.insert(name.to_owned(), url.trim().to_owned());
                }
            }
            Ok::<_, std::io::Error>(urls)
        })
        .await;
        match found {
            Ok(Ok(urls)) if urls.len() == surfaces.len() => {
                // Keep draining stdout so the server never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                Ok(Self {
                    child,
                    base_url: urls[surfaces[0]].clone(),
                    urls,
                })
            }
            _ => {
                let _ = child.kill().await;
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("{label} did not start; its log:\n{log}")
            }
        }
    }

    /// The base URL of `surface`.
    pub fn url(&self, surface: &str) -> &str {
        &self.urls[surface]
    }

    /// Kills the process at once (as a crash would) and waits for it.
    pub async fn kill(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

fn next_log(data_dir: &Path, surface: &str) -> PathBuf {
    (0..)
        .map(|n| data_dir.join(format!("{surface}-{n}.log")))
        .find(|p| !p.exists())
        .expect("some log name is free")
}

/// Runs `bin --data-dir DIR admin ARGS…` and returns its standard output.
pub async fn admin(bin: &Path, data_dir: &Path, args: &[&str]) -> Result<String> {
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let database = database_args(data_dir, &owned).await?;
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data_dir)
        .args(&database)
        .arg("admin")
        .args(args)
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "quartet admin {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The surfaces `bin` serves, as `quartet surfaces` lists them (the server's registry).
pub async fn served_surfaces(bin: &Path) -> Result<Vec<String>> {
    let out = Command::new(bin).arg("surfaces").output().await?;
    if !out.status.success() {
        bail!(
            "{} surfaces failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// A free loopback port with nothing listening on it (for "unreachable" targets).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binding loopback");
    l.local_addr().expect("bound").port()
}

/// The environment variable naming a PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "QUARTET_TEST_POSTGRES";

/// The PostgreSQL server tests may create databases on, if one is configured.
pub fn test_postgres() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
}

/// `--database-url` for a process on `data_dir`: none on SQLite, none when `args`
/// already choose a database, else the PostgreSQL database of this data directory.
/// Processes given one database explicitly (instances sharing it, from data
/// directories of their own) get one sealing key for it, as an operator gives
/// them, unless `args` name a key file.
async fn database_args(data_dir: &Path, args: &[String]) -> Result<Vec<String>> {
    if let Some(i) = args.iter().position(|a| a == "--database-url") {
        if args.iter().any(|a| a == "--secret-key-file") {
            return Ok(Vec::new());
        }
        let url = args.get(i + 1).context("--database-url without a URL")?;
        let key = shared_key_file(url)?;
        return Ok(vec!["--secret-key-file".into(), key.display().to_string()]);
    }
    Ok(match database_for(data_dir).await? {
        Some(url) => vec!["--database-url".into(), url],
        None => Vec::new(),
    })
}

/// The sealing key file (mode 0600) of the processes that share database `url`:
/// made on first use under the temporary directory, the same for every test
/// process that asks.
pub fn shared_key_file(url: &str) -> Result<PathBuf> {
    use std::hash::{Hash, Hasher};
    use std::io::Write as _;
    let digest = |salt: u64| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, url).hash(&mut h);
        h.finish()
    };
    let dir = std::env::temp_dir().join("quartet-test-keys");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:016x}.key", digest(0)));
    if path.exists() {
        return Ok(path);
    }
    let key: String = (1..=4).map(|i| format!("{:016x}", digest(i))).collect();
    let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
    writeln!(temp, "{key}")?;
    temp.as_file().sync_all()?;
    match temp.persist_noclobber(&path) {
        Ok(_) => Ok(path),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(path),
        Err(e) => Err(e.error.into()),
    }
}

/// The PostgreSQL database of processes on `data_dir` (created on first use), or
/// `None` on SQLite.
pub async fn database_for(data_dir: &Path) -> Result<Option<String>> {
    let Some(server) = test_postgres() else {
        return Ok(None);
    };
    let name = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        data_dir.hash(&mut h);
        format!("quartet_{:016x}", h.finish())
    };
    Ok(Some(create_database(&server, &name).await?))
}

/// Every row of every table of the database of `data_dir`, as text: the SQLite
/// file and its write-ahead log, or each PostgreSQL row rendered as text. For
/// tests that prove a secret is not stored in clear.
pub async fn stored_bytes(data_dir: &Path) -> Result<Vec<u8>> {
    let Some(url) = database_for(data_dir).await? else {
        let mut bytes = std::fs::read(data_dir.join("quartet.db"))?;
        bytes.extend(std::fs::read(data_dir.join("quartet.db-wal")).unwrap_or_default());
        return Ok(bytes);
    };
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(&url).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut bytes = Vec::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT t::text FROM \"{table}\" t"
        )))
        .fetch_all(&mut conn)
        .await?;
        for row in rows {
            bytes.extend(row.into_bytes());
        }
    }
    Ok(bytes)
}

/// A new, empty PostgreSQL database on the test server (`None` without one).
pub async fn fresh_database() -> Result<Option<String>> {
    let Some(server) = test_postgres() else {
        return Ok(None);
    };
    let name = format!("quartet_{}", uuid_like());
    Ok(Some(create_database(&server, &name).await?))
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// Creates database `name` on `server` unless it exists; returns its URL.
async fn create_database(server: &str, name: &str) -> Result<String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .with_context(|| format!("connecting to {POSTGRES_ENV}={server}"))?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await?;
    if exists.is_none() {
        let created = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await;
        match created {
            Ok(_) => {}
            // Another process made it first.
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42P04") | Some("23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let _ = conn.close().await;
    let mut url = url::Url::parse(server).context("parsing the PostgreSQL URL")?;
    url.set_path(name);
    Ok(url.to_string())
}
