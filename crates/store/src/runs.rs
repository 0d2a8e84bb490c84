//! Reading runs and applying what the backend says about them.

use chrono::{DateTime, Utc};
use fredbatch_core::sync::{CANCELLED_REASON, RunChange};
use fredbatch_core::{BackendJobId, JobId, Run, RunId, RunStatus};

use crate::Store;
use crate::error::StoreError;
use crate::rows::{self, RUN_COLUMNS};
use crate::sql;
use crate::time::to_millis;

impl Store {
    /// All runs of a job, by run number.
    pub async fn runs(&self, job: JobId) -> Result<Vec<Run>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE job_id = $1 ORDER BY run_number"
        ))
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::run).collect()
    }

    /// Runs of a job that have not ended.
    pub async fn open_runs(&self, job: JobId) -> Result<Vec<Run>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE job_id = $1 AND {open} ORDER BY run_number",
            open = sql::run_is_open("status"),
        ))
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::run).collect()
    }

    /// The given runs, in any order; ids that do not exist are skipped.
    pub async fn runs_by_ids(&self, ids: &[RunId]) -> Result<Vec<Run>, StoreError> {
        let mut runs = Vec::with_capacity(ids.len());
        // Integers only, so the list is written into the statement; chunks keep it short.
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|id| id.0.to_string()).collect();
            let rows = sqlx::query(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE id IN ({})",
                list.join(", ")
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                runs.push(rows::run(row)?);
            }
        }
        Ok(runs)
    }

    /// Open runs of a job that someone asked to cancel.
    pub async fn cancel_requests(&self, job: JobId) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM runs WHERE job_id = $1 AND cancel_requested = 1 AND {open}",
            open = sql::run_is_open("status"),
        ))
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(RunId).collect())
    }

    /// A job's run by its number (array jobs address runs by index).
    pub async fn run_by_number(&self, job: JobId, run_number: u32) -> Result<Run, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE job_id = $1 AND run_number = $2"
        ))
        .bind(job.0)
        .bind(i64::from(run_number))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NoSuchRunNumber { job, run_number })?;
        rows::run(&row)
    }

    pub async fn run(&self, id: RunId) -> Result<Run, StoreError> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NoSuchRun(id))?;
        rows::run(&row)
    }

    /// Records which backend job runs each run, in one transaction; a reason the run waited
    /// (see `set_waiting_reason`) no longer holds. Runs that ended meanwhile keep their row as
    /// it is.
    pub async fn record_submissions(
        &self,
        submitted: &[(RunId, BackendJobId)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (run, backend_id) in submitted {
            sqlx::query(&format!(
                "UPDATE runs SET backend_job_id = $1, backend_state = '{submitted}', \
                 status_reason = NULL WHERE id = $2 AND {open}",
                submitted = fredbatch_core::BackendState::Submitted,
                open = sql::run_is_open("status"),
            ))
            .bind(&backend_id.0)
            .bind(run.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies reconciled changes in one transaction. A change never overwrites a run that
    /// already ended (a committed DONE in particular). Returns how many rows changed.
    pub async fn apply_changes(&self, changes: &[RunChange]) -> Result<u64, StoreError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let mut changed = 0;
        for change in changes {
            let result = sqlx::query(&format!(
                "UPDATE runs SET status = $1, backend_state = $2, \
                 status_reason = COALESCE($3, status_reason), \
                 attempts = CASE WHEN attempts > $4 THEN attempts ELSE $4 END, \
                 started_at = COALESCE(started_at, $5), finished_at = $6 \
                 WHERE id = $7 AND {open}",
                open = sql::run_is_open("status"),
            ))
            .bind(change.status.as_str())
            .bind(change.backend_state.as_str())
            .bind(change.status_reason.as_deref())
            .bind(i64::from(change.attempts))
            .bind(change.started_at.map(to_millis))
            .bind(change.finished_at.map(to_millis))
            .bind(change.run_id.0)
            .execute(&mut *tx)
            .await?;
            changed += result.rows_affected();
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records the backend's last word on runs that already ended (their status stays).
    pub async fn record_backend_states(
        &self,
        states: &[(RunId, fredbatch_core::BackendState)],
    ) -> Result<(), StoreError> {
        if states.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (run, state) in states {
            sqlx::query("UPDATE runs SET backend_state = $1 WHERE id = $2")
                .bind(state.as_str())
                .bind(run.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks open runs (one, or all of a job) as to be cancelled and returns them.
    pub async fn request_cancel(
        &self,
        job: JobId,
        run: Option<RunId>,
    ) -> Result<Vec<Run>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let filter = match run {
            Some(_) => "job_id = $1 AND id = $2",
            None => "job_id = $1 AND $2 = $2",
        };
        sqlx::query(&format!(
            "UPDATE runs SET cancel_requested = 1 WHERE {filter} AND {open}",
            open = sql::run_is_open("status"),
        ))
        .bind(job.0)
        .bind(run.map_or(0, |r| r.0))
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE {filter} AND cancel_requested = 1 AND {open} \
             ORDER BY run_number",
            open = sql::run_is_open("status"),
        ))
        .bind(job.0)
        .bind(run.map_or(0, |r| r.0))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(rows::run).collect()
    }

    /// Ends runs as CANCELLED directly, when no backend holds them any more.
    pub async fn mark_cancelled(
        &self,
        runs: &[RunId],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for run in runs {
            sqlx::query(&format!(
                "UPDATE runs SET status = {cancelled}, status_reason = $1, finished_at = $2 \
                 WHERE id = $3 AND {open}",
                cancelled = sql::run_status(RunStatus::Cancelled),
                open = sql::run_is_open("status"),
            ))
            .bind(CANCELLED_REASON)
            .bind(to_millis(now))
            .bind(run.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the backend job of open runs whose backend no longer knows them (the process
    /// that ran them died), so they can be submitted again. Attempts already made are kept.
    pub async fn reset_for_resubmission(&self, runs: &[RunId]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for run in runs {
            sqlx::query(&format!(
                "UPDATE runs SET status = {queued}, backend_job_id = NULL, backend_state = NULL \
                 WHERE id = $1 AND {open}",
                queued = sql::run_status(RunStatus::Queued),
                open = sql::run_is_open("status"),
            ))
            .bind(run.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
