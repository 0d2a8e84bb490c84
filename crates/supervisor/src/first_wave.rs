//! A job whose runs' size is learned from its own first runs (no measured history of its
//! model, no size given): its first wave runs at the default size while the others wait; once
//! every run of the wave ended, the size they measured becomes the job's, and the others are
//! submitted at it (see `fredbatch_core::sizing`).

use fredbatch_core::sizing::{LearnedFrom, MEMORY_HEADROOM, fit};
use fredbatch_core::{Job, SizeOrigin};
use fredbatch_store::Store;
use tracing::info;

use crate::error::SupervisorError;
use crate::first_run_check::Gate;

/// Where `job`'s first wave stands; once it ended, learns the size and opens the gate for
/// good. Returns the job as it now is (with its learned size).
pub(crate) async fn gate(store: &Store, job: &Job) -> Result<(Gate, Job), SupervisorError> {
    let SizeOrigin::Measuring { wave } = job.size_origin else {
        return Ok((Gate::Open, job.clone()));
    };
    let waiting = store
        .open_runs(job.id)
        .await?
        .iter()
        .any(|run| run.run_number <= wave);
    if waiting {
        return Ok((Gate::FirstRuns(wave), job.clone()));
    }
    let measured = store.measured_first_runs(job.id, wave).await?;
    let (resources, origin) = match fit(&measured, MEMORY_HEADROOM) {
        Some(fit) => (
            fit.resources,
            SizeOrigin::Learned {
                from: LearnedFrom::FirstWave {
                    wave,
                    measured_at: job.resources,
                },
                fit,
            },
        ),
        None => (
            job.resources,
            SizeOrigin::Default {
                why: format!(
                    "the first {wave} run(s) measured nothing (none ran to success here; a run \
                     that took an earlier run's results runs nothing)"
                ),
            },
        ),
    };
    store.set_job_size(job.id, resources, &origin).await?;
    info!(job = %job.id, %resources, %origin, "first wave measured");
    Ok((Gate::Open, store.job(job.id).await?))
}
