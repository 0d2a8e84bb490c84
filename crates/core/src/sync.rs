//! Reconciling a backend's view of a run with the store's: the backend knows where execution is
//! now; the store knows what was asked and what the worker recorded. The result is a change to
//! apply to the store, or nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::RunId;
use crate::model::Run;
use crate::runner::BackendJob;
use crate::status::{BackendState, RunStatus};

/// AWS Batch's status reason for an attempt killed by its timeout (the local executor uses it too).
pub const TIMEOUT_REASON: &str = "Job attempt duration exceeded timeout";
/// The reason a backend gives when a user cancelled the run through fredbatch.
pub const CANCELLED_REASON: &str = "Cancelled by user";

/// A change to one run's row, derived from its backend job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunChange {
    pub run_id: RunId,
    pub status: RunStatus,
    pub backend_state: BackendState,
    /// `None` keeps the stored reason.
    pub status_reason: Option<String>,
    pub attempts: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What the store should say about `run` now that the backend says `backend`. `None` when there
/// is nothing to change (the run already ended, or nothing moved).
pub fn reconcile(run: &Run, backend: &BackendJob, now: DateTime<Utc>) -> Option<RunChange> {
    if run.status.is_terminal() {
        return None;
    }
    let attempts = run.attempts.max(backend.attempts.len() as u32);
    let started_at = run.started_at.or(backend.started_at);
    let (status, status_reason, finished_at) = match backend.state {
        BackendState::Succeeded => (
            // The worker commits DONE before it exits, so a success the store does not show as
            // DONE committed nothing. The store never lets this overwrite a committed DONE.
            RunStatus::Error,
            Some("the backend reports success but no result was committed".to_owned()),
            Some(backend.stopped_at.unwrap_or(now)),
        ),
        BackendState::Failed if run.cancel_requested => (
            RunStatus::Cancelled,
            Some(CANCELLED_REASON.to_owned()),
            Some(backend.stopped_at.unwrap_or(now)),
        ),
        BackendState::Failed => (
            RunStatus::Error,
            Some(failure_reason(run.status_reason.as_deref(), backend)),
            Some(backend.stopped_at.unwrap_or(now)),
        ),
        live => {
            let status = RunStatus::from_live_state(live).unwrap_or(RunStatus::Queued);
            if run.status == status
                && run.backend_state == Some(live)
                && run.attempts == attempts
                && run.started_at == started_at
            {
                return None;
            }
            (status, None, None)
        }
    };
    Some(RunChange {
        run_id: run.id,
        status,
        backend_state: backend.state,
        status_reason,
        attempts,
        started_at,
        finished_at,
    })
}

/// The reason a failed run is shown with: the backend's when the attempt was stopped from outside
/// (timeout, reclaimed machine), otherwise what the worker recorded (FRED's own error lines).
pub fn failure_reason(worker_reason: Option<&str>, backend: &BackendJob) -> String {
    let backend_reason = backend
        .attempts
        .last()
        .and_then(|attempt| attempt.status_reason.as_deref())
        .or(backend.status_reason.as_deref());
    // AWS says so in the container's reason, beside a status reason that only says it exited;
    // the local executor in its status reason. Either way it outranks what the worker last
    // recorded, which an attempt killed for its memory could not update.
    let end_reason = backend.attempts.last().and_then(|a| a.end_reason());
    if let Some(reason) = end_reason.filter(|r| r.starts_with("OutOfMemoryError")) {
        return format!("out of memory: the run used more memory than it asked for ({reason})");
    }
    if let Some(reason) = backend_reason {
        if reason.starts_with(TIMEOUT_REASON) {
            return format!("timed out: the attempt ran longer than its limit ({reason})");
        }
        if is_interruption(reason) {
            return explain_interruption(reason, backend.attempts.len());
        }
    }
    worker_reason
        .or(backend_reason)
        .map(str::to_owned)
        .unwrap_or_else(|| "failed without a reason from the backend or the worker".to_owned())
}

/// Whether a status reason says the machine went away under the run (a reclaimed Spot
/// instance on AWS: `Host EC2 (instance i-…) terminated.`; locally, a killed worker).
pub fn is_interruption(status_reason: &str) -> bool {
    status_reason.starts_with("Host ")
}

/// An interruption in plain words, keeping the backend's own text for reference.
pub fn explain_interruption(status_reason: &str, attempts: usize) -> String {
    let attempts = if attempts > 1 {
        format!(" on all {attempts} attempts")
    } else {
        String::new()
    };
    if crate::limits::is_spot_interruption(status_reason) {
        format!(
            "interrupted{attempts}: AWS reclaimed the Spot instance running it ({status_reason})"
        )
    } else {
        format!("interrupted{attempts}: the machine stopped the worker ({status_reason})")
    }
}

#[cfg(test)]
mod tests;
