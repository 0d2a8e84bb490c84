//! Choosing and building the backend that executes runs: AWS Batch when
//! `AWS_BATCH_JOB_DEFINITION` and `AWS_BATCH_JOB_QUEUE` are set (as the seed's application
//! does), the local executor otherwise.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fredbatch_core::{Resources, RetryStrategy, SimulationRunner};
use fredbatch_executor::{LocalConfig, LocalExecutor, machine_capacity};

use crate::settings::Settings;

pub const LOCAL: &str = "local";
pub const AWS_BATCH: &str = "aws-batch";

/// Which backend a command uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// Child processes on this machine.
    Local,
    /// AWS Batch, configured by AWS_BATCH_JOB_DEFINITION and AWS_BATCH_JOB_QUEUE.
    Aws,
}

impl BackendKind {
    /// The flag if given, else AWS Batch when both of its variables are set, else local.
    pub fn choose(flag: Option<BackendKind>) -> BackendKind {
        flag.unwrap_or_else(|| {
            let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
            if set("AWS_BATCH_JOB_DEFINITION") && set("AWS_BATCH_JOB_QUEUE") {
                BackendKind::Aws
            } else {
                BackendKind::Local
            }
        })
    }

    pub fn from_recorded(name: &str) -> anyhow::Result<BackendKind> {
        match name {
            LOCAL => Ok(BackendKind::Local),
            AWS_BATCH => Ok(BackendKind::Aws),
            other => bail!("this job was run by an unknown backend `{other}`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Local => LOCAL,
            BackendKind::Aws => AWS_BATCH,
        }
    }

    /// The retry strategy of the seed's job definition, with this backend's interruption text.
    pub fn retry_strategy(self, attempts: u32) -> RetryStrategy {
        match self {
            BackendKind::Local => RetryStrategy::interruptions_only(attempts, "Host local*"),
            BackendKind::Aws => RetryStrategy::interruptions_only(attempts, "Host EC2*"),
        }
    }

    pub fn default_resources(self) -> Resources {
        match self {
            BackendKind::Local => Resources::LOCAL_DEFAULT,
            BackendKind::Aws => Resources::AWS_DEFAULT,
        }
    }
}

/// What the local executor may use; defaults to the whole machine.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalCapacity {
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
}

impl LocalCapacity {
    pub fn resolve(self) -> Resources {
        let machine = machine_capacity();
        Resources {
            vcpus: self.vcpus.unwrap_or(machine.vcpus),
            memory_mb: self.memory_mb.unwrap_or(machine.memory_mb),
        }
    }
}

/// Builds the runner for `kind`.
pub fn create_runner(
    kind: BackendKind,
    settings: &Settings,
    capacity: LocalCapacity,
) -> anyhow::Result<Arc<dyn SimulationRunner>> {
    match kind {
        BackendKind::Local => Ok(Arc::new(local_executor(settings, capacity)?)),
        BackendKind::Aws => bail!(
            "the AWS Batch backend is not part of this build yet; unset AWS_BATCH_JOB_DEFINITION \
             and AWS_BATCH_JOB_QUEUE (or pass --backend local) to run on this machine"
        ),
    }
}

pub fn local_executor(
    settings: &Settings,
    capacity: LocalCapacity,
) -> anyhow::Result<LocalExecutor> {
    let program =
        std::env::current_exe().context("cannot find the fredbatch executable to run workers")?;
    Ok(LocalExecutor::new(LocalConfig {
        program,
        capacity: capacity.resolve(),
        log_dir: settings.log_dir(),
        env: settings.worker_env(),
        kill_grace: Duration::from_secs(10),
    }))
}
