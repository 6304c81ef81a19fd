//! The `command` trainer: runs the operator's program once per job.
//!
//! The program is started with `BITSTRIDE_JOB` (a JSON file: the job's id,
//! kind and spec), `BITSTRIDE_DATASET` (the JSONL training file) and
//! `BITSTRIDE_OUTPUT` (a directory for its artifact) in its environment, and
//! writes one JSON object per line on standard output:
//!
//! - `{"type":"log","level":"info","message":"…"}`
//! - `{"type":"metrics","step":3,"epoch":1,"train_loss":1.9}` (or `"reward"`)
//! - `{"type":"artifact","uri":"s3://…"}` or `{"type":"artifact","path":"model.bin"}`
//!   (a file in `BITSTRIDE_OUTPUT`, kept by this server)
//! - `{"type":"result","trained_tokens":12345}`
//! - `{"type":"error","code":"…","message":"…"}`
//!
//! Exit status 0 with an artifact is success; anything else fails the job
//! (with the last `error` line, or the exit status). Cancelling kills it.
//! Other lines are logged as they are.

use std::process::Stdio;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

use super::executor::{Artifact, Outcome, Reporter, TrainFailure};
use quartet_api::bitstride::{JobEventLevel, JobMetrics};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Log {
        #[serde(default)]
        level: Option<JobEventLevel>,
        message: String,
    },
    Metrics(JobMetrics),
    Artifact {
        #[serde(default)]
        uri: Option<String>,
        #[serde(default)]
        path: Option<String>,
    },
    Result {
        #[serde(default)]
        trained_tokens: Option<i64>,
    },
    Error {
        code: String,
        message: String,
    },
}

/// Runs `program` for one job.
pub async fn run(
    program: &str,
    job: &serde_json::Value,
    dataset: &[u8],
    reporter: &Reporter,
    mut cancel: watch::Receiver<bool>,
) -> Result<Outcome, TrainFailure> {
    let fail = |code: &str, message: String| TrainFailure {
        code: code.to_owned(),
        message,
    };
    let dir = tempfile::tempdir().map_err(|e| fail("trainer_setup", e.to_string()))?;
    let job_path = dir.path().join("job.json");
    let data_path = dir.path().join("dataset.jsonl");
    let out_dir = dir.path().join("output");
    std::fs::create_dir_all(&out_dir).map_err(|e| fail("trainer_setup", e.to_string()))?;
    std::fs::write(&job_path, job.to_string()).map_err(|e| fail("trainer_setup", e.to_string()))?;
    std::fs::write(&data_path, dataset).map_err(|e| fail("trainer_setup", e.to_string()))?;
    let mut parts = program.split_whitespace();
    let exe = parts
        .next()
        .ok_or_else(|| fail("trainer_setup", "empty trainer command".into()))?;
    let mut child = tokio::process::Command::new(exe)
        .args(parts)
        .env("BITSTRIDE_JOB", &job_path)
        .env("BITSTRIDE_DATASET", &data_path)
        .env("BITSTRIDE_OUTPUT", &out_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail("trainer_not_started", format!("starting {exe}: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let (mut artifact, mut tokens, mut error) = (None, None, None);
    loop {
        tokio::select! {
            changed = cancel.changed() => {
                if changed.is_err() || *cancel.borrow() {
                    let _ = child.kill().await;
                    return Err(fail("cancelled", "the job was cancelled".into()));
                }
            }
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { break };
                match serde_json::from_str::<Line>(&line) {
                    Ok(Line::Log { level, message }) => {
                        reporter.log(level.unwrap_or(JobEventLevel::Info), &message).await
                    }
                    Ok(Line::Metrics(m)) => reporter.metrics(&m).await,
                    Ok(Line::Artifact { uri, path }) => {
                        artifact = match (uri, path) {
                            (Some(u), _) => Some(Artifact::Uri(u)),
                            (None, Some(p)) => {
                                let file = out_dir.join(p);
                                let inside = file.canonicalize().ok().filter(|f| {
                                    out_dir.canonicalize().is_ok_and(|o| f.starts_with(o))
                                });
                                match inside.and_then(|f| std::fs::read(f).ok()) {
                                    Some(bytes) => Some(Artifact::Bytes(bytes)),
                                    None => {
                                        error = Some(fail("bad_artifact", "the artifact path is not a file in BITSTRIDE_OUTPUT".into()));
                                        None
                                    }
                                }
                            }
                            (None, None) => None,
                        };
                    }
                    Ok(Line::Result { trained_tokens }) => tokens = trained_tokens,
                    Ok(Line::Error { code, message }) => error = Some(fail(&code, message)),
                    Err(_) => reporter.log(JobEventLevel::Info, &line).await,
                }
            }
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| fail("trainer_crashed", e.to_string()))?;
    if let Some(e) = error {
        return Err(e);
    }
    if !status.success() {
        return Err(fail(
            "trainer_failed",
            format!("the trainer exited with {status}"),
        ));
    }
    let artifact =
        artifact.ok_or_else(|| fail("no_artifact", "the trainer reported no artifact".into()))?;
    Ok(Outcome {
        artifact,
        // The operator's program counts its own tokens; a negative figure is never billed.
        trained_tokens: tokens.unwrap_or(0).max(0),
    })
}
