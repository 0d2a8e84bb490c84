//! The supervisor: what drives a job's runs on a backend, for any front end (the command line
//! drives one job; a server drives many jobs of many users on one shared backend).
//!
//! The store is the source of truth for what was asked (jobs, runs) and what finished
//! (attempts, committed results); the backend for where execution is now. The supervisor:
//!
//! - **submits** every open run no live backend job holds, all at once: the backend splits them
//!   as its API needs and reports accepted parts, which are recorded as they land;
//! - **watches**: each tick describes every open run in one call, reconciles the answers with
//!   the store in one transaction per kind of change, and forwards cancellation requests;
//! - **resumes** after a crash: submitting again finds what the backend still holds (by the
//!   runs' natural keys) and submits only what it lost.

mod error;
mod submit;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::{Job, JobSpec, SimulationRunner};
use fredbatch_store::Store;

pub use error::SupervisorError;
pub use submit::submit_open_runs;
pub use watch::{JobWatch, LOST_AFTER};

/// A store and the backend its jobs run on: everything the supervisor needs.
#[derive(Clone)]
pub struct Supervisor {
    pub store: Store,
    pub runner: Arc<dyn SimulationRunner>,
}

impl Supervisor {
    pub fn new(store: Store, runner: Arc<dyn SimulationRunner>) -> Supervisor {
        Supervisor { store, runner }
    }

    /// Submits every open run of `job` that no live backend job holds: new runs, and runs
    /// whose backend job was lost with the process that ran it. Returns how many were
    /// submitted. Used to start a job and to resume one.
    pub async fn submit(&self, job: &Job) -> Result<usize, SupervisorError> {
        submit_open_runs(&self.store, self.runner.as_ref(), job).await
    }

    /// Starts watching `job`'s open runs.
    pub async fn watch(&self, job: &Job) -> Result<JobWatch, SupervisorError> {
        JobWatch::load(&self.store, job).await
    }

    /// Brings the store up to date with the backend once (for `status` of jobs whose backend
    /// outlives any process, such as AWS Batch).
    pub async fn sync_once(&self, job: &Job) -> Result<(), SupervisorError> {
        let mut watch = self.watch(job).await?;
        watch.tick(&self.store, self.runner.as_ref()).await
    }

    /// Watches `job` until every run has ended or `stop` resolves, calling `on_tick` with the
    /// counts after each tick. Returns whether every run ended.
    pub async fn run_to_end(
        &self,
        job: &Job,
        tick: Duration,
        mut on_tick: impl FnMut(&fredbatch_store::StatusCounts),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<bool, SupervisorError> {
        let mut watch = self.watch(job).await?;
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        on_tick(&watch.counts);
        while !watch.is_finished() {
            tokio::select! {
                _ = interval.tick() => {}
                _ = &mut stop => return Ok(false),
            }
            watch.tick(&self.store, self.runner.as_ref()).await?;
            on_tick(&watch.counts);
        }
        Ok(true)
    }
}

/// The submission parameters of a stored job on `runner`.
pub fn job_spec(job: &Job, runner: &dyn SimulationRunner) -> JobSpec {
    JobSpec {
        job_id: job.id,
        resources: job.resources,
        retry: runner.retry_strategy(job.max_attempts),
        attempt_timeout: Duration::from_secs(job.attempt_timeout_seconds),
    }
}
