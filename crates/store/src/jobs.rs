//! Registering jobs and reading them back.

use chrono::{DateTime, Utc};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{
    BackendTarget, Budget, Config, Job, JobId, Resources, RetryPolicy, RunStatus, SizeOrigin,
    StatusCounts,
};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::Store;
use crate::error::StoreError;
use crate::rows::{self, JOB_COLUMNS};
use crate::sql;
use crate::time::{from_millis, to_millis};

/// Rows per INSERT when creating runs: large sweeps go in few statements.
const RUN_INSERT_CHUNK: usize = 500;

/// A job to register. Its runs are numbered 1..N across its configurations, in order; each
/// configuration's replicates are numbered 1..=runs.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub name: String,
    pub model_dir: String,
    pub program: String,
    /// Overrides every run gets.
    pub params: Vec<ParamOverride>,
    pub configs: Vec<NewConfig>,
    pub resources: Resources,
    pub max_attempts: u32,
    pub attempt_timeout_seconds: u64,
    /// See [`Job::retry_policy`].
    pub retry_policy: RetryPolicy,
    /// The backend and where on it the runs go.
    pub backend: BackendTarget,
    pub created_at: DateTime<Utc>,
    /// See [`Job::first_run_checks`].
    pub first_run_checks: bool,
    /// See [`Job::reuse`].
    pub reuse: bool,
    /// See [`Job::size_origin`].
    pub size_origin: SizeOrigin,
    /// See [`Job::size_key`].
    pub size_key: Option<String>,
    /// See [`Job::budget`].
    pub budget: Option<Budget>,
}

/// One configuration of a job to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConfig {
    pub params: Vec<ParamOverride>,
    /// Replicates of this configuration.
    pub runs: u32,
}

impl NewConfig {
    /// The configurations of a sweep, each run `runs` times.
    pub fn each(configs: Vec<Vec<ParamOverride>>, runs: u32) -> Vec<NewConfig> {
        configs
            .into_iter()
            .map(|params| NewConfig { params, runs })
            .collect()
    }
}

/// A job with its run counts, for listings.
#[derive(Clone, Debug, Serialize)]
pub struct JobSummary {
    #[serde(flatten)]
    pub job: Job,
    pub counts: StatusCounts,
}

impl Store {
    /// Registers a job, its configurations and its runs (all QUEUED) in one transaction, so a
    /// failure leaves nothing. `inputs_key` is computed from the new job's id.
    pub async fn create_job(
        &self,
        new: NewJob,
        inputs_key: impl Fn(JobId) -> String,
    ) -> Result<Job, StoreError> {
        let run_count: u32 = new.configs.iter().map(|c| c.runs).sum();
        if new.configs.is_empty() || run_count == 0 {
            return Err(StoreError::EmptyJob);
        }
        let mut tx = self.pool.begin().await?;
        let job_id = JobId(allocate(&mut tx, "job", 1).await?);
        let first_run = allocate(&mut tx, "run", i64::from(run_count)).await?;
        let job = Job {
            id: job_id,
            name: new.name,
            model_dir: new.model_dir,
            program: new.program,
            params: new.params,
            run_count,
            config_count: new.configs.len() as u32,
            resources: new.resources,
            max_attempts: new.max_attempts,
            attempt_timeout_seconds: new.attempt_timeout_seconds,
            retry_policy: new.retry_policy,
            backend: new.backend,
            inputs_key: inputs_key(job_id),
            // Stored to the millisecond; return what a later read will see.
            created_at: from_millis(to_millis(new.created_at)),
            status_reason: None,
            first_run_checks: new.first_run_checks,
            reuse: new.reuse,
            size_origin: new.size_origin,
            size_key: new.size_key,
            budget: new.budget,
        };
        insert_job(&mut tx, &job).await?;
        for (number, config) in (1i64..).zip(&new.configs) {
            sqlx::query("INSERT INTO configs (job_id, number, params) VALUES ($1, $2, $3)")
                .bind(job.id.0)
                .bind(number)
                .bind(serde_json::to_string(&config.params).expect("overrides serialize"))
                .execute(&mut *tx)
                .await?;
        }
        // (run number, configuration, replicate) of every run, in order.
        let runs: Vec<(u32, u32, u32)> = (1u32..)
            .zip(&new.configs)
            .flat_map(|(config, c)| (1..=c.runs).map(move |replicate| (config, replicate)))
            .zip(1u32..)
            .map(|((config, replicate), number)| (number, config, replicate))
            .collect();
        // Only integers and a status name go into this statement, so it is built as text: one
        // statement per chunk instead of one per run.
        let queued = sql::run_status(RunStatus::Queued);
        for chunk in runs.chunks(RUN_INSERT_CHUNK) {
            let values: Vec<String> = chunk
                .iter()
                .map(|(n, config, replicate)| {
                    format!(
                        "({}, {}, {n}, {config}, {replicate}, {queued})",
                        first_run + i64::from(*n) - 1,
                        job.id.0
                    )
                })
                .collect();
            sqlx::query(&format!(
                "INSERT INTO runs (id, job_id, run_number, config, replicate, status) VALUES {}",
                values.join(", ")
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(job)
    }

    /// Removes a job that never ran (its inputs could not be stored).
    pub async fn delete_unstarted_job(&self, job: JobId) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for table in ["runs", "configs"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE job_id = $1"))
                .bind(job.0)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(job.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn job(&self, id: JobId) -> Result<Job, StoreError> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NoSuchJob(id))?;
        rows::job(&row)
    }

    /// The most recently registered job, if any.
    pub async fn latest_job(&self) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::job).transpose()
    }

    /// The newest jobs first, with their run counts.
    pub async fn jobs(&self, limit: u32) -> Result<Vec<JobSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in &rows {
            let job = rows::job(row)?;
            let counts = self.status_counts(job.id).await?;
            summaries.push(JobSummary { job, counts });
        }
        Ok(summaries)
    }

    /// A job's configurations, in order.
    pub async fn configs(&self, job: JobId) -> Result<Vec<Config>, StoreError> {
        let rows =
            sqlx::query("SELECT number, params FROM configs WHERE job_id = $1 ORDER BY number")
                .bind(job.0)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(rows::config).collect()
    }

    /// One configuration of a job.
    pub async fn config(&self, job: JobId, number: u32) -> Result<Config, StoreError> {
        let row =
            sqlx::query("SELECT number, params FROM configs WHERE job_id = $1 AND number = $2")
                .bind(job.0)
                .bind(i64::from(number))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NoSuchConfig { job, number })?;
        rows::config(&row)
    }

    /// Records why a job cannot go on as a whole (`None` clears it). Written only when it
    /// changes, so a refusal repeated every round costs a read.
    pub async fn set_job_status_reason(
        &self,
        job: JobId,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET status_reason = $1 \
             WHERE id = $2 AND COALESCE(status_reason, '') <> COALESCE($1, '')",
        )
        .bind(reason)
        .bind(job.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn status_counts(&self, job: JobId) -> Result<StatusCounts, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM runs WHERE job_id = $1 GROUP BY status")
                .bind(job.0)
                .fetch_all(&self.pool)
                .await?;
        let mut counts = StatusCounts::default();
        for row in rows {
            let status: String = row.try_get("status")?;
            let status: RunStatus = status.parse().map_err(|_| StoreError::Corrupt {
                what: format!("run status {status}"),
            })?;
            counts.add(status, row.try_get::<i64, _>("n")? as u32);
        }
        Ok(counts)
    }

    /// The runs of every job by status (what a server's operator watches).
    pub async fn all_status_counts(&self) -> Result<StatusCounts, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut counts = StatusCounts::default();
        for row in rows {
            let status: String = row.try_get("status")?;
            let status: RunStatus = status.parse().map_err(|_| StoreError::Corrupt {
                what: format!("run status {status}"),
            })?;
            counts.add(status, row.try_get::<i64, _>("n")? as u32);
        }
        Ok(counts)
    }

    /// The job's first run decided the check of its model: its other runs go on (or were
    /// ended) as any job's.
    pub async fn end_first_run_check(&self, job: JobId) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET first_run_checks = 0 WHERE id = $1")
            .bind(job.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Writes a new job's row: every column of [`Job`], whoever registers it.
pub(crate) async fn insert_job(tx: &mut Transaction<'_, Any>, job: &Job) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO jobs ({JOB_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(job.id.0)
    .bind(&job.name)
    .bind(&job.model_dir)
    .bind(&job.program)
    .bind(serde_json::to_string(&job.params).expect("overrides serialize"))
    .bind(i64::from(job.run_count))
    .bind(i64::from(job.resources.vcpus))
    .bind(job.resources.memory_mb as i64)
    .bind(i64::from(job.max_attempts))
    .bind(job.attempt_timeout_seconds as i64)
    .bind(rows::backend_json(&job.backend))
    .bind(&job.inputs_key)
    .bind(to_millis(job.created_at))
    .bind(i64::from(job.config_count))
    .bind(job.status_reason.as_deref())
    .bind(i64::from(job.first_run_checks))
    .bind(i64::from(job.reuse))
    .bind(rows::retry_policy_json(&job.retry_policy))
    .bind(serde_json::to_string(&job.size_origin).expect("size origins serialize"))
    .bind(job.size_key.as_deref())
    .bind(
        job.budget
            .map(|b| serde_json::to_string(&b).expect("budgets serialize")),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes `count` consecutive ids from a counter and returns the first. The counter row is
/// locked until the transaction ends, so concurrent registrations never share ids.
pub(crate) async fn allocate(
    tx: &mut Transaction<'_, Any>,
    counter: &str,
    count: i64,
) -> Result<i64, StoreError> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = $2 RETURNING value",
    )
    .bind(count)
    .bind(counter)
    .fetch_one(&mut **tx)
    .await?;
    Ok(last - count + 1)
}
