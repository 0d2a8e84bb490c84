//! Naming one run on the command line, as `status --run`, `logs` and `cancel --run` do.
//!
//! A run has two numbers people see: its id, unique across every job (the `Id` column of
//! `fredbatch status`), and its run number within its job (the `Run` column). `JOB --run N`
//! names run N of that job; `--run N` alone, or `logs ID`, names the run whose id is N.

use anyhow::bail;
use fredbatch_core::{JobId, Run, RunId};
use fredbatch_store::Store;

/// Which run a command means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhichRun {
    /// The run with this id.
    Id(RunId),
    /// Run number `run` of this job.
    InJob { job: JobId, run: u64 },
}

impl WhichRun {
    /// `--run N` after a job is run N of that job; without one, N is a run id.
    pub fn from_args(job: Option<JobId>, run: u64) -> WhichRun {
        match job {
            Some(job) => WhichRun::InJob { job, run },
            None => WhichRun::Id(RunId(i64::try_from(run).unwrap_or(i64::MAX))),
        }
    }

    pub async fn find(self, store: &Store) -> anyhow::Result<Run> {
        match self {
            WhichRun::Id(id) => Ok(store.run(id).await?),
            WhichRun::InJob { job, run } => {
                let job = store.job(job).await?;
                match u32::try_from(run) {
                    Ok(number) if (1..=job.run_count).contains(&number) => {
                        Ok(store.run_by_number(job.id, number).await?)
                    }
                    _ => bail!(
                        "job {} has no run {run}: its runs are numbered 1 to {} (the Run column of `fredbatch status {}`)",
                        job.id,
                        job.run_count,
                        job.id
                    ),
                }
            }
        }
    }
}

/// A run as people name it, with both of its numbers: `run 1 of job 3 (id 11)`.
pub fn describe(run: &Run) -> String {
    format!(
        "run {} of job {} (id {})",
        run.run_number, run.job_id, run.id
    )
}
