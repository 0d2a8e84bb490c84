//! The supervisor: what drives jobs' runs on a backend, for any front end. The command line
//! drives one job ([`Supervisor::run_to_end`]); a server drives every job of every user on one
//! shared backend ([`Fleet`]). Both go through the same submit, round and reconcile code.
//!
//! The store is the source of truth for what was asked (jobs, runs) and what finished
//! (attempts, committed results); the backend for where execution is now. The supervisor:
//!
//! - **submits** every open run no live backend job holds, all at once: the backend splits them
//!   as its API needs and reports accepted parts, which are recorded as they land;
//! - **watches**: each round forwards cancellation requests, describes every open run of every
//!   watched job in one call, and reconciles the answers with the store in one transaction per
//!   kind of change;
//! - **resumes** after a crash: submitting again finds what the backend still holds (by the
//!   runs' natural keys) and submits only what it lost;
//! - **refuses** a job recorded on another backend than its runner's (see [`WrongBackend`]):
//!   a job's runs are never submitted on two backends.

mod backend_check;
mod budget;
mod cancel;
mod check_slots;
mod error;
mod first_run_check;
mod first_wave;
mod fleet;
mod inputs_gate;
#[cfg(feature = "testing")]
mod memory_runner;
pub mod results_zip;
mod retry;
mod round;
mod submit;
mod telemetry;
mod wakeup;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::{Job, JobId, Run, SimulationRunner};
use fredbatch_store::{StatusCounts, Store};

pub use backend_check::WrongBackend;
pub use error::SupervisorError;
pub use fleet::{Fleet, FleetError, JobSupervisionError};
pub use inputs_gate::{InputsCheckError, InputsRefused};
pub use wakeup::JobWakeup;
pub use watch::{JobWatch, LOST_AFTER};

/// Test doubles for front ends' and the supervisor's own tests (cargo feature `testing`).
#[cfg(feature = "testing")]
pub mod testing {
    pub use crate::memory_runner::{Memory, MemoryRunner};
}

/// A store and the backend its jobs run on: everything the supervisor needs.
#[derive(Clone)]
pub struct Supervisor {
    store: Store,
    runner: Arc<dyn SimulationRunner>,
}

impl Supervisor {
    pub fn new(store: Store, runner: Arc<dyn SimulationRunner>) -> Supervisor {
        Supervisor { store, runner }
    }

    /// Submits every open run of `job` that no live backend job holds: new runs, and runs
    /// whose backend job was lost with the process that ran it. Returns how many were
    /// submitted. Used to start a job and to resume one. Refuses a job of another backend
    /// ([`SupervisorError::WrongBackend`]) and records why as its status reason.
    pub async fn submit(&self, job: &Job) -> Result<usize, SupervisorError> {
        submit::submit_open_runs(&self.store, self.runner.as_ref(), job).await
    }

    /// Starts watching `job`'s open runs. Refuses a job of another backend, as `submit` does.
    pub async fn watch(&self, job: &Job) -> Result<JobWatch, SupervisorError> {
        backend_check::check_backend(&self.store, self.runner.as_ref(), job).await?;
        JobWatch::load(&self.store, job).await
    }

    /// One round over one watched job (see [`Supervisor::reconcile`]).
    pub async fn tick(&self, watch: &mut JobWatch) -> Result<(), SupervisorError> {
        match self.reconcile([watch]).await?.pop() {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }

    /// One round over many watched jobs: one describe call for every open run of them all,
    /// then each job reconciles its part. A failed describe fails the round with nothing
    /// written; a job whose reconciling failed is returned with its error while the others go
    /// on (each starts the next round from the same state).
    pub async fn reconcile<'w>(
        &self,
        watches: impl IntoIterator<Item = &'w mut JobWatch>,
    ) -> Result<Vec<(JobId, SupervisorError)>, SupervisorError> {
        round::reconcile(&self.store, self.runner.as_ref(), watches).await
    }

    /// Brings the store up to date with the backend once (for `status` of jobs whose backend
    /// outlives any process, such as AWS Batch).
    /// A job whose first run checks its model gets its other runs submitted (or ended) here
    /// once that run ended, so a detached job goes on without a process watching it.
    pub async fn sync_once(&self, job: &Job) -> Result<(), SupervisorError> {
        let mut watch = self.watch(job).await?;
        self.tick(&mut watch).await?;
        if job.holds_runs() && watch.is_finished() {
            self.submit(job).await?;
        }
        Ok(())
    }

    /// Tells the backend to stop `runs` (whose cancellation was requested in the store) now,
    /// without waiting for a watch's next round; runs no backend job holds end CANCELLED at
    /// once. For a front end that cancels while no process watches the job.
    pub async fn forward_cancellations(&self, runs: &[Run]) -> Result<(), SupervisorError> {
        cancel::forward_all(&self.store, self.runner.as_ref(), runs).await
    }

    /// Watches `job` until every run has ended or `stop` resolves, calling `on_tick` with the
    /// counts after each round. Returns whether every run ended.
    pub async fn run_to_end(
        &self,
        job: &Job,
        tick: Duration,
        mut on_tick: impl FnMut(&StatusCounts),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<bool, SupervisorError> {
        let mut job = job.clone();
        let mut watch = self.watch(&job).await?;
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        on_tick(&watch.counts);
        loop {
            while !watch.is_finished() {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = &mut stop => return Ok(false),
                }
                self.tick(&mut watch).await?;
                on_tick(&watch.counts);
            }
            if !job.holds_runs() {
                return Ok(true);
            }
            // The runs the others waited for ended (the model's check, the first wave, those
            // the budget let start): the others go on or end now.
            self.submit(&job).await?;
            job = self.store.job(job.id).await?;
            watch = self.watch(&job).await?;
            on_tick(&watch.counts);
            if watch.is_finished() {
                return Ok(true);
            }
        }
    }
}
