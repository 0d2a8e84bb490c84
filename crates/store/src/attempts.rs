//! What the worker records: the start and end of each attempt, and the one committed result.
//!
//! A run's result is committed at most once: the commit is a conditional update that only an
//! open run accepts, so of two workers racing on one run exactly one commits, and a later
//! failing attempt can never replace a committed success.

use chrono::{DateTime, Utc};
use fredbatch_core::model::Measurements;
use fredbatch_core::sync::{TIMEOUT_REASON, is_interruption};
use fredbatch_core::{Attempt, AttemptStatus, BackendJob, BackendJobId, RunId, RunStatus};

use sqlx::{Any, Row, Transaction};

use crate::Store;
use crate::error::StoreError;
use crate::reuse::RunInputs;
use crate::rows::{self, ATTEMPT_COLUMNS};
use crate::sql;
use crate::time::to_millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BeginAttempt {
    /// Go ahead: this is attempt `number`.
    Started { number: u32 },
    /// The run ended already (DONE, CANCELLED or ERROR); there is nothing to do.
    AlreadyEnded { status: RunStatus },
}

/// How an attempt ended, as the worker saw it.
#[derive(Clone, Debug)]
pub struct AttemptEnd {
    pub status: AttemptStatus,
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    pub finished_at: DateTime<Utc>,
    pub measurements: Option<Measurements>,
    /// Where this attempt's outputs were uploaded.
    pub results_key: Option<String>,
    /// FRED's warning lines (`warnings.txt`).
    pub warnings: Vec<String>,
    /// For a success: the inputs behind its results, recorded on the run with them.
    pub inputs: Option<RunInputs>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    /// This attempt's result is the run's result; the run is DONE.
    Committed,
    /// Another attempt committed first; this one's outputs are not the run's.
    AlreadyCommitted,
    /// A failed or interrupted attempt was recorded; the run stays open for the backend to
    /// retry or end.
    Recorded,
}

impl Store {
    /// Starts a new attempt of an open run: numbers it and marks the run RUNNING. The number
    /// follows the attempts started before, or is `backend_attempt` (the backend's own count,
    /// e.g. AWS Batch's `AWS_BATCH_JOB_ATTEMPT`) when that is higher: an attempt that died
    /// before its worker started keeps its number.
    pub async fn begin_attempt(
        &self,
        run: RunId,
        backend_job_id: Option<&BackendJobId>,
        backend_attempt: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<BeginAttempt, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The backend numbers only its own job's attempts: the run's earlier backend jobs made
        // `attempts_before`.
        const NEXT: &str = "CASE WHEN attempts_started + 1 >= attempts_before + $3 \
             THEN attempts_started + 1 ELSE attempts_before + $3 END";
        let number: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE runs SET attempts_started = {NEXT}, \
             attempts = CASE WHEN attempts > {NEXT} THEN attempts ELSE {NEXT} END, \
             status = {running}, started_at = COALESCE(started_at, $1) \
             WHERE id = $2 AND {open} RETURNING attempts_started",
            running = sql::run_status(RunStatus::Running),
            open = sql::run_is_open("status"),
        ))
        .bind(to_millis(now))
        .bind(run.0)
        .bind(i64::from(backend_attempt.unwrap_or(0)))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(number) = number else {
            tx.rollback().await?;
            let status = self.run(run).await?.status;
            return Ok(BeginAttempt::AlreadyEnded { status });
        };
        let size = current_size(&mut tx, run).await?;
        sqlx::query(
            "INSERT INTO attempts (run_id, number, backend_job_id, status, started_at, vcpus, \
             memory_mb, timeout_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(run.0)
        .bind(number)
        .bind(backend_job_id.map(|id| id.0.as_str()))
        .bind(AttemptStatus::Running.as_str())
        .bind(to_millis(now))
        .bind(size.0)
        .bind(size.1)
        .bind(size.2)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BeginAttempt::Started {
            number: number as u32,
        })
    }

    /// Records the end of an attempt and, for a success, commits its result unless another
    /// attempt already did.
    pub async fn finish_attempt(
        &self,
        run: RunId,
        number: u32,
        end: &AttemptEnd,
    ) -> Result<CommitOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let measured = end.measurements;
        let warnings = rows::warnings_json(&end.warnings);
        sqlx::query(
            "UPDATE attempts SET status = $1, reason = $2, exit_code = $3, finished_at = $4, \
             wall_seconds = $5, cpu_seconds = $6, peak_rss_kb = $7, output_bytes = $8, \
             results_key = $9, warnings = $10 WHERE run_id = $11 AND number = $12",
        )
        .bind(end.status.as_str())
        .bind(end.reason.as_deref())
        .bind(end.exit_code.map(i64::from))
        .bind(to_millis(end.finished_at))
        .bind(measured.map(|m| m.wall_seconds))
        .bind(measured.map(|m| m.cpu_seconds))
        .bind(measured.map(|m| m.peak_rss_kb as i64))
        .bind(measured.map(|m| m.output_bytes as i64))
        .bind(end.results_key.as_deref())
        .bind(warnings.as_deref())
        .bind(run.0)
        .bind(i64::from(number))
        .execute(&mut *tx)
        .await?;
        let outcome = if end.status == AttemptStatus::Succeeded {
            let inputs = end.inputs.as_ref();
            let fingerprint = inputs.map(|i| &i.fingerprint);
            let committed = sqlx::query(&format!(
                "UPDATE runs SET status = {done}, status_reason = NULL, results_key = $1, \
                 committed_attempt = $2, finished_at = $3, warnings = $4, engine_digest = $5, \
                 model_digest = $6, overrides_digest = $7, fingerprint = $8, reused_from = $9, \
                 reuse_note = $10 WHERE id = $11 AND {open}",
                done = sql::run_status(RunStatus::Done),
                open = sql::run_is_open("status"),
            ))
            .bind(end.results_key.as_deref())
            .bind(i64::from(number))
            .bind(to_millis(end.finished_at))
            .bind(warnings.as_deref())
            .bind(fingerprint.map(|f| f.engine.as_str()))
            .bind(fingerprint.map(|f| f.model.as_str()))
            .bind(fingerprint.map(|f| f.overrides.as_str()))
            .bind(fingerprint.map(|f| f.key()))
            .bind(inputs.and_then(|i| i.reused_from).map(|r| r.0))
            .bind(inputs.and_then(|i| i.note.as_deref()))
            .bind(run.0)
            .execute(&mut *tx)
            .await?;
            if committed.rows_affected() == 1 {
                CommitOutcome::Committed
            } else {
                CommitOutcome::AlreadyCommitted
            }
        } else {
            // The run's reason is its latest attempt's: a stale attempt ending late (an orphaned
            // worker stopping after a resumed job started the next one) must not replace it.
            sqlx::query(&format!(
                "UPDATE runs SET status_reason = $1, warnings = $2 WHERE id = $3 AND {open} \
                 AND NOT EXISTS (SELECT 1 FROM attempts WHERE run_id = $3 AND number > $4)",
                open = sql::run_is_open("status"),
            ))
            .bind(end.reason.as_deref())
            .bind(warnings.as_deref())
            .bind(run.0)
            .bind(i64::from(number))
            .execute(&mut *tx)
            .await?;
            CommitOutcome::Recorded
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Fills in what a backend knows of runs' ended attempts: where each attempt's log is and,
    /// for an attempt whose worker never recorded its end (a reclaimed machine, a killed
    /// container, a worker that never started), how it ended. The backend's attempt `i` is
    /// the run's attempt `i + 1` after those of its earlier backend jobs. Safe to repeat:
    /// nothing the worker recorded is overwritten.
    pub async fn record_backend_attempts(
        &self,
        jobs: &[(RunId, &BackendJob)],
    ) -> Result<(), StoreError> {
        // Read before the transaction: a transaction that reads before it writes fails at once
        // on SQLite (instead of waiting) when another process wrote in between. Only the
        // supervisor, this process, changes `attempts_before`.
        let mut before = Vec::with_capacity(jobs.len());
        for (run, _) in jobs {
            let earlier: i64 = sqlx::query_scalar("SELECT attempts_before FROM runs WHERE id = $1")
                .bind(run.0)
                .fetch_one(&self.pool)
                .await?;
            before.push(earlier);
        }
        let mut tx = self.pool.begin().await?;
        for ((run, job), before) in jobs.iter().zip(before) {
            for (index, attempt) in job.attempts.iter().enumerate() {
                let Some(stopped_at) = attempt.stopped_at else {
                    continue;
                };
                let number = before + index as i64 + 1;
                let reason = attempt.end_reason();
                let status = if reason
                    .is_some_and(|r| is_interruption(r) || r.starts_with(TIMEOUT_REASON))
                {
                    AttemptStatus::Interrupted
                } else {
                    AttemptStatus::Failed
                };
                let updated = sqlx::query(&format!(
                    "UPDATE attempts SET log_ref = COALESCE(log_ref, $1), \
                     exit_code = CASE WHEN status = '{running}' THEN $2 ELSE exit_code END, \
                     reason = CASE WHEN status = '{running}' THEN $3 ELSE reason END, \
                     finished_at = CASE WHEN status = '{running}' THEN $4 ELSE finished_at END, \
                     status = CASE WHEN status = '{running}' THEN $5 ELSE status END \
                     WHERE run_id = $6 AND number = $7",
                    // The worker never recorded the attempt's end: the backend's word stands.
                    running = AttemptStatus::Running.as_str(),
                ))
                .bind(attempt.log_ref.as_deref())
                .bind(attempt.exit_code.map(i64::from))
                .bind(reason)
                .bind(to_millis(stopped_at))
                .bind(status.as_str())
                .bind(run.0)
                .bind(number)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() > 0 {
                    continue;
                }
                let size = current_size(&mut tx, *run).await?;
                sqlx::query(
                    "INSERT INTO attempts (run_id, number, backend_job_id, status, reason, \
                     exit_code, started_at, finished_at, log_ref, vcpus, memory_mb, \
                     timeout_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(run.0)
                .bind(number)
                .bind(job.id.0.as_str())
                .bind(status.as_str())
                .bind(reason)
                .bind(attempt.exit_code.map(i64::from))
                .bind(to_millis(attempt.started_at.unwrap_or(stopped_at)))
                .bind(to_millis(stopped_at))
                .bind(attempt.log_ref.as_deref())
                .bind(size.0)
                .bind(size.1)
                .bind(size.2)
                .execute(&mut *tx)
                .await?;
                // A later worker numbers its attempt after this one.
                sqlx::query(
                    "UPDATE runs SET attempts_started = $1 WHERE id = $2 AND attempts_started < $1",
                )
                .bind(number)
                .bind(run.0)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// A run's attempts, first to last.
    pub async fn attempts(&self, run: RunId) -> Result<Vec<Attempt>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE run_id = $1 ORDER BY number"
        ))
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::attempt).collect()
    }
}

/// The size `run`'s attempt starting now runs with, as (vCPUs, memory MB, timeout seconds):
/// the run's own once a retry changed it, else its job's.
async fn current_size(
    tx: &mut Transaction<'_, Any>,
    run: RunId,
) -> Result<(i64, i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(r.vcpus, j.vcpus) AS vcpus, COALESCE(r.memory_mb, j.memory_mb) AS memory_mb, \
         COALESCE(r.timeout_seconds, j.attempt_timeout_seconds) AS timeout_seconds \
         FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = $1",
    )
    .bind(run.0)
    .fetch_one(&mut **tx)
    .await?;
    Ok((
        row.try_get("vcpus")?,
        row.try_get("memory_mb")?,
        row.try_get("timeout_seconds")?,
    ))
}
