//! Fine-tuning and RL jobs: the persisted queue, their wire form, and the
//! routes (create, list, get, cancel, events). [`executor`] runs them with a
//! trainer: [`reference`] (embedded, trains a small character model for real)
//! or [`command`] (an external program speaking JSON lines).

pub mod command;
pub mod executor;
pub mod reference;

use quartet_api::bitstride::{
    messages, DatasetPurpose, DatasetStatus, ErrorCode, ErrorEnvelope, FineTuningHyperparameters,
    FineTuningJob, FineTuningJobCreate, FineTuningJobList, JobError, JobEvent, JobEventLevel,
    JobEventList, JobEventType, JobMetrics, JobStatus, ListParams, RlAlgorithm, RlHyperparameters,
    RlJob, RlJobCreate, RlJobList,
};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;

use super::auth::Caller;
use super::config::TrainerKind;
use super::projects::check_ref;
use super::store::{check_range, enum_text, new_id, ord_now, page, parse_enum};
use super::{err, Bitstride};
use crate::platform::storage::now;
use crate::platform::{Db, DbError};

/// Change channel of the queue (payload: `queued <id>`, `cancel <id>`, `org-deleted <org>`).
pub const CHANNEL: &str = "bitstride.jobs";

/// Which kind of job a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Supervised fine-tuning.
    FineTuning,
    /// Reinforcement learning.
    Rl,
}

/// The stored request of a fine-tuning job, defaults filled in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FineTuningSpec {
    /// Foundation model.
    pub base_model: String,
    /// Training dataset.
    pub training_dataset_id: String,
    /// Evaluation dataset.
    pub validation_dataset_id: Option<String>,
    /// Effective hyperparameters.
    pub hyperparameters: FineTuningHyperparameters,
    /// Output name suffix.
    pub suffix: Option<String>,
}

/// A job row.
#[derive(Debug, Clone)]
pub struct JobRow {
    /// `ftjob_…` or `rljob_…`.
    pub id: String,
    /// Owner.
    pub org_id: String,
    /// Kind.
    pub kind: Kind,
    /// Request.
    pub spec: serde_json::Value,
    /// Project.
    pub project_id: Option<String>,
    /// Lifecycle.
    pub status: JobStatus,
    /// Result model.
    pub result_model: Option<String>,
    /// Tokens trained on.
    pub trained_tokens: Option<i64>,
    /// Failure.
    pub error: Option<JobError>,
    /// Timestamps.
    pub created_at: i64,
    /// Start.
    pub started_at: Option<i64>,
    /// End.
    pub finished_at: Option<i64>,
    /// Attempts so far.
    pub attempts: i64,
}

const COLUMNS: &str = "id, org_id, kind, spec, project_id, status, result_model, trained_tokens, \
                       error_code, error_message, created_at, started_at, finished_at, attempts";

fn from_row(r: &sqlx::any::AnyRow) -> Result<JobRow, DbError> {
    let spec: String = r.try_get("spec")?;
    let code: Option<String> = r.try_get("error_code")?;
    let message: Option<String> = r.try_get("error_message")?;
    Ok(JobRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        kind: parse_enum("job kind", &r.try_get::<String, _>("kind")?)?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| DbError::Corrupt(format!("job spec: {e}")))?,
        project_id: r.try_get("project_id")?,
        status: parse_enum("job status", &r.try_get::<String, _>("status")?)?,
        result_model: r.try_get("result_model")?,
        trained_tokens: r.try_get("trained_tokens")?,
        error: code.map(|code| JobError {
            code,
            message: message.unwrap_or_default(),
        }),
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        attempts: r.try_get("attempts")?,
    })
}

impl JobRow {
    fn fine_tuning(&self) -> Result<FineTuningJob, DbError> {
        let spec: FineTuningSpec = serde_json::from_value(self.spec.clone())
            .map_err(|e| DbError::Corrupt(format!("fine-tuning spec: {e}")))?;
        Ok(FineTuningJob {
            object: "fine_tuning.job".into(),
            id: self.id.clone(),
            base_model: spec.base_model,
            training_dataset_id: spec.training_dataset_id,
            validation_dataset_id: spec.validation_dataset_id,
            hyperparameters: spec.hyperparameters,
            suffix: spec.suffix,
            project_id: self.project_id.clone(),
            status: self.status,
            fine_tuned_model: self.result_model.clone(),
            trained_tokens: self.trained_tokens,
            error: self.error.clone(),
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }

    fn rl(&self) -> Result<RlJob, DbError> {
        let spec: RlJobCreate = serde_json::from_value(self.spec.clone())
            .map_err(|e| DbError::Corrupt(format!("RL spec: {e}")))?;
        Ok(RlJob {
            object: "rl.job".into(),
            id: self.id.clone(),
            base_model: spec.base_model,
            dataset_id: spec.dataset_id,
            algorithm: spec.algorithm.unwrap_or(RlAlgorithm::Grpo),
            environment: spec.environment,
            reward: spec.reward,
            hyperparameters: spec.hyperparameters.unwrap_or(RlHyperparameters {
                unknown: Default::default(),
                n_epochs: None,
                batch_size: None,
                learning_rate: None,
                group_size: None,
            }),
            project_id: self.project_id.clone(),
            status: self.status,
            result_model: self.result_model.clone(),
            error: self.error.clone(),
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }

    /// Whether the job reached a final state.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// The persisted job queue.
#[derive(Clone)]
pub struct Queue {
    db: Db,
}

impl Queue {
    /// The queue in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The job `id` of `org_id` (of any organization when `None`).
    pub async fn get(&self, org_id: Option<&str>, id: &str) -> Result<Option<JobRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM bitstride_jobs WHERE id = $1 AND ($2 IS NULL OR org_id = $2)"
        )))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *self.db.conn().await?)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list(&self, org_id: &str, kind: Kind) -> Result<Vec<JobRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM bitstride_jobs WHERE org_id = $1 AND kind = $2
             ORDER BY ord DESC, id DESC"
        )))
        .bind(org_id)
        .bind(enum_text(&kind))
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Records an event of job `id`.
    pub async fn event(
        &self,
        id: &str,
        level: JobEventLevel,
        message: &str,
        metrics: Option<&JobMetrics>,
    ) -> Result<(), DbError> {
        record_event(&mut *self.db.conn().await?, id, level, message, metrics).await
    }

    async fn events(&self, id: &str) -> Result<Vec<JobEvent>, DbError> {
        let rows = sqlx::query(
            "SELECT id, created_at, level, event_type, message, data FROM bitstride_job_events
             WHERE job_id = $1 ORDER BY ord DESC, id DESC",
        )
        .bind(id)
        .fetch_all(&mut *self.db.conn().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let data: Option<String> = r.try_get("data")?;
                Ok(JobEvent {
                    object: "job.event".into(),
                    id: r.try_get("id")?,
                    created_at: r.try_get("created_at")?,
                    level: parse_enum("event level", &r.try_get::<String, _>("level")?)?,
                    event_type: parse_enum("event type", &r.try_get::<String, _>("event_type")?)?,
                    message: r.try_get("message")?,
                    data: data.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect()
    }

    /// Cancels an unfinished job; `false` if it had already finished.
    async fn cancel(&self, org_id: &str, id: &str) -> Result<bool, DbError> {
        let mut tx = self.db.begin().await?;
        let changed = sqlx::query(
            "UPDATE bitstride_jobs SET status = 'cancelled', cancel_requested = 1, finished_at = $1
             WHERE id = $2 AND org_id = $3 AND status IN ('validating_files', 'queued', 'running')",
        )
        .bind(now())
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        crate::platform::changes::publish(
            &mut tx,
            self.db.backend(),
            CHANNEL,
            &format!("cancel {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn insert(
        &self,
        org_id: &str,
        id: &str,
        kind: Kind,
        spec: &impl Serialize,
        project_id: Option<String>,
        trainer: &str,
    ) -> Result<(), DbError> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "INSERT INTO bitstride_jobs (id, org_id, kind, spec, project_id, status, trainer, ord, created_at)
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8)",
        )
        .bind(id)
        .bind(org_id)
        .bind(enum_text(&kind))
        .bind(serde_json::to_string(spec).unwrap_or_default())
        .bind(project_id)
        .bind(trainer)
        .bind(ord_now())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        crate::platform::changes::publish(
            &mut tx,
            self.db.backend(),
            CHANNEL,
            &format!("queued {id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The name a trainer kind is stored under.
pub fn trainer_name(kind: TrainerKind) -> &'static str {
    match kind {
        TrainerKind::Reference => "reference",
        TrainerKind::Command => "command",
        TrainerKind::None => "none",
    }
}

impl Bitstride {
    /// The base models this server's trainer starts from.
    pub(super) fn base_models(&self) -> Vec<String> {
        match self.config.bitstride_trainer {
            TrainerKind::Reference => vec![reference::BASE_MODEL.to_owned()],
            TrainerKind::Command => self.config.bitstride_command_base_models.clone(),
            TrainerKind::None => Vec::new(),
        }
    }

    /// 400 unless a trainer starts from `base_model` (a listed base model, or a
    /// model of the organization that the reference trainer produced).
    async fn check_base_model(&self, org_id: &str, base_model: &str) -> Result<(), ErrorEnvelope> {
        if self.base_models().iter().any(|b| b == base_model) {
            return Ok(());
        }
        if self.config.bitstride_trainer == TrainerKind::Reference {
            if let Some(m) = super::models::get(&self.db, org_id, base_model).await? {
                if m.artifact_uri.as_deref() == Some(&reference::artifact_uri(&m.id)) {
                    return Ok(());
                }
            }
        }
        Err(err(
            ErrorCode::InvalidRequest,
            messages::UNSUPPORTED_BASE_MODEL,
        ))
    }

    /// 400/409 unless dataset `id` is the organization's, of `purpose`, and valid.
    async fn check_dataset(
        &self,
        org_id: &str,
        id: &str,
        purpose: DatasetPurpose,
    ) -> Result<(), ErrorEnvelope> {
        let Some(d) = super::datasets::get(&self.db, org_id, id).await? else {
            return Err(err(
                ErrorCode::InvalidRequest,
                messages::UNKNOWN_DATASET_REF,
            ));
        };
        if d.purpose != purpose {
            return Err(err(
                ErrorCode::InvalidState,
                messages::DATASET_WRONG_PURPOSE,
            ));
        }
        if d.status != DatasetStatus::Valid {
            return Err(err(ErrorCode::InvalidState, messages::DATASET_NOT_VALID));
        }
        Ok(())
    }

    /// `POST /v1/fine_tuning/jobs`.
    pub(super) async fn create_fine_tuning_job(
        &self,
        caller: &Caller,
        body: FineTuningJobCreate,
    ) -> Result<FineTuningJob, ErrorEnvelope> {
        let h = body.hyperparameters.as_ref();
        let n_epochs = h.and_then(|h| h.n_epochs).unwrap_or(3);
        let batch_size = h.and_then(|h| h.batch_size).unwrap_or(8);
        let multiplier = h.and_then(|h| h.learning_rate_multiplier).unwrap_or(1.0);
        check_range(n_epochs, 1, 50, "n_epochs")?;
        check_range(batch_size, 1, 256, "batch_size")?;
        if !(multiplier.is_finite() && multiplier > 0.0 && multiplier <= 100.0) {
            return Err(err(
                ErrorCode::InvalidRequest,
                "learning_rate_multiplier must be above 0 and at most 100",
            ));
        }
        if body.suffix.as_ref().is_some_and(|s| s.chars().count() > 40) {
            return Err(err(
                ErrorCode::InvalidRequest,
                "suffix must be at most 40 characters",
            ));
        }
        self.check_dataset(
            &caller.org_id,
            &body.training_dataset_id,
            DatasetPurpose::FineTuning,
        )
        .await?;
        if let Some(v) = &body.validation_dataset_id {
            self.check_dataset(&caller.org_id, v, DatasetPurpose::FineTuning)
                .await?;
        }
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        self.check_base_model(&caller.org_id, &body.base_model)
            .await?;
        let id = new_id("ftjob");
        let spec = FineTuningSpec {
            base_model: body.base_model,
            training_dataset_id: body.training_dataset_id,
            validation_dataset_id: body.validation_dataset_id,
            hyperparameters: FineTuningHyperparameters {
                unknown: Default::default(),
                n_epochs: Some(n_epochs),
                batch_size: Some(batch_size),
                learning_rate_multiplier: Some(multiplier),
            },
            suffix: body.suffix,
        };
        self.jobs
            .insert(
                &caller.org_id,
                &id,
                Kind::FineTuning,
                &spec,
                body.project_id,
                trainer_name(self.config.bitstride_trainer),
            )
            .await?;
        self.fine_tuning_job(caller, &id).await
    }

    async fn fine_tuning_job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<FineTuningJob, ErrorEnvelope> {
        match self.jobs.get(Some(&caller.org_id), id).await? {
            Some(j) if j.kind == Kind::FineTuning => Ok(j.fine_tuning()?),
            _ => Err(err(
                ErrorCode::NotFound,
                messages::FINE_TUNING_JOB_NOT_FOUND,
            )),
        }
    }

    async fn rl_job(&self, caller: &Caller, id: &str) -> Result<RlJob, ErrorEnvelope> {
        match self.jobs.get(Some(&caller.org_id), id).await? {
            Some(j) if j.kind == Kind::Rl => Ok(j.rl()?),
            _ => Err(err(ErrorCode::NotFound, messages::RL_JOB_NOT_FOUND)),
        }
    }

    /// `GET /v1/fine_tuning/jobs/{id}`.
    pub(super) async fn get_fine_tuning_job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<FineTuningJob, ErrorEnvelope> {
        self.fine_tuning_job(caller, id).await
    }

    /// `GET /v1/fine_tuning/jobs`.
    pub(super) async fn list_fine_tuning_jobs(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<FineTuningJobList, ErrorEnvelope> {
        let all = self.jobs.list(&caller.org_id, Kind::FineTuning).await?;
        let (rows, has_more) = page(all, params, |j| &j.id)?;
        Ok(FineTuningJobList {
            object: "list".into(),
            data: rows
                .iter()
                .map(JobRow::fine_tuning)
                .collect::<Result<_, _>>()?,
            has_more,
        })
    }

    /// `POST /v1/fine_tuning/jobs/{id}/cancel`.
    pub(super) async fn cancel_fine_tuning_job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<FineTuningJob, ErrorEnvelope> {
        self.fine_tuning_job(caller, id).await?;
        if !self.jobs.cancel(&caller.org_id, id).await? {
            return Err(err(ErrorCode::InvalidState, messages::JOB_FINISHED));
        }
        self.fine_tuning_job(caller, id).await
    }

    /// `POST /v1/rl/jobs`.
    pub(super) async fn create_rl_job(
        &self,
        caller: &Caller,
        mut body: RlJobCreate,
    ) -> Result<RlJob, ErrorEnvelope> {
        let h = body.hyperparameters.as_ref();
        let n_epochs = h.and_then(|h| h.n_epochs).unwrap_or(1);
        let batch_size = h.and_then(|h| h.batch_size).unwrap_or(16);
        let learning_rate = h.and_then(|h| h.learning_rate).unwrap_or(1e-6);
        let group_size = h.and_then(|h| h.group_size).unwrap_or(8);
        check_range(n_epochs, 1, 50, "n_epochs")?;
        check_range(batch_size, 1, 256, "batch_size")?;
        check_range(group_size, 1, 64, "group_size")?;
        if !(learning_rate.is_finite() && learning_rate > 0.0 && learning_rate <= 10.0) {
            return Err(err(
                ErrorCode::InvalidRequest,
                "learning_rate must be above 0 and at most 10",
            ));
        }
        if body.environment.name.trim().is_empty() {
            return Err(err(
                ErrorCode::InvalidRequest,
                "environment.name must not be empty",
            ));
        }
        if self.config.bitstride_trainer == TrainerKind::Reference {
            executor::reward(&body).map_err(|e| err(ErrorCode::InvalidRequest, e))?;
        }
        body.hyperparameters = Some(RlHyperparameters {
            unknown: Default::default(),
            n_epochs: Some(n_epochs),
            batch_size: Some(batch_size),
            learning_rate: Some(learning_rate),
            group_size: Some(group_size),
        });
        body.algorithm = Some(body.algorithm.unwrap_or(RlAlgorithm::Grpo));
        self.check_dataset(&caller.org_id, &body.dataset_id, DatasetPurpose::Rl)
            .await?;
        check_ref(&self.db, &caller.org_id, body.project_id.as_deref()).await?;
        self.check_base_model(&caller.org_id, &body.base_model)
            .await?;
        let id = new_id("rljob");
        let project = body.project_id.take();
        self.jobs
            .insert(
                &caller.org_id,
                &id,
                Kind::Rl,
                &body,
                project,
                trainer_name(self.config.bitstride_trainer),
            )
            .await?;
        self.rl_job(caller, &id).await
    }

    /// `GET /v1/rl/jobs/{id}`.
    pub(super) async fn get_rl_job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<RlJob, ErrorEnvelope> {
        self.rl_job(caller, id).await
    }

    /// `GET /v1/rl/jobs`.
    pub(super) async fn list_rl_jobs(
        &self,
        caller: &Caller,
        params: &ListParams,
    ) -> Result<RlJobList, ErrorEnvelope> {
        let all = self.jobs.list(&caller.org_id, Kind::Rl).await?;
        let (rows, has_more) = page(all, params, |j| &j.id)?;
        Ok(RlJobList {
            object: "list".into(),
            data: rows.iter().map(JobRow::rl).collect::<Result<_, _>>()?,
            has_more,
        })
    }

    /// `POST /v1/rl/jobs/{id}/cancel`.
    pub(super) async fn cancel_rl_job(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<RlJob, ErrorEnvelope> {
        self.rl_job(caller, id).await?;
        if !self.jobs.cancel(&caller.org_id, id).await? {
            return Err(err(ErrorCode::InvalidState, messages::JOB_FINISHED));
        }
        self.rl_job(caller, id).await
    }

    /// `GET /v1/{fine_tuning,rl}/jobs/{id}/events`.
    pub(super) async fn job_events(
        &self,
        caller: &Caller,
        id: &str,
        kind: Kind,
        params: &ListParams,
    ) -> Result<JobEventList, ErrorEnvelope> {
        match kind {
            Kind::FineTuning => self.fine_tuning_job(caller, id).await.map(drop)?,
            Kind::Rl => self.rl_job(caller, id).await.map(drop)?,
        }
        let all = self.jobs.events(id).await?;
        let (data, has_more) = page(all, params, |e| &e.id)?;
        Ok(JobEventList {
            object: "list".into(),
            data,
            has_more,
        })
    }
}

/// Records an event of job `id` on `conn` (in the caller's transaction, if any).
pub(crate) async fn record_event(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    level: JobEventLevel,
    message: &str,
    metrics: Option<&JobMetrics>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO bitstride_job_events (id, job_id, ord, created_at, level, event_type, message, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id("ev"))
    .bind(id)
    .bind(ord_now())
    .bind(now())
    .bind(enum_text(&level))
    .bind(enum_text(&if metrics.is_some() {
        JobEventType::Metrics
    } else {
        JobEventType::Message
    }))
    .bind(message)
    .bind(metrics.map(|m| serde_json::to_string(m).unwrap_or_default()))
    .execute(conn)
    .await?;
    Ok(())
}
