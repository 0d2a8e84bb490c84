//! [`SlurmRunner`]: the Slurm implementation of the simulation runner gateway.
//!
//! Building one runs nothing; the cluster's configuration is read on first use and kept.

use std::collections::HashMap;
use std::path::PathBuf;

use async_trait::async_trait;
use fredbatch_core::{
    BackendJob, BackendJobId, JobSpec, LogPage, LogRequest, RetryStrategy, RunSubmission,
    RunnerError, SimulationRunner, SubmitProgress,
};
use tokio::sync::OnceCell;

use crate::cluster::{self, ClusterConfig};
use crate::config::SlurmConfig;
use crate::error::SlurmError;
use crate::script::Submission;
use crate::state::INTERRUPTION_PREFIX;
use crate::tools::{CallCounts, Slurm, Tool};
use crate::{cancel, describe, logs, submit};

pub struct SlurmRunner {
    pub(crate) config: SlurmConfig,
    pub(crate) slurm: Slurm,
    cluster: OnceCell<ClusterConfig>,
}

impl SlurmRunner {
    pub fn new(config: SlurmConfig) -> SlurmRunner {
        SlurmRunner {
            slurm: Slurm::new(config.tools.clone()),
            config,
            cluster: OnceCell::new(),
        }
    }

    pub fn config(&self) -> &SlurmConfig {
        &self.config
    }

    /// How many times each Slurm tool has run so far.
    pub fn calls(&self) -> CallCounts {
        self.slurm.calls.snapshot()
    }

    /// The cluster's `scontrol show config`, read once.
    pub(crate) async fn cluster(&self) -> Result<&ClusterConfig, SlurmError> {
        self.cluster
            .get_or_try_init(|| cluster::config(&self.slurm))
            .await
    }

    /// Tasks per array: the cluster's `MaxArraySize`, or less when configured.
    pub(crate) async fn max_array(&self) -> Result<usize, SlurmError> {
        let cluster = self.cluster().await?.max_array_size;
        Ok(self
            .config
            .max_array_size
            .map_or(cluster, |mine| mine.min(cluster)))
    }

    /// Refuses runs of `resources` that no node of the partition can take, so a job too large
    /// for the cluster is refused before it is registered.
    pub async fn check_fits(
        &self,
        resources: fredbatch_core::Resources,
    ) -> Result<(), RunnerError> {
        Ok(submit::check_fits(self, &resources, "each run (--vcpus/--memory)").await?)
    }

    /// Whether the partition can run anything, its nodes, and why `job`'s runs pend.
    pub async fn doctor(
        &self,
        job: Option<fredbatch_core::JobId>,
    ) -> Result<crate::doctor::Report, RunnerError> {
        Ok(crate::doctor::doctor(self, job).await?)
    }

    /// Sends one sbatch call; its output (`sbatch --parsable`'s job id).
    pub(crate) async fn sbatch(&self, sbatch: &Submission) -> Result<String, SlurmError> {
        self.slurm
            .run_with(
                Tool::Sbatch,
                &sbatch.args,
                &sbatch.env,
                Some(&sbatch.script),
            )
            .await
    }

    pub(crate) async fn jobcomp_log(&self) -> Result<Option<PathBuf>, SlurmError> {
        match &self.config.jobcomp_log {
            Some(path) => Ok(Some(path.clone())),
            None => Ok(self.cluster().await?.jobcomp_log.clone()),
        }
    }
}

#[async_trait]
impl SimulationRunner for SlurmRunner {
    fn kind(&self) -> fredbatch_core::BackendKind {
        fredbatch_core::BackendKind::Slurm
    }

    fn retry_strategy(&self, attempts: u32) -> RetryStrategy {
        RetryStrategy::interruptions_only(attempts, &format!("{INTERRUPTION_PREFIX}*"))
    }

    async fn largest_run(&self) -> Result<Option<fredbatch_core::Ceiling>, RunnerError> {
        Ok(submit::ceiling(self).await?)
    }

    async fn submit(
        &self,
        job: &JobSpec,
        runs: &[RunSubmission],
        progress: &dyn SubmitProgress,
    ) -> Result<Vec<BackendJobId>, RunnerError> {
        Ok(submit::submit(self, job, runs, progress).await?)
    }

    async fn describe(
        &self,
        ids: &[BackendJobId],
    ) -> Result<HashMap<BackendJobId, BackendJob>, RunnerError> {
        Ok(describe::describe(self, ids).await?)
    }

    async fn cancel(&self, id: &BackendJobId, reason: &str) -> Result<(), RunnerError> {
        Ok(cancel::cancel(self, id, reason).await?)
    }

    async fn logs(&self, id: &BackendJobId, request: &LogRequest) -> Result<LogPage, RunnerError> {
        logs::read_page(&self.config.log_dir, id, request)
    }
}
