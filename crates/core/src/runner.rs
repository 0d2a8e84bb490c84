//! The simulation runner gateway: the one trait every execution backend implements.
//!
//! 1 backend job = 1 FRED run. Implementations: the local executor (child processes on this
//! machine), AWS Batch and Slurm. Everything above this trait is backend-agnostic.
//!
//! Callers hand a backend everything at once (all of a job's runs to submit, all open runs to
//! describe); the backend splits the work as its API needs (array jobs, batches of ids) and
//! reports each accepted part through [`SubmitProgress`], so callers record a crash-safe trail.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backend::BackendKind;
use crate::growth::Ceiling;
use crate::ids::{BackendJobId, JobId, RunId};
use crate::resources::Resources;
use crate::retry::RetryStrategy;
use crate::worker_command::WorkerCommand;

/// Told each time a backend has accepted part of a submission, before it sends the next part, so
/// the caller can record which backend job holds which run.
#[async_trait]
pub trait SubmitProgress: Send + Sync {
    async fn accepted(&self, runs: &[(RunId, BackendJobId)]) -> Result<(), RunnerError>;
}

/// For callers that only want the ids [`SimulationRunner::submit`] returns.
pub struct IgnoreProgress;

#[async_trait]
impl SubmitProgress for IgnoreProgress {
    async fn accepted(&self, _runs: &[(RunId, BackendJobId)]) -> Result<(), RunnerError> {
        Ok(())
    }
}
use crate::status::BackendState;

/// What every run of one job shares when submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub job_id: JobId,
    pub resources: Resources,
    pub retry: RetryStrategy,
    /// Per-attempt limit; the backend terminates an attempt that runs longer.
    pub attempt_timeout: Duration,
}

/// One run to submit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSubmission {
    pub run_id: RunId,
    pub run_number: u32,
    /// The backend job name of this submission (see [`crate::backend_jobs::run_submission_name`]).
    pub name: String,
    /// What the backend runs for it; the backend supplies the program (the container's
    /// entrypoint, or this executable).
    pub worker: WorkerCommand,
}

/// A backend's view of one submitted run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendJob {
    pub id: BackendJobId,
    pub name: String,
    pub state: BackendState,
    /// Why the job is in its state, in the backend's words.
    pub status_reason: Option<String>,
    pub attempts: Vec<BackendAttempt>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendAttempt {
    pub exit_code: Option<i32>,
    pub status_reason: Option<String>,
    /// The container's own reason (e.g. out of memory), when the backend gives one.
    pub reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Where this attempt's log is (a file path, or a CloudWatch log stream).
    pub log_ref: Option<String>,
}

impl BackendAttempt {
    /// Why the attempt ended, in the words that tell its failure's class: the container's own
    /// reason when it ran out of memory (AWS says only `Essential container in task exited` in
    /// the status reason beside it), else the status reason, else the container's reason.
    pub fn end_reason(&self) -> Option<&str> {
        self.reason
            .as_deref()
            .filter(|reason| reason.starts_with("OutOfMemoryError"))
            .or(self.status_reason.as_deref())
            .or(self.reason.as_deref())
    }
}

/// Which part of a run's log to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogRequest {
    /// 1-based attempt; `None` means the latest.
    pub attempt: Option<u32>,
    /// Where the previous page ended; `None` reads from the start.
    pub cursor: Option<String>,
    /// At most this many lines.
    pub limit: usize,
    /// Read the attempt's last `limit` lines instead (the cursor is ignored; the page's cursor
    /// continues after them).
    pub tail: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub lines: Vec<String>,
    /// Pass back to continue after these lines (also when no line was new).
    pub next_cursor: Option<String>,
    /// Which attempt the lines belong to.
    pub attempt: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("the backend refused the request: {message}")]
    Rejected { message: String },
    #[error("the backend is throttling requests; retry later: {message}")]
    Throttled { message: String },
    #[error("the backend could not be reached: {message}")]
    Unavailable { message: String },
    #[error("no job `{0}` is known to this backend")]
    UnknownJob(BackendJobId),
    #[error("{what} asks {asked} but the most this backend can offer is {available}")]
    TooLarge {
        what: String,
        asked: crate::Resources,
        available: crate::Resources,
    },
    #[error("recording submitted runs failed: {0}")]
    Recording(String),
    #[error("I/O failed on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The gateway. Implementations must be safe to call from many tasks at once.
#[async_trait]
pub trait SimulationRunner: Send + Sync {
    /// Which kind of backend this is: recorded with each job, and compared with a job's record
    /// before its runs are supervised here.
    fn kind(&self) -> BackendKind;

    /// How this backend's runs are retried: only interruptions (the host went away under the
    /// run), in the words this backend's status reasons use for them.
    fn retry_strategy(&self, attempts: u32) -> RetryStrategy;

    /// The largest run this backend can place, and what sets that limit (this machine, the
    /// largest node of the partition, the largest instance type of the compute environment);
    /// `None` when the backend cannot tell. A run that ran out of memory never grows past it.
    async fn largest_run(&self) -> Result<Option<Ceiling>, RunnerError>;

    /// Submits runs and returns their backend ids, in the order given, telling `progress` as
    /// parts are accepted. A run that this backend already holds under the same name is not
    /// submitted twice: its existing id is returned. On error, the parts `progress` heard of
    /// exist; others may too, and a later submit finds them by name.
    async fn submit(
        &self,
        job: &JobSpec,
        runs: &[RunSubmission],
        progress: &dyn SubmitProgress,
    ) -> Result<Vec<BackendJobId>, RunnerError>;

    /// Describes many runs at once, however many. Ids the backend does not know are absent.
    async fn describe(
        &self,
        ids: &[BackendJobId],
    ) -> Result<HashMap<BackendJobId, BackendJob>, RunnerError>;

    /// Cancels a run: one not yet started never starts; a started one is terminated. The job
    /// ends FAILED with `reason` as its status reason. Cancelling a finished job does nothing.
    async fn cancel(&self, id: &BackendJobId, reason: &str) -> Result<(), RunnerError>;

    /// Reads a page of a run's log.
    async fn logs(&self, id: &BackendJobId, request: &LogRequest) -> Result<LogPage, RunnerError>;
}

pub type DynRunner = Box<dyn SimulationRunner>;
