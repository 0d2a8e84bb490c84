//! Which backend a job runs on, and where on it: recorded with every job, so later commands
//! (status, logs, cancel, resume, a restarted server) reach the same place, and nothing ever
//! supervises a job on another backend than the one its runs went to.
//!
//! Terms:
//! - **backend kind**: which kind of backend (`local`, `aws-batch`, `slurm`); these recorded
//!   names exist here and nowhere else;
//! - **backend target**: the kind and where on that backend the runs go (an AWS Batch queue and
//!   job definition, a Slurm partition and log folder); the local executor needs nothing more;
//! - **fallback queue**: on AWS Batch, an On-Demand queue a run goes on in once Spot gave up on
//!   it: every attempt its Spot job was allowed ([`AwsBatchTarget::spot_attempts`]) ended by
//!   interruption ([`AwsBatchTarget::next_queue`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which kind of backend runs a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// Child processes on the machine of the fredbatch process.
    Local,
    /// AWS Batch jobs.
    AwsBatch,
    /// A Slurm cluster's jobs.
    Slurm,
}

impl BackendKind {
    pub const ALL: [BackendKind; 3] = [
        BackendKind::Local,
        BackendKind::AwsBatch,
        BackendKind::Slurm,
    ];

    /// The name recorded with jobs and shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Local => "local",
            BackendKind::AwsBatch => "aws-batch",
            BackendKind::Slurm => "slurm",
        }
    }

    /// Whether runs go on without the fredbatch process that submitted them (on a cluster or
    /// in the cloud): a local run ends with the process that started it.
    pub fn outlives_process(self) -> bool {
        !matches!(self, BackendKind::Local)
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendKind {
    type Err = UnknownBackend;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BackendKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown backend `{0}` (known: local, aws-batch, slurm)")]
pub struct UnknownBackend(pub String);

/// A job's backend and where on it its runs go. Stored (and shown in a job's JSON) tagged by
/// kind: `{"backend":"local"}`, `{"backend":"slurm","backend_target":{...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", content = "backend_target", rename_all = "kebab-case")]
pub enum BackendTarget {
    Local,
    AwsBatch(AwsBatchTarget),
    Slurm(SlurmTarget),
}

impl BackendTarget {
    pub fn kind(&self) -> BackendKind {
        match self {
            BackendTarget::Local => BackendKind::Local,
            BackendTarget::AwsBatch(_) => BackendKind::AwsBatch,
            BackendTarget::Slurm(_) => BackendKind::Slurm,
        }
    }
}

/// Where a job's runs go on AWS Batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsBatchTarget {
    /// Job queue name or ARN.
    pub job_queue: String,
    /// Job definition ARN, `name:revision`, or a name.
    pub job_definition: String,
    /// The CloudWatch log group, when the job definition names none.
    pub log_group: Option<String>,
    /// What the runs' containers were told besides their command (where inputs and results
    /// are), so a resubmitted run writes where the others did.
    #[serde(default)]
    pub environment: Vec<(String, String)>,
    /// The On-Demand queue for runs Spot interrupted too often; `None`: they stay on Spot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_queue: Option<String>,
}

/// Which of a job's AWS Batch queues an attempt goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchQueue {
    /// The job's queue (Spot).
    Main,
    /// The On-Demand fallback queue.
    Fallback,
}

impl AwsBatchTarget {
    /// Attempts a run's Spot job is allowed when it may make `attempts` (its first and one
    /// per interruption it may still suffer): without a fallback, all of them; with one, all
    /// but the last, which goes on On-Demand once Spot interrupted every other one (Spot gets
    /// at least one).
    pub fn spot_attempts(&self, attempts: u32) -> u32 {
        match self.fallback_queue {
            Some(_) => attempts.saturating_sub(1).max(1),
            None => attempts,
        }
    }

    /// Where the next attempt of a run goes once its job on the main (Spot) queue ended
    /// FAILED after `attempts` attempts, `interrupted` of them by interruption: the fallback
    /// when Spot gave up on it (every attempt interrupted: its retry strategy retries nothing
    /// else) and there is a fallback; else the main queue, where nothing more is sent.
    pub fn next_queue(&self, attempts: u32, interrupted: u32) -> BatchQueue {
        let spot_gave_up = attempts > 0 && interrupted >= attempts;
        if self.fallback_queue.is_some() && spot_gave_up {
            BatchQueue::Fallback
        } else {
            BatchQueue::Main
        }
    }

    /// The name or ARN of `queue`; the main queue when there is no fallback.
    pub fn queue(&self, queue: BatchQueue) -> &str {
        match (queue, &self.fallback_queue) {
            (BatchQueue::Fallback, Some(fallback)) => fallback,
            _ => &self.job_queue,
        }
    }
}

/// Where a job's runs go on a Slurm cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlurmTarget {
    pub partition: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    pub extra_args: Vec<String>,
    /// Each task's output file goes here; on a filesystem every node shares.
    pub log_dir: PathBuf,
}

#[cfg(test)]
mod tests;
