//! Cancelling a run on AWS Batch.
//!
//! CancelJob stops a job that has not started (SUBMITTED, PENDING, RUNNABLE); on a STARTING or
//! RUNNING job it succeeds and does nothing, so those get TerminateJob. A job can start between
//! the look and the CancelJob, so after cancelling, the job is looked at once more and
//! terminated if it got away. Either way the job ends FAILED with the given reason; cancelling
//! an array child cancels that child only. A run going on in the fallback queue has its
//! continuation cancelled too; one Spot just gave up on gets its continuation sent and cancelled
//! at once, so no later look sends it (see [`crate::fallback`]).

use fredbatch_core::{BackendJobId, BackendState};

use crate::calls::retrying;
use crate::describe::describe_one;
use crate::error::BatchError;
use crate::mapping::state;
use crate::runner::Ready;

pub async fn cancel(ready: &Ready, id: &BackendJobId, reason: &str) -> Result<(), BatchError> {
    cancel_job(ready, id, reason).await?;
    if ready.config.fallback_queue.is_some()
        && let (_, Some(continuation)) = crate::fallback::describe_run(ready, id).await?
    {
        cancel_job(ready, &continuation, reason).await?;
    }
    Ok(())
}

/// Cancels one Batch job.
async fn cancel_job(ready: &Ready, id: &BackendJobId, reason: &str) -> Result<(), BatchError> {
    let current = match ready.recent_state(&id.0) {
        Some(known) => known,
        None => current_state(ready, id)
            .await?
            .ok_or_else(|| BatchError::UnknownJob(id.clone()))?,
    };
    if current.is_final() {
        return Ok(());
    }
    if current.has_started() {
        return terminate(ready, id, reason).await;
    }
    let request = ready
        .clients
        .batch
        .cancel_job()
        .job_id(&id.0)
        .reason(reason);
    retrying("CancelJob", || request.clone().send()).await?;
    if current_state(ready, id)
        .await?
        .is_some_and(BackendState::has_started)
    {
        tracing::debug!(%id, "the job started before CancelJob reached it; terminating it");
        terminate(ready, id, reason).await?;
    }
    Ok(())
}

async fn terminate(ready: &Ready, id: &BackendJobId, reason: &str) -> Result<(), BatchError> {
    let request = ready
        .clients
        .batch
        .terminate_job()
        .job_id(&id.0)
        .reason(reason);
    retrying("TerminateJob", || request.clone().send()).await?;
    Ok(())
}

async fn current_state(
    ready: &Ready,
    id: &BackendJobId,
) -> Result<Option<BackendState>, BatchError> {
    Ok(describe_one(ready, id)
        .await?
        .and_then(|detail| detail.status().and_then(state)))
}
