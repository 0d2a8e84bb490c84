//! Flags several commands share.

use std::time::Duration;

use fredbatch_core::{JobSpec, Resources};

use crate::backend::{BackendKind, LocalCapacity};

/// What each run asks for, and how it is retried.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Resources per run")]
pub struct RunResourceArgs {
    /// vCPUs reserved per run [default: 1 locally, 4 on AWS Batch, as the stack's job definition].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub vcpus: Option<u32>,
    /// Memory reserved per run, in MB [default: 2048 locally, 8192 on AWS Batch].
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub memory: Option<u64>,
    /// Attempts per run; only interruptions (a reclaimed Spot instance, a killed worker) are
    /// retried, never a model error.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub attempts: u32,
    /// Each attempt is stopped after this long (e.g. `90m`, `4h`).
    #[arg(long, default_value = "4h", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl RunResourceArgs {
    pub fn resources(&self, kind: BackendKind) -> Resources {
        let default = kind.default_resources();
        Resources {
            vcpus: self.vcpus.unwrap_or(default.vcpus),
            memory_mb: self.memory.unwrap_or(default.memory_mb),
        }
    }
}

/// Which backend.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Backend")]
pub struct BackendArgs {
    /// Where runs execute [default: aws when --stack is given or AWS_BATCH_JOB_DEFINITION and
    /// AWS_BATCH_JOB_QUEUE are set, else local].
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,
    /// Run on the AWS Batch stack of this name: its outputs give the job queue and definition,
    /// its parameters the S3 buckets (unless FREDBATCH_UPLOADS / FREDBATCH_RESULTS say otherwise).
    #[arg(long, value_name = "NAME", env = "FREDBATCH_STACK")]
    pub stack: Option<String>,
    #[command(flatten)]
    pub capacity: CapacityArgs,
}

/// What the local executor may use of this machine.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Backend")]
pub struct CapacityArgs {
    /// vCPUs the local executor may use at once [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_vcpus: Option<u32>,
    /// Memory the local executor may use at once, in MB [default: all memory].
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_memory: Option<u64>,
}

impl BackendArgs {
    pub fn capacity(&self) -> LocalCapacity {
        self.capacity.local()
    }
}

impl CapacityArgs {
    pub fn local(&self) -> LocalCapacity {
        LocalCapacity {
            vcpus: self.max_vcpus,
            memory_mb: self.max_memory,
        }
    }
}

/// The submission parameters of a stored job.
pub fn job_spec(job: &fredbatch_core::Job, kind: BackendKind) -> JobSpec {
    JobSpec {
        job_id: job.id,
        resources: job.resources,
        retry: kind.retry_strategy(job.max_attempts),
        attempt_timeout: Duration::from_secs(job.attempt_timeout_seconds),
    }
}
