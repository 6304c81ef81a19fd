//! Runs queued jobs: claims rows (one instance per job, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), hands them to the trainer, records events and
//! metrics, heartbeats, and writes the outcome. A cancel (on any instance)
//! reaches the running job through the change feed and stops its trainer.
//!
//! Jobs whose worker vanished (a crash, a restart: no heartbeat for
//! [`STALE_SECS`]) are put back in the queue and start again from the
//! beginning, up to [`MAX_ATTEMPTS`] runs; then they fail with `worker_lost`.

use std::sync::Arc;
use std::time::Duration;

use quartet_api::bitstride::{
    DatasetRowFormat, JobEventLevel, JobMetrics, ModelSource, RewardType, RlJobCreate,
};
use serde_json::Value;
use tokio::sync::{watch, Notify};

use super::reference::{self, Model, Prompt, Reward};
use super::{record_event, trainer_name, FineTuningSpec, JobRow, Kind, CHANNEL};
use crate::bitstride::config::TrainerKind;
use crate::bitstride::datasets::validate::{lines, training_text};
use crate::bitstride::models::{self, NewModel};
use crate::bitstride::store::new_id;
use crate::bitstride::{billing, Bitstride};
use crate::platform::changes::Changes;
use crate::platform::storage::now;
use crate::platform::DbError;

/// Seconds without a heartbeat after which a running job's worker counts as gone.
pub const STALE_SECS: i64 = 15;
/// Runs a job gets before it fails with `worker_lost`.
pub const MAX_ATTEMPTS: i64 = 3;
/// Seed of reference training (jobs are reproducible).
pub const SEED: u64 = 0x5eed;

/// Where a trainer's weights ended up.
pub enum Artifact {
    /// Bytes this server keeps.
    Bytes(Vec<u8>),
    /// A location elsewhere.
    Uri(String),
}

/// A successful run.
pub struct Outcome {
    /// The weights.
    pub artifact: Artifact,
    /// Tokens trained on.
    pub trained_tokens: i64,
}

/// A failed run.
#[derive(Debug)]
pub struct TrainFailure {
    /// Short reason.
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// Records a running job's events.
pub struct Reporter {
    ctx: Arc<Bitstride>,
    job_id: String,
}

impl Reporter {
    /// A log line.
    pub async fn log(&self, level: JobEventLevel, message: &str) {
        let _ = self
            .ctx
            .jobs
            .event(&self.job_id, level, message, None)
            .await;
    }

    /// A step's metrics.
    pub async fn metrics(&self, m: &JobMetrics) {
        let text = match (m.train_loss, m.reward) {
            (Some(l), _) => format!("step {}: train loss {l:.4}", m.step),
            (None, Some(r)) => format!("step {}: mean reward {r:.3}", m.step),
            _ => format!("step {}", m.step),
        };
        let _ = self
            .ctx
            .jobs
            .event(&self.job_id, JobEventLevel::Info, &text, Some(m))
            .await;
    }
}

/// Starts the workers and the reaper of this process.
pub fn start(ctx: Arc<Bitstride>, changes: Option<Arc<Changes>>) {
    let wake = Arc::new(Notify::new());
    let (cancel_tx, _) = tokio::sync::broadcast::channel::<String>(256);
    if let Some(changes) = changes {
        let mut rx = changes.subscribe();
        let (wake, cancel_tx) = (wake.clone(), cancel_tx.clone());
        tokio::spawn(async move {
            while let Ok(change) = rx.recv().await {
                if change.channel == CHANNEL {
                    if let Some(id) = change.payload.strip_prefix("cancel ") {
                        let _ = cancel_tx.send(id.to_owned());
                    } else if change.payload.starts_with("org-deleted ") {
                        let _ = cancel_tx.send(String::new());
                    } else {
                        wake.notify_waiters();
                    }
                }
            }
        });
    }
    let instance = new_id("worker");
    let workers = if ctx.config.bitstride_trainer == TrainerKind::None {
        0
    } else {
        ctx.config.bitstride_job_workers
    };
    for n in 0..workers {
        let worker = Worker {
            ctx: ctx.clone(),
            name: format!("{instance}-{n}"),
            wake: wake.clone(),
            cancels: cancel_tx.clone(),
        };
        tokio::spawn(worker.run());
    }
    tokio::spawn(reap(ctx));
}

/// Puts jobs of vanished workers back in the queue, or fails them.
async fn reap(ctx: Arc<Bitstride>) {
    loop {
        let stale = now() - STALE_SECS;
        if let Ok(mut conn) = ctx.db.conn().await {
            let _ = sqlx::query(
                "UPDATE bitstride_jobs SET status = 'failed', finished_at = $1,
                     error_code = 'worker_lost',
                     error_message = 'the worker running the job stopped and it ran out of attempts'
                 WHERE status = 'running' AND heartbeat_at < $2 AND attempts >= $3",
            )
            .bind(now())
            .bind(stale)
            .bind(MAX_ATTEMPTS)
            .execute(&mut *conn)
            .await;
            let requeued = sqlx::query(
                "UPDATE bitstride_jobs SET status = 'queued', claimed_by = NULL
                 WHERE status = 'running' AND heartbeat_at < $1 AND attempts < $2",
            )
            .bind(stale)
            .bind(MAX_ATTEMPTS)
            .execute(&mut *conn)
            .await;
            if requeued.is_ok_and(|r| r.rows_affected() > 0) {
                let _ = crate::platform::changes::publish(
                    &mut conn,
                    ctx.db.backend(),
                    CHANNEL,
                    "queued",
                )
                .await;
            }
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

struct Worker {
    ctx: Arc<Bitstride>,
    name: String,
    wake: Arc<Notify>,
    cancels: tokio::sync::broadcast::Sender<String>,
}

impl Worker {
    async fn run(self) {
        loop {
            let notified = self.wake.notified();
            match self.claim().await {
                Ok(Some(job)) => {
                    self.execute(job).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    if !e.is_unavailable() {
                        slog::warn!(self.ctx.log, "claiming a job failed"; "error" => %e);
                    }
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), notified).await;
        }
    }

    /// Takes the oldest queued job of this trainer, if any.
    async fn claim(&self) -> Result<Option<JobRow>, DbError> {
        let trainer = trainer_name(self.ctx.config.bitstride_trainer);
        let mut tx = self.ctx.db.begin().await?;
        let lock = self.ctx.db.backend().skip_locked();
        let id: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM bitstride_jobs WHERE status = 'queued' AND trainer = $1
             ORDER BY ord LIMIT 1{lock}"
        )))
        .bind(trainer)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        let now = now();
        let attempt: Option<i64> = sqlx::query_scalar(
            "UPDATE bitstride_jobs SET status = 'running', claimed_by = $1, heartbeat_at = $2,
                 started_at = COALESCE(started_at, $2), attempts = attempts + 1
             WHERE id = $3 AND status = 'queued' RETURNING attempts",
        )
        .bind(&self.name)
        .bind(now)
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(attempt) = attempt else {
            return Ok(None);
        };
        // The start is recorded with the claim: whoever sees the job running
        // sees this run's start among its events, even if the worker dies now.
        record_event(
            &mut tx,
            &id,
            JobEventLevel::Info,
            &format!("started by {} (attempt {attempt})", self.name),
            None,
        )
        .await?;
        tx.commit().await?;
        self.ctx.jobs.get(None, &id).await
    }

    async fn execute(&self, job: JobRow) {
        let reporter = Reporter {
            ctx: self.ctx.clone(),
            job_id: job.id.clone(),
        };
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let watcher = self.watch(job.id.clone(), cancel_tx);
        let outcome = self.train(&job, &reporter, cancel_rx).await;
        watcher.abort();
        let result = match outcome {
            Ok(o) => self.succeed(&job, o).await,
            Err(f) if f.code == "cancelled" => {
                reporter
                    .log(JobEventLevel::Warn, "cancelled; the trainer was stopped")
                    .await;
                Ok(())
            }
            Err(f) => {
                reporter
                    .log(JobEventLevel::Error, &format!("failed: {}", f.message))
                    .await;
                self.fail(&job.id, &f).await
            }
        };
        if let Err(e) = result {
            slog::warn!(self.ctx.log, "recording a job outcome failed"; "job" => &job.id, "error" => %e);
        }
    }

    /// Heartbeats, and flips `cancel` when the job is cancelled or disappears.
    fn watch(&self, id: String, cancel: watch::Sender<bool>) -> tokio::task::JoinHandle<()> {
        let ctx = self.ctx.clone();
        let mut cancels = self.cancels.subscribe();
        tokio::spawn(async move {
            loop {
                // The heartbeat touches no row once the job stopped running (or is gone).
                let running: Result<bool, DbError> = async {
                    let beat = sqlx::query(
                        "UPDATE bitstride_jobs SET heartbeat_at = $1 WHERE id = $2 AND status = 'running'",
                    )
                    .bind(now())
                    .bind(&id)
                    .execute(&mut *ctx.db.conn().await?)
                    .await?;
                    Ok(beat.rows_affected() > 0)
                }
                .await;
                if let Ok(false) = running {
                    let _ = cancel.send(true);
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    got = cancels.recv() => {
                        if let Ok(target) = got {
                            if !target.is_empty() && target != id {
                                continue;
                            }
                        }
                    }
                }
            }
        })
    }

    async fn train(
        &self,
        job: &JobRow,
        reporter: &Reporter,
        cancel: watch::Receiver<bool>,
    ) -> Result<Outcome, TrainFailure> {
        let fail = |code: &str, message: &str| TrainFailure {
            code: code.into(),
            message: message.into(),
        };
        let dataset_id = match job.kind {
            Kind::FineTuning => job.spec.get("training_dataset_id"),
            Kind::Rl => job.spec.get("dataset_id"),
        }
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
        let dataset = crate::bitstride::datasets::get(&self.ctx.db, &job.org_id, &dataset_id)
            .await
            .map_err(|e| fail("storage", &e.to_string()))?
            .ok_or_else(|| fail("dataset_missing", "the training dataset was deleted"))?;
        let data = crate::bitstride::datasets::file(&self.ctx.db, &job.org_id, &dataset_id)
            .await
            .map_err(|e| fail("storage", &e.to_string()))?
            .ok_or_else(|| fail("dataset_missing", "the training dataset has no file"))?;
        match self.ctx.config.bitstride_trainer {
            TrainerKind::Command => {
                let program = self
                    .ctx
                    .config
                    .bitstride_trainer_command
                    .clone()
                    .unwrap_or_default();
                let spec = serde_json::json!({"id": job.id, "kind": job.kind, "spec": job.spec});
                super::command::run(&program, &spec, &data, reporter, cancel).await
            }
            TrainerKind::Reference => {
                self.reference(job, dataset.row_format, &data, reporter, cancel)
                    .await
            }
            TrainerKind::None => Err(fail("no_trainer", "this server has no trainer")),
        }
    }

    async fn reference(
        &self,
        job: &JobRow,
        format: DatasetRowFormat,
        data: &[u8],
        reporter: &Reporter,
        cancel: watch::Receiver<bool>,
    ) -> Result<Outcome, TrainFailure> {
        let fail = |code: &str, message: String| TrainFailure {
            code: code.into(),
            message,
        };
        let rows: Vec<Value> = lines(data)
            .filter_map(|(_, l)| serde_json::from_slice(l).ok())
            .collect();
        let base = job
            .spec
            .get("base_model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let texts: Vec<Vec<u8>> = rows
            .iter()
            .map(|r| training_text(format, r).into_bytes())
            .collect();
        let start_model = if base == reference::BASE_MODEL {
            Model::untrained(&texts)
        } else {
            let bytes = load_blob(&self.ctx, &job.org_id, base)
                .await
                .ok_or_else(|| fail("base_model_missing", format!("no weights for {base}")))?;
            serde_json::from_slice::<Model>(&bytes)
                .map_err(|e| fail("base_model_corrupt", e.to_string()))?
                .extended(&texts)
        };
        let (step_tx, mut step_rx) = tokio::sync::mpsc::unbounded_channel();
        let kind = job.kind;
        let spec = job.spec.clone();
        let training = tokio::task::spawn_blocking(move || {
            let mut model = start_model;
            let on_step = |s: reference::Step| {
                let _ = step_tx.send(s);
                !*cancel.borrow()
            };
            let tokens = match kind {
                Kind::FineTuning => {
                    let spec: FineTuningSpec =
                        serde_json::from_value(spec).map_err(|e| e.to_string())?;
                    let h = spec.hyperparameters;
                    reference::fine_tune(
                        &mut model,
                        &texts,
                        h.n_epochs.unwrap_or(3),
                        h.batch_size.unwrap_or(8) as usize,
                        reference::BASE_LEARNING_RATE * h.learning_rate_multiplier.unwrap_or(1.0),
                        SEED,
                        on_step,
                    )
                }
                Kind::Rl => {
                    let spec: RlJobCreate =
                        serde_json::from_value(spec).map_err(|e| e.to_string())?;
                    let reward = reward(&spec)?;
                    let prompts: Vec<Prompt> = rows
                        .iter()
                        .map(|r| Prompt {
                            prompt: r
                                .get("prompt")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .as_bytes()
                                .to_vec(),
                            answer: r.get("answer").and_then(Value::as_str).map(str::to_owned),
                        })
                        .collect();
                    let mut all = texts.clone();
                    all.extend(
                        prompts
                            .iter()
                            .filter_map(|p| p.answer.clone().map(String::into_bytes)),
                    );
                    model = model.extended(&all);
                    let h =
                        spec.hyperparameters
                            .unwrap_or(quartet_api::bitstride::RlHyperparameters {
                                unknown: Default::default(),
                                n_epochs: None,
                                batch_size: None,
                                learning_rate: None,
                                group_size: None,
                            });
                    // The reference policy is tiny: its step size is the job's learning
                    // rate scaled so that the documented default (1e-6) moves it.
                    let lr = h.learning_rate.unwrap_or(1e-6) * 1e6;
                    reference::reinforce(
                        &mut model,
                        &prompts,
                        &reward,
                        h.n_epochs.unwrap_or(1),
                        h.batch_size.unwrap_or(16) as usize,
                        h.group_size.unwrap_or(8) as usize,
                        lr,
                        SEED,
                        on_step,
                    )
                }
            };
            Ok::<_, String>((model, tokens))
        });
        let cancelled = {
            let mut epoch_seen = 0;
            while let Some(s) = step_rx.recv().await {
                if s.epoch != epoch_seen {
                    epoch_seen = s.epoch;
                    reporter
                        .log(JobEventLevel::Info, &format!("epoch {} started", s.epoch))
                        .await;
                }
                let metrics = JobMetrics {
                    step: s.step,
                    epoch: Some(s.epoch),
                    train_loss: (kind == Kind::FineTuning).then_some(s.value),
                    reward: (kind == Kind::Rl).then_some(s.value),
                };
                reporter.metrics(&metrics).await;
            }
            false
        };
        let (model, tokens) = training
            .await
            .map_err(|e| fail("trainer_crashed", e.to_string()))?
            .map_err(|e| fail("invalid_spec", e))?;
        let _ = cancelled;
        if self.is_cancelled(&job.id).await {
            return Err(fail("cancelled", "the job was cancelled".into()));
        }
        let bytes =
            serde_json::to_vec(&model).map_err(|e| fail("trainer_crashed", e.to_string()))?;
        Ok(Outcome {
            artifact: Artifact::Bytes(bytes),
            trained_tokens: tokens,
        })
    }

    async fn is_cancelled(&self, id: &str) -> bool {
        matches!(self.ctx.jobs.get(None, id).await, Ok(Some(j)) if j.status != quartet_api::bitstride::JobStatus::Running)
    }

    async fn succeed(&self, job: &JobRow, outcome: Outcome) -> Result<(), DbError> {
        let model_id = new_id("model");
        let base = job
            .spec
            .get("base_model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let suffix = job.spec.get("suffix").and_then(Value::as_str);
        let dataset_id = job
            .spec
            .get("training_dataset_id")
            .or_else(|| job.spec.get("dataset_id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let name = match suffix {
            Some(s) => format!("{base}:{s}"),
            None => format!("{base}:{}", job.id),
        };
        let mut tx = self.ctx.db.begin().await?;
        let finished = sqlx::query(
            "UPDATE bitstride_jobs SET status = 'succeeded', result_model = $1, trained_tokens = $2,
                 finished_at = $3
             WHERE id = $4 AND status = 'running'",
        )
        .bind(&model_id)
        .bind(outcome.trained_tokens)
        .bind(now())
        .bind(&job.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if finished == 0 {
            // Cancelled (or its organization deleted) meanwhile: nothing to record.
            return Ok(());
        }
        let artifact_uri = match outcome.artifact {
            Artifact::Uri(u) => u,
            Artifact::Bytes(bytes) => {
                sqlx::query("INSERT INTO bitstride_blobs (id, org_id, data) VALUES ($1, $2, $3)")
                    .bind(&model_id)
                    .bind(&job.org_id)
                    .bind(bytes)
                    .execute(&mut *tx)
                    .await?;
                reference::artifact_uri(&model_id)
            }
        };
        models::insert(
            &mut tx,
            &job.org_id,
            &model_id,
            NewModel {
                name,
                base_model: Some(base.clone()),
                description: Some(format!("Trained by {}", job.id)),
                project_id: job.project_id.clone(),
                source: match job.kind {
                    Kind::FineTuning => ModelSource::FineTuned,
                    Kind::Rl => ModelSource::RlTrained,
                },
                artifact_uri: Some(artifact_uri),
                job_id: Some(job.id.clone()),
                dataset_id,
            },
        )
        .await?;
        billing::record_training(&mut tx, &job.org_id, &job.id, &base, outcome.trained_tokens)
            .await?;
        tx.commit().await?;
        let _ = self
            .ctx
            .jobs
            .event(
                &job.id,
                JobEventLevel::Info,
                &format!("succeeded: model {model_id}"),
                None,
            )
            .await;
        Ok(())
    }

    async fn fail(&self, id: &str, f: &TrainFailure) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE bitstride_jobs SET status = 'failed', error_code = $1, error_message = $2,
                 finished_at = $3
             WHERE id = $4 AND status = 'running'",
        )
        .bind(&f.code)
        .bind(&f.message)
        .bind(now())
        .bind(id)
        .execute(&mut *self.ctx.db.conn().await?)
        .await?;
        Ok(())
    }
}

/// The reward function of an RL job for the reference trainer, or why it has none.
pub fn reward(spec: &RlJobCreate) -> Result<Reward, String> {
    let config = spec.reward.config.clone().unwrap_or_default();
    match spec.reward.reward_type {
        RewardType::ExactMatch => Ok(Reward::ExactMatch {
            case_sensitive: config
                .get("case_sensitive")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }),
        RewardType::Regex => {
            let pattern = config
                .get("pattern")
                .and_then(Value::as_str)
                .ok_or("a regex reward needs config.pattern")?;
            regex::Regex::new(pattern)
                .map(Reward::Regex)
                .map_err(|e| format!("config.pattern: {e}"))
        }
        RewardType::Http | RewardType::ModelGraded => {
            Err("the reference trainer supports exact_match and regex rewards only".into())
        }
    }
}

/// The weights of a model of `org_id`, if this server keeps them.
pub async fn load_blob(ctx: &Bitstride, org_id: &str, model_id: &str) -> Option<Vec<u8>> {
    let mut conn = ctx.db.conn().await.ok()?;
    sqlx::query_scalar("SELECT data FROM bitstride_blobs WHERE id = $1 AND org_id = $2")
        .bind(model_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await
        .ok()
        .flatten()
}
