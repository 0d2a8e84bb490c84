//! The local executor: the embedded default backend. It runs the worker command as child
//! processes on this machine with the semantics of the stack's AWS Batch job definition, and
//! walks through exactly AWS Batch's states:
//!
//! - SUBMITTED → RUNNABLE when queued; STARTING → RUNNING once the process is spawned;
//! - an attempt starts only when free vCPUs and memory cover the run's request (FIFO);
//! - SUCCEEDED on exit 0; otherwise the retry strategy decides between RUNNABLE (another
//!   attempt) and FAILED, as AWS Batch's `evaluateOnExit` would. A worker killed by a signal
//!   we did not send is a *host interruption* (`Host local: ...`), the local twin of a
//!   reclaimed Spot instance;
//! - the per-attempt timeout and cancellation signal the attempt's whole process group
//!   (SIGTERM, then SIGKILL after a grace period) and are never retried;
//! - each attempt's stdout and stderr go to `<log_dir>/<backend id>/attempt-<n>.log`.
//!
//! State lives in memory: a job is known only to the executor that runs it. Logs are files, so
//! any process can read them.

mod attempt;
mod logs;
mod machine;
mod memory;
mod state;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use fredbatch_core::{
    BackendJob, BackendJobId, BackendState, Ceiling, JobSpec, LogPage, LogRequest, Resources,
    RetryStrategy, RunSubmission, RunnerError, SimulationRunner, SubmitProgress,
};
use tokio::sync::Notify;

pub use machine::machine_capacity;

use crate::state::{Entry, State, StopCause};

pub struct LocalConfig {
    /// The program every attempt runs, with the arguments of `RunSubmission::worker`.
    pub program: PathBuf,
    /// What the machine offers to runs at once.
    pub capacity: Resources,
    /// Each attempt's output goes to `<log_dir>/<backend job id>/attempt-<n>.log`.
    pub log_dir: PathBuf,
    /// Extra environment for every attempt.
    pub env: Vec<(String, String)>,
    /// Between SIGTERM and SIGKILL when terminating an attempt.
    pub kill_grace: Duration,
}

pub struct LocalExecutor {
    inner: Arc<Inner>,
    scheduler: OnceLock<tokio::task::JoinHandle<()>>,
}

struct Inner {
    config: LocalConfig,
    state: Mutex<State>,
    /// Capacity was freed or work was queued: the scheduler looks again.
    wake: Notify,
}

impl LocalExecutor {
    pub fn new(config: LocalConfig) -> LocalExecutor {
        LocalExecutor {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                wake: Notify::new(),
            }),
            scheduler: OnceLock::new(),
        }
    }

    fn ensure_scheduler(&self) {
        self.scheduler
            .get_or_init(|| tokio::spawn(schedule(Arc::clone(&self.inner))));
    }
}

impl Drop for LocalExecutor {
    fn drop(&mut self) {
        if let Some(scheduler) = self.scheduler.get() {
            scheduler.abort();
        }
    }
}

/// Starts queued attempts whenever capacity allows, until the executor is dropped.
async fn schedule(inner: Arc<Inner>) {
    loop {
        let notified = inner.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let ready = inner
            .state
            .lock()
            .expect("state lock")
            .take_startable(inner.config.capacity);
        for (id, attempt) in ready {
            tokio::spawn(attempt::run(Arc::clone(&inner), id, attempt));
        }
        notified.await;
    }
}

#[async_trait]
impl SimulationRunner for LocalExecutor {
    fn kind(&self) -> fredbatch_core::BackendKind {
        fredbatch_core::BackendKind::Local
    }

    /// A worker killed by a signal nobody here sent is reported as `Host local: ...`.
    fn retry_strategy(&self, attempts: u32) -> RetryStrategy {
        RetryStrategy::interruptions_only(attempts, "Host local*")
    }

    /// What the executor may use of this machine: no run can reserve more.
    async fn largest_run(&self) -> Result<Option<Ceiling>, RunnerError> {
        Ok(Some(Ceiling {
            resources: self.inner.config.capacity,
            source: "what the local executor may use of this machine".to_owned(),
        }))
    }

    async fn submit(
        &self,
        job: &JobSpec,
        runs: &[RunSubmission],
        progress: &dyn SubmitProgress,
    ) -> Result<Vec<BackendJobId>, RunnerError> {
        let capacity = self.inner.config.capacity;
        if !job.resources.fits_in(&capacity) {
            return Err(RunnerError::TooLarge {
                what: "each run (--vcpus/--memory)".into(),
                asked: job.resources,
                available: capacity,
            });
        }
        let spec = Arc::new(job.clone());
        let ids: Vec<BackendJobId> = {
            let mut state = self.inner.state.lock().expect("state lock");
            runs.iter().map(|run| state.enqueue(&spec, run)).collect()
        };
        // Recorded before any of them can start, so a run's worker finds its backend job.
        let accepted: Vec<_> = runs.iter().map(|r| r.run_id).zip(ids.clone()).collect();
        progress.accepted(&accepted).await?;
        self.ensure_scheduler();
        self.inner.wake.notify_one();
        Ok(ids)
    }

    async fn describe(
        &self,
        ids: &[BackendJobId],
    ) -> Result<HashMap<BackendJobId, BackendJob>, RunnerError> {
        let state = self.inner.state.lock().expect("state lock");
        Ok(ids
            .iter()
            .filter_map(|id| {
                state
                    .jobs
                    .get(id)
                    .map(|entry| (id.clone(), entry.describe(id)))
            })
            .collect())
    }

    async fn cancel(&self, id: &BackendJobId, reason: &str) -> Result<(), RunnerError> {
        let mut state = self.inner.state.lock().expect("state lock");
        let entry = state
            .jobs
            .get_mut(id)
            .ok_or_else(|| RunnerError::UnknownJob(id.clone()))?;
        match entry.state {
            BackendState::Succeeded | BackendState::Failed => {}
            BackendState::Starting | BackendState::Running => {
                if let Some(group) = entry.process_group {
                    entry
                        .stop_cause
                        .get_or_insert(StopCause::Cancelled(reason.to_owned()));
                    attempt::terminate_group(group, self.inner.config.kill_grace);
                } else {
                    // Spawning right now: the attempt sees the cause as soon as it has a process.
                    entry
                        .stop_cause
                        .get_or_insert(StopCause::Cancelled(reason.to_owned()));
                }
            }
            _ => {
                entry.fail(reason.to_owned());
                state.queue.retain(|queued| queued != id);
            }
        }
        Ok(())
    }

    async fn logs(&self, id: &BackendJobId, request: &LogRequest) -> Result<LogPage, RunnerError> {
        let dir = self.inner.config.log_dir.join(&id.0);
        tokio::task::spawn_blocking({
            let request = request.clone();
            move || logs::read_page(&dir, &request)
        })
        .await
        .map_err(|e| RunnerError::Io {
            path: id.0.clone(),
            source: std::io::Error::other(e),
        })?
    }
}

impl Entry {
    fn describe(&self, id: &BackendJobId) -> BackendJob {
        BackendJob {
            id: id.clone(),
            name: self.name.clone(),
            state: self.state,
            status_reason: self.status_reason.clone(),
            attempts: self.attempts.clone(),
            started_at: self.started_at,
            stopped_at: self.stopped_at,
        }
    }
}
