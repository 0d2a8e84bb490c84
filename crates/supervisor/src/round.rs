//! One supervision round over any number of watched jobs: the one-job command line and the
//! many-job server both go through it, so a job is reconciled alike wherever it runs.

use std::collections::HashMap;

use fredbatch_core::{BackendJobId, JobId, SimulationRunner};
use fredbatch_store::Store;

use crate::error::SupervisorError;
use crate::watch::JobWatch;

/// See [`crate::Supervisor::reconcile`].
pub(crate) async fn reconcile<'w>(
    store: &Store,
    runner: &dyn SimulationRunner,
    watches: impl IntoIterator<Item = &'w mut JobWatch>,
) -> Result<Vec<(JobId, SupervisorError)>, SupervisorError> {
    let mut watches: Vec<&mut JobWatch> = watches.into_iter().collect();
    let ids: Vec<BackendJobId> = watches
        .iter()
        .flat_map(|watch| watch.open_backend_jobs())
        .collect();
    let described = runner.describe(&ids).await;
    crate::telemetry::backend_call("describe", &described);
    let described: HashMap<_, _> = described.map_err(SupervisorError::backend(
        "asking the backend for run states",
    ))?;
    let mut failed = Vec::new();
    for watch in &mut watches {
        if let Err(error) = watch.apply(store, runner, &described).await {
            failed.push((watch.job(), error));
        }
    }
    Ok(failed)
}
