//! The one rule that keeps a job on its backend: a job is supervised only by a runner of the
//! kind it was submitted to. A runner of another kind would not know the job's backend jobs,
//! take its runs for lost and submit them a second time there, so it refuses instead, loudly:
//! the refusal is the job's status reason until a supervisor of the right kind takes it.

use fredbatch_core::{BackendKind, Job, JobId, SimulationRunner};
use fredbatch_store::Store;

use crate::error::SupervisorError;

/// A job whose recorded backend is not the supervising runner's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "job {job} was submitted to {recorded}; this process supervises {runner} jobs, so its runs are \
     left where they are: supervise it on {recorded} (`fredbatch serve --backend {recorded}`, or \
     `fredbatch resume {job}`)"
)]
pub struct WrongBackend {
    pub job: JobId,
    /// The backend the job needs: the one its runs were submitted to.
    pub recorded: BackendKind,
    /// The backend of the runner asked to supervise it.
    pub runner: BackendKind,
}

/// Refuses `job` unless `runner` is of its recorded kind, recording the refusal as the job's
/// status reason (submitting on the right kind clears it: see [`clear_refusal`]).
pub async fn check_backend(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
) -> Result<(), SupervisorError> {
    let recorded = job.backend.kind();
    if recorded != runner.kind() {
        let refusal = WrongBackend {
            job: job.id,
            recorded,
            runner: runner.kind(),
        };
        store
            .set_job_status_reason(job.id, Some(&refusal.to_string()))
            .await?;
        return Err(refusal.into());
    }
    Ok(())
}

/// A supervisor of the job's own kind is submitting its runs: a refusal recorded by another
/// one no longer holds.
pub async fn clear_refusal(store: &Store, job: &Job) -> Result<(), SupervisorError> {
    if job.status_reason.is_some() {
        store.set_job_status_reason(job.id, None).await?;
    }
    Ok(())
}
