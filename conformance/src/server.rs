//! Spawning the real `quartet` binary for a test: a fresh data directory, free
//! loopback ports, fixtures created with `quartet admin`, and a clean stop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `quartet serve` process serving one surface; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT` of the surface.
    pub base_url: String,
}

impl ServerProcess {
    /// Starts `bin serve --surface SURFACE --SURFACE-port 0 ARGS…` on `data_dir`
    /// and waits until it says where it listens. Its logs go to
    /// `data_dir/<surface>-<n>.log`.
    pub async fn spawn(
        bin: &Path,
        data_dir: &Path,
        surface: &str,
        args: &[String],
    ) -> Result<Self> {
        let log_path = next_log(data_dir, surface);
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("serve")
            .args(["--surface", surface, "--port", &format!("{surface}=0")])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let wanted = format!("quartet: {surface} listening on ");
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix(&wanted) {
                    return Ok::<_, std::io::Error>(Some(url.trim().to_owned()));
                }
            }
            Ok(None)
        })
        .await;
        match found {
            Ok(Ok(Some(base_url))) => {
                // Keep draining stdout so the server never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                Ok(Self { child, base_url })
            }
            _ => {
                let _ = child.kill().await;
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("{surface} did not start; its log:\n{log}")
            }
        }
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
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data_dir)
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

/// A free loopback port with nothing listening on it (for "unreachable" targets).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binding loopback");
    l.local_addr().expect("bound").port()
}
