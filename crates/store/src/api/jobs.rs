//! Jobs registered through the API: owned by a user, with tags, registered before their runs,
//! run only once their uploaded inputs passed the checks.

use chrono::{DateTime, Utc};
use fredbatch_core::keys::api_inputs_prefix;
use fredbatch_core::{BackendTarget, Job, JobId, Resources, RunStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::error::StoreError;
use crate::jobs::{allocate, insert_job};
use crate::rows::{self, JOB_COLUMNS};
use crate::sql;
use crate::time::{from_millis, to_millis};

/// A job to register for a user; its runs come later ([`Store::add_runs`]).
#[derive(Clone, Debug)]
pub struct NewApiJob {
    pub owner: i64,
    pub tags: Vec<String>,
    pub resources: Resources,
    pub max_attempts: u32,
    pub attempt_timeout_seconds: u64,
    pub backend: BackendTarget,
    pub created_at: DateTime<Utc>,
    /// See [`fredbatch_core::Job::first_run_checks`].
    pub first_run_checks: bool,
}

/// Where a job's uploaded inputs archive stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputsCheck {
    /// Not uploaded yet, or not looked at yet.
    Pending,
    /// Passed the extraction checks: its runs may start.
    Passed,
    /// Refused, for this reason: its runs end ERROR.
    Refused(String),
}

/// A job with what the API knows of it.
#[derive(Clone, Debug)]
pub struct ApiJob {
    pub job: Job,
    pub owner: i64,
    pub tags: Vec<String>,
    pub deleted: bool,
    pub inputs: InputsCheck,
}

const API_JOB_COLUMNS: &str = "owner, tags, deleted_at, inputs_checked, inputs_error";

fn api_job(row: &AnyRow) -> Result<ApiJob, StoreError> {
    let tags: Option<String> = row.try_get("tags")?;
    let tags = match tags {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            what: format!("job tags: {e}"),
        })?,
        None => Vec::new(),
    };
    let inputs = match (
        row.try_get::<i64, _>("inputs_checked")?,
        row.try_get::<Option<String>, _>("inputs_error")?,
    ) {
        (_, Some(reason)) => InputsCheck::Refused(reason),
        (0, None) => InputsCheck::Pending,
        (_, None) => InputsCheck::Passed,
    };
    Ok(ApiJob {
        job: rows::job(row)?,
        owner: row.try_get::<Option<i64>, _>("owner")?.unwrap_or(0),
        tags,
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
        inputs,
    })
}

impl Store {
    /// Registers a job with no runs yet. Its inputs go to its API inputs prefix
    /// ([`api_inputs_prefix`]) in the uploads location.
    pub async fn register_api_job(&self, new: NewApiJob) -> Result<Job, StoreError> {
        let mut tx = self.pool.begin().await?;
        let job_id = JobId(allocate(&mut tx, "job", 1).await?);
        let job = Job {
            id: job_id,
            name: format!("api-job-{job_id}"),
            model_dir: "(uploaded through the API)".to_owned(),
            program: "main.fred".to_owned(),
            params: Vec::new(),
            run_count: 0,
            config_count: 0,
            resources: new.resources,
            max_attempts: new.max_attempts,
            attempt_timeout_seconds: new.attempt_timeout_seconds,
            // API jobs are retried by the defaults: memory doubles after running out.
            retry_policy: fredbatch_core::RetryPolicy::default(),
            backend: new.backend,
            inputs_key: api_inputs_prefix(job_id),
            created_at: from_millis(to_millis(new.created_at)),
            status_reason: None,
            first_run_checks: new.first_run_checks,
            reuse: true,
            size_origin: fredbatch_core::SizeOrigin::Given,
            size_key: None,
            budget: None,
        };
        insert_job(&mut tx, &job).await?;
        sqlx::query("UPDATE jobs SET owner = $1, tags = $2 WHERE id = $3")
            .bind(new.owner)
            .bind(serde_json::to_string(&new.tags).expect("tags serialize"))
            .bind(job.id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// A job with its API details; `None` for an unknown id.
    pub async fn api_job(&self, id: JobId) -> Result<Option<ApiJob>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS}, {API_JOB_COLUMNS} FROM jobs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(api_job).transpose()
    }

    /// A user's jobs that were not deleted, oldest first.
    pub async fn api_jobs_of(&self, owner: i64) -> Result<Vec<ApiJob>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS}, {API_JOB_COLUMNS} FROM jobs \
             WHERE owner = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_job).collect()
    }

    /// API jobs with runs that have not ended: what a server supervises.
    pub async fn open_api_jobs(&self) -> Result<Vec<ApiJob>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS}, {API_JOB_COLUMNS} FROM jobs WHERE owner IS NOT NULL AND \
             EXISTS (SELECT 1 FROM runs WHERE runs.job_id = jobs.id AND {open}) ORDER BY id",
            open = sql::run_is_open("runs.status"),
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_job).collect()
    }

    /// Records the check of a job's uploaded inputs. A refused archive ends the job's runs
    /// that never started ERROR with the reason.
    pub async fn record_inputs_check(
        &self,
        job: JobId,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE jobs SET inputs_checked = 1, inputs_error = $1 WHERE id = $2")
            .bind(outcome.as_ref().err())
            .bind(job.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Err(reason) = outcome {
            self.refuse_unstarted_runs(job, &reason, now).await?;
        }
        Ok(())
    }

    /// Ends a job's open runs that no backend holds ERROR with `reason` (their inputs were
    /// refused, so they can never run).
    pub async fn refuse_unstarted_runs(
        &self,
        job: JobId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE runs SET status = {error}, status_reason = $1, finished_at = $2 \
             WHERE job_id = $3 AND backend_job_id IS NULL AND {open}",
            error = sql::run_status(RunStatus::Error),
            open = sql::run_is_open("status"),
        ))
        .bind(reason)
        .bind(to_millis(now))
        .bind(job.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    /// Ends the runs of one configuration of `job` that no backend holds yet ERROR with
    /// `reason` (the model check refused that configuration); returns how many.
    pub async fn refuse_unstarted_config_runs(
        &self,
        job: JobId,
        config: u32,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE runs SET status = {error}, status_reason = $1, finished_at = $2 \
             WHERE job_id = $3 AND config = $4 AND backend_job_id IS NULL AND {open}",
            error = sql::run_status(RunStatus::Error),
            open = sql::run_is_open("status"),
        ))
        .bind(reason)
        .bind(to_millis(now))
        .bind(job.0)
        .bind(i64::from(config))
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    /// Deletes a job for its owner: hidden from the API from now on, its open runs asked to
    /// stop. The records stay for the command line.
    pub async fn delete_api_job(&self, job: JobId, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET deleted_at = COALESCE(deleted_at, $1) WHERE id = $2")
            .bind(to_millis(now))
            .bind(job.0)
            .execute(&self.pool)
            .await?;
        self.request_cancel(job, None).await?;
        Ok(())
    }
}
