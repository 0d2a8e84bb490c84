//! The two state machines: the backend's (AWS Batch's states, which the local executor also
//! walks through) and the run status users see, derived from it; and a job's status, derived
//! from its runs' (see [`crate::counts::StatusCounts::job_status`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a backend says a run is. Exactly AWS Batch's job states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackendState {
    Submitted,
    Pending,
    Runnable,
    Starting,
    Running,
    Succeeded,
    Failed,
}

impl BackendState {
    pub const ALL: [BackendState; 7] = [
        BackendState::Submitted,
        BackendState::Pending,
        BackendState::Runnable,
        BackendState::Starting,
        BackendState::Running,
        BackendState::Succeeded,
        BackendState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendState::Submitted => "SUBMITTED",
            BackendState::Pending => "PENDING",
            BackendState::Runnable => "RUNNABLE",
            BackendState::Starting => "STARTING",
            BackendState::Running => "RUNNING",
            BackendState::Succeeded => "SUCCEEDED",
            BackendState::Failed => "FAILED",
        }
    }

    /// SUCCEEDED and FAILED are final: the backend will not move the job again.
    pub fn is_final(self) -> bool {
        matches!(self, BackendState::Succeeded | BackendState::Failed)
    }

    /// Whether a process is (or is about to be) executing: cancelling it means terminating it.
    pub fn has_started(self) -> bool {
        matches!(self, BackendState::Starting | BackendState::Running)
    }
}

impl fmt::Display for BackendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackendState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// What users are told about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Waiting for capacity: SUBMITTED, PENDING or RUNNABLE on the backend.
    Queued,
    /// STARTING or RUNNING on the backend.
    Running,
    /// FRED succeeded and the results are committed.
    Done,
    /// Every allowed attempt failed; the reason says why.
    Error,
    /// A user cancelled it.
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Done,
        RunStatus::Error,
        RunStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "QUEUED",
            RunStatus::Running => "RUNNING",
            RunStatus::Done => "DONE",
            RunStatus::Error => "ERROR",
            RunStatus::Cancelled => "CANCELLED",
        }
    }

    /// DONE, ERROR and CANCELLED never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Done | RunStatus::Error | RunStatus::Cancelled
        )
    }

    /// The status a live backend state maps to. Final states need more than the state to judge
    /// (was the result committed? did a user cancel?): see [`crate::sync`].
    pub fn from_live_state(state: BackendState) -> Option<RunStatus> {
        match state {
            BackendState::Submitted | BackendState::Pending | BackendState::Runnable => {
                Some(RunStatus::Queued)
            }
            BackendState::Starting | BackendState::Running => Some(RunStatus::Running),
            BackendState::Succeeded | BackendState::Failed => None,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// What users are told about a job as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// No run has started: every run waits for capacity or inputs, or none was added yet (a
    /// job registered through the API before its runs).
    Queued,
    /// Some run is open and the job is under way.
    Running,
    /// Every run is DONE (and there is at least one).
    Done,
    /// Every run ended, and some ended ERROR.
    Failed,
    /// Every run ended, none ERROR, some CANCELLED.
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Done => "DONE",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown state `{0}`")]
pub struct UnknownState(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in BackendState::ALL {
            assert_eq!(state.as_str().parse::<BackendState>().unwrap(), state);
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{state}\"")
            );
        }
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>().unwrap(), status);
        }
        for status in JobStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert!("DONE".parse::<BackendState>().is_err());
    }

    #[test]
    fn live_states_map_to_queued_and_running() {
        use BackendState::*;
        for state in [Submitted, Pending, Runnable] {
            assert_eq!(RunStatus::from_live_state(state), Some(RunStatus::Queued));
        }
        for state in [Starting, Running] {
            assert_eq!(RunStatus::from_live_state(state), Some(RunStatus::Running));
        }
        assert_eq!(RunStatus::from_live_state(Succeeded), None);
        assert_eq!(RunStatus::from_live_state(Failed), None);
    }
}
