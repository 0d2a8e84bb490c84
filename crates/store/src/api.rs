//! What the HTTP API (`fredbatch serve`) keeps beside ordinary jobs and runs: accounts, jobs
//! registered before their runs and owned by a user, each run's request as the client sent
//! it, the check of a job's uploaded inputs, and the archive of results built for the client.

use chrono::{DateTime, Utc};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{Job, JobId, Resources, Run, RunId};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Store;
use crate::error::StoreError;
use crate::jobs::allocate;
use crate::rows::{self, JOB_COLUMNS, RUN_COLUMNS};
use crate::time::{from_millis, opt_from_millis, to_millis};

/// An account of the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A job to register for a user; its runs come later ([`Store::add_runs`]).
#[derive(Clone, Debug)]
pub struct NewApiJob {
    pub owner: i64,
    pub tags: Vec<String>,
    pub resources: Resources,
    pub max_attempts: u32,
    pub attempt_timeout_seconds: u64,
    pub backend: String,
    pub backend_target: Option<String>,
    pub created_at: DateTime<Utc>,
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

/// One run to add to a job: its configuration's overrides and the request it came from.
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

/// The process holding a named server lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockHolder {
    /// Unique to one process's hold (so a restarted process never mistakes the row for its own).
    pub holder: String,
    pub host: String,
    pub pid: u32,
    pub listen: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {}, listening on {}",
            self.pid, self.host, self.listen
        )
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another fredbatch server holds this store: {holder} (last heartbeat {heartbeat}); stop it first"
    )]
    Held {
        holder: LockHolder,
        heartbeat: DateTime<Utc>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn lock_holder(row: &AnyRow) -> Result<LockHolder, StoreError> {
    Ok(LockHolder {
        holder: row.try_get("holder")?,
        host: row.try_get("host")?,
        pid: row.try_get::<i64, _>("pid")? as u32,
        listen: row.try_get("listen")?,
    })
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

fn user(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: from_millis(row.try_get("created_at")?),
        revoked_at: opt_from_millis(row.try_get("revoked_at")?),
    })
}

impl Store {
    // --- accounts -------------------------------------------------------------------------

    /// Adds a user whose token hashes to `token_hash`.
    pub async fn add_user(
        &self,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let mut tx = self.pool.begin().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::UserExists(name.to_owned()));
        }
        let id = allocate(&mut tx, "user", 1).await?;
        sqlx::query("INSERT INTO users (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(name)
            .bind(token_hash)
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(User {
            id,
            name: name.to_owned(),
            created_at: from_millis(to_millis(now)),
            revoked_at: None,
        })
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at, revoked_at FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    /// Revokes a user's token: it is refused from now on. Their jobs stay.
    pub async fn revoke_user(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let updated =
            sqlx::query("UPDATE users SET revoked_at = COALESCE(revoked_at, $1) WHERE name = $2")
                .bind(to_millis(now))
                .bind(name)
                .execute(&self.pool)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(name.to_owned()));
        }
        Ok(())
    }

    /// The user whose token hashes to `token_hash`, unless revoked.
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, created_at, revoked_at FROM users \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user).transpose()
    }

    // --- jobs and runs --------------------------------------------------------------------

    /// Registers a job with no runs yet. Its inputs go to `jobs/<id>/` in the uploads location.
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
            backend: new.backend,
            inputs_key: format!("jobs/{job_id}"),
            created_at: from_millis(to_millis(new.created_at)),
            backend_target: new.backend_target,
        };
        sqlx::query(&format!(
            "INSERT INTO jobs ({JOB_COLUMNS}, owner, tags) \
             VALUES ($1, $2, $3, $4, '[]', 0, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14)"
        ))
        .bind(job.id.0)
        .bind(&job.name)
        .bind(&job.model_dir)
        .bind(&job.program)
        .bind(i64::from(job.resources.vcpus))
        .bind(job.resources.memory_mb as i64)
        .bind(i64::from(job.max_attempts))
        .bind(job.attempt_timeout_seconds as i64)
        .bind(&job.backend)
        .bind(&job.inputs_key)
        .bind(to_millis(job.created_at))
        .bind(&job.backend_target)
        .bind(new.owner)
        .bind(serde_json::to_string(&new.tags).expect("tags serialize"))
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
             EXISTS (SELECT 1 FROM runs WHERE runs.job_id = jobs.id \
                     AND runs.status NOT IN ('DONE', 'ERROR', 'CANCELLED')) ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_job).collect()
    }

    /// Adds one configuration with one run per request to a job, in one transaction, and
    /// returns the new runs in the order given. Run numbers and configuration numbers follow
    /// the job's existing ones.
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
            "UPDATE jobs SET run_count = run_count + $1, config_count = config_count + $1 \
             WHERE id = $2 RETURNING run_count, config_count",
        )
        .bind(count)
        .bind(job.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (run_count, config_count) = counts.ok_or(StoreError::NoSuchJob(job))?;
        let first_run_id = allocate(&mut tx, "run", count).await?;
        let mut ids = Vec::with_capacity(runs.len());
        for (offset, new) in (0i64..).zip(runs) {
            let run_number = run_count - count + 1 + offset;
            let config = config_count - count + 1 + offset;
            let id = first_run_id + offset;
            sqlx::query("INSERT INTO configs (job_id, number, params) VALUES ($1, $2, $3)")
                .bind(job.0)
                .bind(config)
                .bind(serde_json::to_string(&new.params).expect("overrides serialize"))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO runs (id, job_id, run_number, config, replicate, status, request, seed, \
                 created_at) VALUES ($1, $2, $3, $4, 1, 'QUEUED', $5, $6, $7)",
            )
            .bind(id)
            .bind(job.0)
            .bind(run_number)
            .bind(config)
            .bind(&new.request)
            .bind(new.seed.map(|s| s.to_string()))
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
            ids.push(RunId(id));
        }
        tx.commit().await?;
        let mut added = self.runs_by_ids(&ids).await?;
        added.sort_by_key(|r| r.run_number);
        Ok(added)
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
        let updated = sqlx::query(
            "UPDATE runs SET status = 'ERROR', status_reason = $1, finished_at = $2 \
             WHERE job_id = $3 AND backend_job_id IS NULL \
             AND status NOT IN ('DONE', 'ERROR', 'CANCELLED')",
        )
        .bind(reason)
        .bind(to_millis(now))
        .bind(job.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    /// Sets (or, with `None`, clears) the status reason of a job's open runs that no backend
    /// holds yet: why they wait, while nothing can submit them. Returns how many were set.
    pub async fn set_waiting_reason(
        &self,
        job: JobId,
        reason: Option<&str>,
    ) -> Result<u64, StoreError> {
        let updated = sqlx::query(
            "UPDATE runs SET status_reason = $1 \
             WHERE job_id = $2 AND backend_job_id IS NULL \
             AND status NOT IN ('DONE', 'ERROR', 'CANCELLED')",
        )
        .bind(reason)
        .bind(job.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    /// Puts runs that ended ERROR or CANCELLED back in the queue, each to run again as a new
    /// attempt (and a new backend job), all or none. Returns the runs that were reset; runs
    /// in any other status are left alone.
    pub async fn retry_runs(&self, ids: &[RunId]) -> Result<Vec<RunId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut reset = Vec::new();
        for id in ids {
            let updated = sqlx::query(
                "UPDATE runs SET status = 'QUEUED', status_reason = NULL, backend_job_id = NULL, \
                 backend_state = NULL, finished_at = NULL, cancel_requested = 0, \
                 retries = retries + 1 WHERE id = $1 AND status IN ('ERROR', 'CANCELLED')",
            )
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
            "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'DONE' AND results_zip IS NULL \
             AND results_key IS NOT NULL AND request IS NOT NULL ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::run).collect()
    }

    pub async fn record_results_zip(&self, run: RunId, key: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET results_zip = $1 WHERE id = $2")
            .bind(key)
            .bind(run.0)
            .execute(&self.pool)
            .await?;
        Ok(())
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

    // --- the server's own records ---------------------------------------------------------

    /// The secret named `name`, made by `generate` the first time it is asked for (by whichever
    /// process gets there first).
    pub async fn server_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(generate())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Takes the lock `name` for `holder`. A lock whose heartbeat is older than `stale_after`,
    /// or whose holder `is_gone` says has died, is taken over; otherwise it is refused, saying
    /// who holds it.
    pub async fn acquire_server_lock(
        &self,
        name: &str,
        holder: &LockHolder,
        stale_after: chrono::Duration,
        is_gone: impl Fn(&LockHolder) -> bool,
        now: DateTime<Utc>,
    ) -> Result<(), LockError> {
        let inserted = sqlx::query(
            "INSERT INTO server_locks (name, holder, host, pid, listen, acquired_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&holder.holder)
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.listen)
        .bind(to_millis(now))
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        if inserted.rows_affected() == 1 {
            return Ok(());
        }
        let row = sqlx::query(
            "SELECT holder, host, pid, listen, heartbeat_at FROM server_locks WHERE name = $1",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from)?;
        let current = lock_holder(&row)?;
        let heartbeat = from_millis(row.try_get("heartbeat_at").map_err(StoreError::from)?);
        if now - heartbeat < stale_after && !is_gone(&current) {
            return Err(LockError::Held {
                holder: current,
                heartbeat,
            });
        }
        // Taken over only if nobody else took it over meanwhile.
        let taken = sqlx::query(
            "UPDATE server_locks SET holder = $1, host = $2, pid = $3, listen = $4, \
             acquired_at = $5, heartbeat_at = $5 WHERE name = $6 AND holder = $7",
        )
        .bind(&holder.holder)
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.listen)
        .bind(to_millis(now))
        .bind(name)
        .bind(&current.holder)
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        if taken.rows_affected() == 1 {
            Ok(())
        } else {
            Err(LockError::Held {
                holder: current,
                heartbeat,
            })
        }
    }

    /// Refreshes a held lock's heartbeat; false when the lock is no longer this holder's.
    pub async fn heartbeat_server_lock(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE server_locks SET heartbeat_at = $1 WHERE name = $2 AND holder = $3",
        )
        .bind(to_millis(now))
        .bind(name)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Who holds the lock `name` now, if anyone.
    pub async fn server_lock_holder(&self, name: &str) -> Result<Option<LockHolder>, StoreError> {
        let row = sqlx::query("SELECT holder, host, pid, listen FROM server_locks WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(lock_holder).transpose()
    }

    pub async fn release_server_lock(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM server_locks WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the database answers (for a health check).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
