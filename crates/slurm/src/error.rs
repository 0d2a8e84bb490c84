//! Errors of the Slurm backend, and how a failed Slurm command is classified.
//!
//! Slurm's tools say what went wrong only in words on stderr, so the classification reads them:
//! - **unavailable**: slurmctld could not be reached (or a tool is missing); nothing was done;
//! - **throttled**: slurmctld is busy and asked to come back later; nothing was done;
//! - **rejected**: slurmctld understood and said no (bad partition, limits, permissions).

use fredbatch_core::{BackendJobId, RunnerError};

#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("cannot run `{program}`: {source} (is Slurm's client installed and on PATH?)")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
        kind: FailureKind,
    },
    #[error("`{command}` printed something this backend cannot read: {message}")]
    Parse { command: String, message: String },
    #[error("no partition `{0}` in this cluster (see `sinfo`)")]
    NoPartition(String),
    #[error("this cluster has no default partition: configure one")]
    NoDefaultPartition,
    #[error("no job `{0}` is known to Slurm")]
    UnknownJob(BackendJobId),
    #[error("`scancel {id}` was accepted but the job is still {state} after {seconds} s")]
    NotCancelled {
        id: BackendJobId,
        state: String,
        seconds: u64,
    },
    #[error("I/O failed on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Runner(#[from] RunnerError),
}

/// How a failed command may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Unavailable,
    Throttled,
    Rejected,
}

/// What Slurm's tools print when slurmctld cannot be reached (22.05's wording).
const UNAVAILABLE: &[&str] = &[
    "Unable to contact slurm controller",
    "Socket timed out",
    "Connection refused",
    "Zero Bytes were transmitted or received",
    "Communication connection failure",
    "Munge encode failed",
];

/// What they print when slurmctld is up but too busy to take the request.
const THROTTLED: &[&str] = &[
    "Resource temporarily unavailable",
    "Slurm temporarily unable to accept job",
    "Job submit/allocate failed: Socket timed out",
];

impl FailureKind {
    pub fn classify(stderr: &str) -> FailureKind {
        if THROTTLED.iter().any(|text| stderr.contains(text)) {
            FailureKind::Throttled
        } else if UNAVAILABLE.iter().any(|text| stderr.contains(text)) {
            FailureKind::Unavailable
        } else {
            FailureKind::Rejected
        }
    }
}

impl SlurmError {
    /// Whether sending the same request again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SlurmError::Spawn { .. } => false,
            SlurmError::Command { kind, .. } => *kind != FailureKind::Rejected,
            SlurmError::Runner(RunnerError::Unavailable { .. } | RunnerError::Throttled { .. }) => {
                true
            }
            _ => false,
        }
    }
}

impl From<SlurmError> for RunnerError {
    fn from(error: SlurmError) -> RunnerError {
        let message = error.to_string();
        match error {
            SlurmError::Runner(inner) => inner,
            SlurmError::UnknownJob(id) => RunnerError::UnknownJob(id),
            SlurmError::Io { path, source } => RunnerError::Io { path, source },
            SlurmError::Spawn { .. } => RunnerError::Unavailable { message },
            SlurmError::Command { kind, .. } => match kind {
                FailureKind::Unavailable => RunnerError::Unavailable { message },
                FailureKind::Throttled => RunnerError::Throttled { message },
                FailureKind::Rejected => RunnerError::Rejected { message },
            },
            SlurmError::Parse { .. } => RunnerError::Unavailable { message },
            SlurmError::NoPartition(_)
            | SlurmError::NoDefaultPartition
            | SlurmError::NotCancelled { .. } => RunnerError::Rejected { message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurmctld_down_busy_and_refusals_are_told_apart() {
        assert_eq!(
            FailureKind::classify(
                "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)"
            ),
            FailureKind::Unavailable
        );
        assert_eq!(
            FailureKind::classify(
                "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying"
            ),
            FailureKind::Throttled
        );
        assert_eq!(
            FailureKind::classify(
                "sbatch: error: Batch job submission failed: More processors requested than permitted"
            ),
            FailureKind::Rejected
        );
    }
}
