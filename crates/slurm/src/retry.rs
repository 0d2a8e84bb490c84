//! Retrying interrupted runs, which Slurm does not do for us.
//!
//! Runs are submitted with `--no-requeue`: Slurm's own requeue would run the same job id again
//! after a node failure, uncounted and with no limit fredbatch controls. Instead, when a run's
//! latest attempt ended NODE_FAIL or PREEMPTED and the attempts recorded in its job's comment
//! allow another, [`describe`](crate::describe) sends attempt `K` as a one-task array named
//! `fred-job-<J>-run-<N>-attempt-<K>` ([`attempt_name`]), running the array form of the worker
//! command, `worker --job-id J --array-first-run N`, with the
//! run's original backend id in `FREDBATCH_BACKEND_JOB_ID` and `K` in `FREDBATCH_ATTEMPT`.
//! Meanwhile the run keeps its backend id and is reported RUNNABLE, its attempts growing as
//! each attempt starts, as an AWS Batch job retried after a Spot interruption is.
//!
//! Nothing is remembered in memory: the attempts are found again by name in squeue, so a
//! process that restarts (or another one describing the same runs) sees the same attempts. Two
//! processes describing at once could both decide to send attempt `K`, so sending happens under
//! an exclusive lock on `<log dir>/.retry.lock`, after a fresh look for the attempt by name.
//! A run fredbatch cancelled is never retried.

use std::collections::HashMap;
use std::fs::OpenOptions;

use fredbatch_core::backend_jobs::attempt_name;
use fredbatch_core::{BackendJobId, JobId, WorkerCommand};
use nix::fcntl::{Flock, FlockArg};

use crate::error::SlurmError;
use crate::runner::SlurmRunner;
use crate::script::{Recorded, Shape, submission};
use crate::snapshot::Snapshot;

/// An attempt to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The run's backend id (its first submission's).
    pub id: BackendJobId,
    pub job: JobId,
    pub run_number: u32,
    pub attempt: u32,
    pub recorded: Recorded,
}

/// Sends the attempts not sent yet; returns the runs whose attempt Slurm refused, with why.
/// A transient failure is not returned: the next describe tries again.
pub async fn resubmit(
    runner: &SlurmRunner,
    retries: &[Retry],
) -> Result<HashMap<BackendJobId, SlurmError>, SlurmError> {
    let log_dir = runner.config.log_dir.clone();
    std::fs::create_dir_all(&log_dir).map_err(|source| SlurmError::Io {
        path: log_dir.display().to_string(),
        source,
    })?;
    let lock_path = log_dir.join(".retry.lock");
    let io_error = |source| SlurmError::Io {
        path: lock_path.display().to_string(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_error)?;
    let _lock = tokio::task::spawn_blocking(move || {
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| errno)
    })
    .await
    .map_err(|error| io_error(std::io::Error::other(error)))?
    .map_err(|errno| io_error(errno.into()))?;
    let fresh = Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?;
    let mut refused = HashMap::new();
    for retry in retries {
        let name = attempt_name(retry.job, retry.run_number, retry.attempt);
        if !fresh.named(&name).is_empty() {
            continue;
        }
        let sbatch = submission(
            &runner.config,
            &name,
            &Shape::Retry {
                of: retry.id.0.clone(),
                attempt: retry.attempt,
            },
            &retry.recorded,
            &WorkerCommand::array_task(retry.job, retry.run_number),
        );
        match runner.sbatch(&sbatch).await {
            Ok(_) => {
                tracing::info!(run = %retry.id, attempt = retry.attempt, "sent the next attempt of an interrupted run")
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(run = %retry.id, %error, "could not send the next attempt yet")
            }
            Err(error) => {
                refused.insert(retry.id.clone(), error);
            }
        }
    }
    Ok(refused)
}
