//! Runs added to API jobs: each with its client's request (echoed back verbatim), its seed,
//! and the results archive built for the client once it is DONE.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{JobId, Run, RunId, RunStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::error::StoreError;
use crate::jobs::allocate;
use crate::rows::{self, RUN_COLUMNS};
use crate::sql;
use crate::time::{opt_from_millis, to_millis};

/// One run to add to a job: its configuration's overrides, its own seed and the request it
/// came from.
#[derive(Clone, Debug)]
pub struct NewApiRun {
    pub params: Vec<ParamOverride>,
    /// The client's request, exactly as received.
    pub request: String,
    pub seed: Option<u64>,
}

/// A run with what the API knows of it.
#[derive(Clone, Debug)]
pub struct ApiRun {
    pub run: Run,
    pub request: Option<String>,
    pub seed: Option<u64>,
    pub results_zip: Option<String>,
    /// When it was added to its job.
    pub created_at: Option<DateTime<Utc>>,
}

fn api_run(row: &AnyRow) -> Result<ApiRun, StoreError> {
    let seed: Option<String> = row.try_get("seed")?;
    let seed = seed
        .map(|s| {
            s.parse::<u64>().map_err(|_| StoreError::Corrupt {
                what: format!("run seed {s}"),
            })
        })
        .transpose()?;
    Ok(ApiRun {
        run: rows::run(row)?,
        request: row.try_get("request")?,
        seed,
        results_zip: row.try_get("results_zip")?,
        created_at: opt_from_millis(row.try_get("created_at")?),
    })
}

impl Store {
    /// Adds runs to a job in one transaction and returns them in the order given. Runs whose
    /// overrides are the same (whatever their seeds) are replicates of one configuration: of
    /// a configuration the job already has, or of a new one, numbered after the job's
    /// existing configurations in the order first seen. Run numbers follow the job's; each
    /// run's replicate follows its configuration's.
    pub async fn add_runs(
        &self,
        job: JobId,
        runs: &[NewApiRun],
        now: DateTime<Utc>,
    ) -> Result<Vec<Run>, StoreError> {
        if runs.is_empty() {
            return Err(StoreError::EmptyJob);
        }
        let count = runs.len() as i64;
        let mut tx = self.pool.begin().await?;
        // Updating the job row first serializes concurrent additions to one job.
        let counts: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE jobs SET run_count = run_count + $1 WHERE id = $2 \
             RETURNING run_count, config_count",
        )
        .bind(count)
        .bind(job.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (run_count, mut config_count) = counts.ok_or(StoreError::NoSuchJob(job))?;
        // The job's configurations by their overrides, with their last replicate.
        let mut configs: HashMap<String, (i64, i64)> = HashMap::new();
        let existing: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT c.number, c.params, COALESCE(MAX(r.replicate), 0) FROM configs c \
             LEFT JOIN runs r ON r.job_id = c.job_id AND r.config = c.number \
             WHERE c.job_id = $1 GROUP BY c.number, c.params",
        )
        .bind(job.0)
        .fetch_all(&mut *tx)
        .await?;
        for (number, params, replicates) in existing {
            configs.insert(params, (number, replicates));
        }
        let first_run_id = allocate(&mut tx, "run", count).await?;
        let mut ids = Vec::with_capacity(runs.len());
        for (offset, new) in (0i64..).zip(runs) {
            let run_number = run_count - count + 1 + offset;
            let id = first_run_id + offset;
            let params = serde_json::to_string(&new.params).expect("overrides serialize");
            let (config, replicate) = match configs.get_mut(&params) {
                Some((number, replicates)) => {
                    *replicates += 1;
                    (*number, *replicates)
                }
                None => {
                    config_count += 1;
                    sqlx::query("INSERT INTO configs (job_id, number, params) VALUES ($1, $2, $3)")
                        .bind(job.0)
                        .bind(config_count)
                        .bind(&params)
                        .execute(&mut *tx)
                        .await?;
                    configs.insert(params, (config_count, 1));
                    (config_count, 1)
                }
            };
            sqlx::query(
                "INSERT INTO runs (id, job_id, run_number, config, replicate, status, request, seed, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(job.0)
            .bind(run_number)
            .bind(config)
            .bind(replicate)
            .bind(RunStatus::Queued.as_str())
            .bind(&new.request)
            .bind(new.seed.map(|s| s.to_string()))
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
            ids.push(RunId(id));
        }
        sqlx::query("UPDATE jobs SET config_count = $1 WHERE id = $2")
            .bind(config_count)
            .bind(job.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut added = self.runs_by_ids(&ids).await?;
        added.sort_by_key(|r| r.run_number);
        Ok(added)
    }

    /// The seed a run was given of its own (an API run request's), if any.
    pub async fn run_seed(&self, run: RunId) -> Result<Option<u64>, StoreError> {
        let seed: Option<Option<String>> =
            sqlx::query_scalar("SELECT seed FROM runs WHERE id = $1")
                .bind(run.0)
                .fetch_optional(&self.pool)
                .await?;
        seed.flatten()
            .map(|s| {
                s.parse::<u64>().map_err(|_| StoreError::Corrupt {
                    what: format!("run seed {s}"),
                })
            })
            .transpose()
    }

    /// A job's runs with their API details, by run number.
    pub async fn api_runs(&self, job: JobId) -> Result<Vec<ApiRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS}, request, seed, results_zip, created_at FROM runs WHERE job_id = $1 \
             ORDER BY run_number"
        ))
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_run).collect()
    }

    pub async fn api_run(&self, id: RunId) -> Result<Option<ApiRun>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS}, request, seed, results_zip, created_at FROM runs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(api_run).transpose()
    }

    /// Puts runs that ended ERROR or CANCELLED back in the queue, each to run again as a new
    /// attempt (and a new backend job), all or none. Returns the runs that were reset; runs
    /// in any other status are left alone.
    pub async fn retry_runs(&self, ids: &[RunId]) -> Result<Vec<RunId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut reset = Vec::new();
        for id in ids {
            let updated = sqlx::query(&format!(
                "UPDATE runs SET status = {queued}, status_reason = NULL, backend_job_id = NULL, \
                 backend_state = NULL, finished_at = NULL, cancel_requested = 0, \
                 retries = retries + 1 WHERE id = $1 AND {ended_badly}",
                queued = sql::run_status(RunStatus::Queued),
                ended_badly =
                    sql::run_status_in("status", &[RunStatus::Error, RunStatus::Cancelled]),
            ))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 1 {
                reset.push(*id);
            }
        }
        tx.commit().await?;
        Ok(reset)
    }

    /// DONE runs of API jobs whose results archive for the client is not built yet.
    pub async fn runs_awaiting_results_zip(&self, limit: u32) -> Result<Vec<Run>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE status = {done} AND results_zip IS NULL \
             AND results_key IS NOT NULL AND request IS NOT NULL ORDER BY id LIMIT $1",
            done = sql::run_status(RunStatus::Done),
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::run).collect()
    }

    /// Sets (or, with `None`, clears) the status reason of a job's open runs that no backend
    /// holds yet: why they wait, while nothing can submit them. Returns how many were set.
    pub async fn set_waiting_reason(
        &self,
        job: JobId,
        reason: Option<&str>,
    ) -> Result<u64, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE runs SET status_reason = $1 \
             WHERE job_id = $2 AND backend_job_id IS NULL AND {open}",
            open = sql::run_is_open("status"),
        ))
        .bind(reason)
        .bind(job.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    pub async fn record_results_zip(&self, run: RunId, key: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET results_zip = $1 WHERE id = $2")
            .bind(key)
            .bind(run.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
