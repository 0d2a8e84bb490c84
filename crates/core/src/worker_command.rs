//! The worker's command: what a backend runs for one attempt of a run.
//!
//! - **one run**: `worker --job-id J --run-id R`;
//! - **array task**: `worker --job-id J --array-first-run N`, the one command every task of an
//!   array job runs: task `i` runs run number `N + i`, `i` read from the backend's array-index
//!   variable ([`ARRAY_INDEX_VARS`]);
//! - **run by number**: `worker --job-id J --run-number N`, for a backend that sends a later
//!   attempt of a run as a job of its own, knowing the run by its number only (AWS Batch's
//!   On-Demand fallback).
//!
//! The backend supplies the program (the container's entrypoint, or this executable), and
//! tells the worker which backend job and attempt it is through [`BACKEND_JOB_ID_VARS`] and
//! [`ATTEMPT_VARS`]. The arguments are built here only; the CLI's `worker` subcommand parses
//! exactly these.

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, RunId};

/// The subcommand every worker command starts with.
pub const SUBCOMMAND: &str = "worker";

/// Where the worker reads its backend job id: fredbatch's own variable, set by the backends
/// that start the worker themselves (the local executor, Slurm's batch script), then AWS
/// Batch's, which its container always has.
pub const BACKEND_JOB_ID_VARS: [&str; 2] = ["FREDBATCH_BACKEND_JOB_ID", "AWS_BATCH_JOB_ID"];

/// Where the worker reads the backend's count of the job's attempts, in the same order.
pub const ATTEMPT_VARS: [&str; 2] = ["FREDBATCH_ATTEMPT", "AWS_BATCH_JOB_ATTEMPT"];

/// Where an array task reads its index: AWS Batch's variable, then Slurm's.
pub const ARRAY_INDEX_VARS: [&str; 2] = ["AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"];

/// Which run a worker command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkerRun {
    /// One run, by id.
    Id(RunId),
    /// The task of an array job: run number `first_run` plus the task's index.
    ArrayTask { first_run: u32 },
    /// One run, by its number in the job.
    Number(u32),
}

/// One worker command (see the module header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerCommand {
    pub job_id: JobId,
    pub run: WorkerRun,
}

impl WorkerCommand {
    /// The command for run `run` of job `job_id`.
    pub fn run(job_id: JobId, run: RunId) -> WorkerCommand {
        WorkerCommand {
            job_id,
            run: WorkerRun::Id(run),
        }
    }

    /// The command every task of an array of job `job_id` runs, task 0 running `first_run`.
    pub fn run_number(job_id: JobId, number: u32) -> WorkerCommand {
        WorkerCommand {
            job_id,
            run: WorkerRun::Number(number),
        }
    }

    pub fn array_task(job_id: JobId, first_run: u32) -> WorkerCommand {
        WorkerCommand {
            job_id,
            run: WorkerRun::ArrayTask { first_run },
        }
    }

    /// The same job's command for the tasks of an array whose task 0 runs `first_run`.
    pub fn for_array(&self, first_run: u32) -> WorkerCommand {
        WorkerCommand::array_task(self.job_id, first_run)
    }

    /// The command's arguments, starting with [`SUBCOMMAND`].
    pub fn args(&self) -> Vec<String> {
        let (flag, value) = match self.run {
            WorkerRun::Id(run) => ("--run-id", run.to_string()),
            WorkerRun::ArrayTask { first_run } => ("--array-first-run", first_run.to_string()),
            WorkerRun::Number(number) => ("--run-number", number.to_string()),
        };
        vec![
            SUBCOMMAND.to_owned(),
            "--job-id".to_owned(),
            self.job_id.to_string(),
            flag.to_owned(),
            value,
        ]
    }
}

/// The variables the worker reads for its backend job id and attempt, with their values, for a
/// backend that sets them itself.
pub fn backend_env(backend_job_id: &str, attempt: &str) -> [(&'static str, String); 2] {
    [
        (BACKEND_JOB_ID_VARS[0], backend_job_id.to_owned()),
        (ATTEMPT_VARS[0], attempt.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_and_array_tasks() {
        let one = WorkerCommand::run(JobId(7), RunId(103));
        assert_eq!(one.args(), ["worker", "--job-id", "7", "--run-id", "103"]);
        let array = one.for_array(3);
        assert_eq!(array, WorkerCommand::array_task(JobId(7), 3));
        assert_eq!(
            array.args(),
            ["worker", "--job-id", "7", "--array-first-run", "3"]
        );
    }

    #[test]
    fn a_run_by_number() {
        assert_eq!(
            WorkerCommand::run_number(JobId(7), 4).args(),
            ["worker", "--job-id", "7", "--run-number", "4"]
        );
    }

    #[test]
    fn the_backend_environment_uses_fredbatchs_own_names() {
        assert_eq!(
            backend_env("12_3", "2"),
            [
                ("FREDBATCH_BACKEND_JOB_ID", "12_3".to_owned()),
                ("FREDBATCH_ATTEMPT", "2".to_owned())
            ]
        );
    }
}
