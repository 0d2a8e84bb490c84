//! Runs sent again after a failed attempt, with the size their next attempt gets (more memory
//! after running out of it, more time, or the same after an interruption).

use fredbatch_core::{RunId, RunSize, RunStatus};

use crate::Store;
use crate::error::StoreError;
use crate::sql;

impl Store {
    /// Puts an open run back in the queue as a new backend job whose attempts run with `size`.
    /// Its attempts so far are kept (they say why it goes again); the new backend job's
    /// attempts are numbered after them. Its status reason is cleared, so the next attempt's
    /// end is never read in the last one's words. Returns whether the run was still open (a run that ended
    /// meanwhile, e.g. committed DONE by a late worker, is left alone).
    pub async fn requeue_resized(&self, run: RunId, size: &RunSize) -> Result<bool, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE runs SET status = {queued}, status_reason = NULL, backend_job_id = NULL, \
             backend_state = NULL, retries = retries + 1, vcpus = $1, memory_mb = $2, \
             timeout_seconds = $3, attempts_before = \
             CASE WHEN attempts > attempts_started THEN attempts ELSE attempts_started END \
             WHERE id = $4 AND {open}",
            queued = sql::run_status(RunStatus::Queued),
            open = sql::run_is_open("status"),
        ))
        .bind(i64::from(size.resources.vcpus))
        .bind(size.resources.memory_mb as i64)
        .bind(size.timeout_seconds as i64)
        .bind(run.0)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}
