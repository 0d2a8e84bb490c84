//! The executor's bookkeeping: every job it holds, the FIFO queue of runnable ones, and the
//! resources in use. Small per run (no logs, no outputs), so large sweeps fit in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use fredbatch_core::{
    BackendAttempt, BackendJobId, BackendState, JobSpec, Resources, RunSubmission,
};
use nix::unistd::Pid;

/// Why the executor itself stopped an attempt (so its end is not mistaken for an interruption).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopCause {
    Cancelled(String),
    TimedOut,
    /// Killed for using more than its reservation (kB at the kill, MB reserved).
    OutOfMemory {
        peak_kb: u64,
        limit_mb: u64,
    },
}

pub struct Entry {
    pub name: String,
    pub spec: Arc<JobSpec>,
    pub args: Vec<String>,
    pub state: BackendState,
    pub status_reason: Option<String>,
    pub attempts: Vec<BackendAttempt>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// The running attempt's process group.
    pub process_group: Option<Pid>,
    pub stop_cause: Option<StopCause>,
}

impl Entry {
    pub fn fail(&mut self, reason: String) {
        self.state = BackendState::Failed;
        self.status_reason = Some(reason);
        self.stopped_at = Some(Utc::now());
    }
}

#[derive(Default)]
pub struct State {
    pub jobs: HashMap<BackendJobId, Entry>,
    by_name: HashMap<String, BackendJobId>,
    pub queue: VecDeque<BackendJobId>,
    pub used: InUse,
    sequence: u64,
}

/// Resources in use; `Default` is nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InUse {
    pub vcpus: u32,
    pub memory_mb: u64,
}

impl State {
    /// Queues a run, or returns the id of the job already holding its name (submission is
    /// idempotent by name, as the AWS backend is). A failed job's name can be submitted again.
    pub fn enqueue(&mut self, spec: &Arc<JobSpec>, run: &RunSubmission) -> BackendJobId {
        if let Some(id) = self.by_name.get(&run.name)
            && self
                .jobs
                .get(id)
                .is_some_and(|entry| entry.state != BackendState::Failed)
        {
            return id.clone();
        }
        self.sequence += 1;
        let id = BackendJobId(format!(
            "{}-{}-{}",
            run.name,
            Utc::now().timestamp_millis(),
            self.sequence
        ));
        self.jobs.insert(
            id.clone(),
            Entry {
                name: run.name.clone(),
                spec: Arc::clone(spec),
                args: run.worker.args(),
                state: BackendState::Runnable,
                status_reason: None,
                attempts: Vec::new(),
                started_at: None,
                stopped_at: None,
                process_group: None,
                stop_cause: None,
            },
        );
        self.by_name.insert(run.name.clone(), id.clone());
        self.queue.push_back(id.clone());
        id
    }

    /// Takes the queued jobs that fit in what is free, first come first served, marks them
    /// STARTING and reserves their resources. Returns each with its attempt number.
    pub fn take_startable(&mut self, capacity: Resources) -> Vec<(BackendJobId, u32)> {
        let mut ready = Vec::new();
        while let Some(id) = self.queue.front() {
            let Some(entry) = self.jobs.get_mut(id) else {
                self.queue.pop_front();
                continue;
            };
            if entry.state != BackendState::Runnable {
                self.queue.pop_front();
                continue;
            }
            let need = entry.spec.resources;
            let fits = self.used.vcpus + need.vcpus <= capacity.vcpus
                && self.used.memory_mb + need.memory_mb <= capacity.memory_mb;
            if !fits {
                break;
            }
            self.used.vcpus += need.vcpus;
            self.used.memory_mb += need.memory_mb;
            entry.state = BackendState::Starting;
            entry.stop_cause = None;
            let attempt = entry.attempts.len() as u32 + 1;
            let id = self.queue.pop_front().expect("front exists");
            ready.push((id, attempt));
        }
        ready
    }

    pub fn release(&mut self, resources: Resources) {
        self.used.vcpus -= resources.vcpus;
        self.used.memory_mb -= resources.memory_mb;
    }
}
