//! Runs sent again after a failed attempt, with the size their next attempt gets (more memory
//! after running out of it, more time, or the same after an interruption).

use fredbatch_core::{RunId, RunSize, RunStatus};

use crate::Store;
use crate::error::StoreError;
use crate::sql;

impl Store {
    /// Puts an open run back in the queue as a new backend job whose attempts run with `size`,
    /// `why` as its status reason. Its attempts so far are kept; the new backend job's attempts
    /// are numbered after them. Returns whether the run was still open (a run that ended
    /// meanwhile, e.g. committed DONE by a late worker, is left alone).
    pub async fn requeue_resized(
        &self,
        run: RunId,
        size: &RunSize,
        why: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE runs SET status = {queued}, status_reason = $1, backend_job_id = NULL, \
             backend_state = NULL, retries = retries + 1, vcpus = $2, memory_mb = $3, \
             timeout_seconds = $4, attempts_before = \
             CASE WHEN attempts > attempts_started THEN attempts ELSE attempts_started END \
             WHERE id = $5 AND {open}",
            queued = sql::run_status(RunStatus::Queued),
            open = sql::run_is_open("status"),
        ))
        .bind(why)
        .bind(i64::from(size.resources.vcpus))
        .bind(size.resources.memory_mb as i64)
        .bind(size.timeout_seconds as i64)
        .bind(run.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
