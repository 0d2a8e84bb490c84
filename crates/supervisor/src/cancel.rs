//! Forwarding cancellation requests to the backend. A request is recorded in the store (by
//! any process); whoever supervises the job forwards it: a watch at its next round, or a
//! front end at once when no process watches the job ([`crate::Supervisor::forward_cancellations`]).

use chrono::Utc;
use fredbatch_core::sync::CANCELLED_REASON;
use fredbatch_core::{BackendJobId, Run, RunId, SimulationRunner};
use fredbatch_store::Store;

use crate::error::SupervisorError;

/// What became of one forwarded request.
pub(crate) enum Forwarded {
    /// The backend was told to stop the run's job; the run ends when the backend says so.
    ToBackend,
    /// No backend job holds the run: it can end CANCELLED at once.
    NotSubmitted(RunId),
}

/// Asks the backend to stop one run (`backend_job`: the job holding it, if any).
pub(crate) async fn forward(
    runner: &dyn SimulationRunner,
    run: RunId,
    backend_job: Option<&BackendJobId>,
) -> Result<Forwarded, SupervisorError> {
    match backend_job {
        Some(id) => {
            runner
                .cancel(id, CANCELLED_REASON)
                .await
                .map_err(SupervisorError::backend("cancelling a run"))?;
            Ok(Forwarded::ToBackend)
        }
        None => Ok(Forwarded::NotSubmitted(run)),
    }
}

/// Forwards every run's request, then ends the runs no backend job holds CANCELLED.
pub(crate) async fn forward_all(
    store: &Store,
    runner: &dyn SimulationRunner,
    runs: &[Run],
) -> Result<(), SupervisorError> {
    let mut unsubmitted = Vec::new();
    for run in runs {
        if let Forwarded::NotSubmitted(id) =
            forward(runner, run.id, run.backend_job_id.as_ref()).await?
        {
            unsubmitted.push(id);
        }
    }
    store.mark_cancelled(&unsubmitted, Utc::now()).await?;
    Ok(())
}
