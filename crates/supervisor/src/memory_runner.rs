//! An in-memory backend for tests (cargo feature `testing`): it holds submitted backend jobs in
//! a map and answers what the test sets. Nothing runs: a job stays SUBMITTED until the test
//! moves it with [`MemoryRunner::set_state`]. Tests of the supervisor set every answer
//! (failing submissions part way, throttled describes, refused cancels); tests of a front end
//! (the server's routes) use it as a backend that accepts everything.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fredbatch_core::{
    BackendJob, BackendJobId, BackendState, JobSpec, LogPage, LogRequest, RetryStrategy, RunId,
    RunSubmission, RunnerError, SimulationRunner, SubmitProgress,
};

/// Backend ids unique across every runner of the process, as a real backend's are.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Submissions accepted per part by [`MemoryRunner::new`].
const DEFAULT_PART_SIZE: usize = 1000;

/// A backend that holds jobs in memory and answers what the test says.
#[derive(Default)]
pub struct MemoryRunner {
    state: Mutex<Memory>,
}

/// What the runner holds and how it is told to answer; reach it with [`MemoryRunner::with`].
#[derive(Default)]
pub struct Memory {
    pub jobs: HashMap<BackendJobId, BackendJob>,
    /// How many runs each submit call carried.
    pub submit_calls: Vec<usize>,
    /// How many ids each describe call carried.
    pub describe_calls: Vec<usize>,
    pub cancelled: Vec<BackendJobId>,
    /// Submissions accepted per part before the next part goes out.
    pub part_size: usize,
    /// Fail the submission after this many parts were accepted.
    pub fail_after_parts: Option<usize>,
    pub fail_describe: bool,
    pub fail_cancel: bool,
}

impl MemoryRunner {
    /// A runner that accepts everything, in parts of a thousand runs.
    pub fn new() -> Arc<MemoryRunner> {
        MemoryRunner::with_parts(DEFAULT_PART_SIZE)
    }

    /// A runner that reports accepted submissions `part_size` at a time.
    pub fn with_parts(part_size: usize) -> Arc<MemoryRunner> {
        let runner = MemoryRunner::default();
        runner.with(|m| m.part_size = part_size);
        Arc::new(runner)
    }

    /// Moves a submitted job to `state`, with `reason` as its status reason.
    pub fn set_state(&self, id: &BackendJobId, state: BackendState, reason: Option<&str>) {
        self.with(|m| {
            let job = m.jobs.get_mut(id).expect("a submitted job");
            job.state = state;
            job.status_reason = reason.map(str::to_owned);
        })
    }

    /// Loses a job, as a backend whose process died with it does.
    pub fn forget(&self, id: &BackendJobId) {
        self.with(|m| m.jobs.remove(id));
    }

    /// Reads or changes what the runner holds.
    pub fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> T {
        f(&mut self.state.lock().expect("memory runner state"))
    }

    /// The live job named `name`, or a new SUBMITTED one (a resubmission finds what is there).
    fn job_named(memory: &mut Memory, name: &str) -> BackendJobId {
        if let Some(job) = memory
            .jobs
            .values()
            .find(|j| j.name == name && j.state != BackendState::Failed)
        {
            return job.id.clone();
        }
        let id = BackendJobId(format!("mem-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
        memory.jobs.insert(
            id.clone(),
            BackendJob {
                id: id.clone(),
                name: name.to_owned(),
                state: BackendState::Submitted,
                status_reason: None,
                attempts: Vec::new(),
                started_at: None,
                stopped_at: None,
            },
        );
        id
    }
}

#[async_trait]
impl SimulationRunner for MemoryRunner {
    fn kind(&self) -> fredbatch_core::BackendKind {
        // Supervised as a local backend: the jobs of the tests are recorded as local jobs.
        fredbatch_core::BackendKind::Local
    }

    fn retry_strategy(&self, attempts: u32) -> RetryStrategy {
        RetryStrategy::interruptions_only(attempts, "Host memory*")
    }

    async fn largest_run(&self) -> Result<Option<fredbatch_core::Ceiling>, RunnerError> {
        Ok(None)
    }

    async fn submit(
        &self,
        _job: &JobSpec,
        runs: &[RunSubmission],
        progress: &dyn SubmitProgress,
    ) -> Result<Vec<BackendJobId>, RunnerError> {
        let (part_size, fail_after) = self.with(|m| {
            m.submit_calls.push(runs.len());
            (m.part_size.max(1), m.fail_after_parts)
        });
        let mut ids = Vec::new();
        for (part, chunk) in runs.chunks(part_size).enumerate() {
            if fail_after == Some(part) {
                return Err(RunnerError::Unavailable {
                    message: "the connection dropped".into(),
                });
            }
            let accepted: Vec<(RunId, BackendJobId)> = self.with(|m| {
                chunk
                    .iter()
                    .map(|run| (run.run_id, MemoryRunner::job_named(m, &run.name)))
                    .collect()
            });
            progress.accepted(&accepted).await?;
            ids.extend(accepted.into_iter().map(|(_, id)| id));
        }
        Ok(ids)
    }

    async fn describe(
        &self,
        ids: &[BackendJobId],
    ) -> Result<HashMap<BackendJobId, BackendJob>, RunnerError> {
        self.with(|m| {
            m.describe_calls.push(ids.len());
            if m.fail_describe {
                return Err(RunnerError::Throttled {
                    message: "slow down".into(),
                });
            }
            Ok(ids
                .iter()
                .filter_map(|id| m.jobs.get(id).map(|j| (id.clone(), j.clone())))
                .collect())
        })
    }

    async fn cancel(&self, id: &BackendJobId, reason: &str) -> Result<(), RunnerError> {
        self.with(|m| {
            if m.fail_cancel {
                return Err(RunnerError::Unavailable {
                    message: "down".into(),
                });
            }
            m.cancelled.push(id.clone());
            if let Some(job) = m.jobs.get_mut(id) {
                job.state = BackendState::Failed;
                job.status_reason = Some(reason.to_owned());
            }
            Ok(())
        })
    }

    async fn logs(&self, _id: &BackendJobId, _r: &LogRequest) -> Result<LogPage, RunnerError> {
        Ok(LogPage::default())
    }
}
