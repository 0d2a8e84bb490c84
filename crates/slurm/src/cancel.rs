//! Cancelling a run: every live Slurm job of it (its first submission and any retry), then a
//! look at squeue until they have ended, because `scancel` returns 0 even for ids it does not
//! know.
//!
//! Slurm keeps no reason with a cancellation, so the run's name and the reason are written
//! first to `<log dir>/<id>.cancelled`: describe reads it for CANCELLED jobs, and for an array
//! task cancelled while pending, which slurmctld forgets at once (it appears in no squeue
//! answer and no completion log); and retry never sends another attempt of a run that has one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fredbatch_core::backend_jobs::{BackendJobName, attempt_name, run_job_name};
use fredbatch_core::{BackendJobId, JobId};

use crate::error::SlurmError;
use crate::ids::SlurmId;
use crate::record::JobRecord;
use crate::runner::SlurmRunner;
use crate::snapshot::Snapshot;
use crate::state;
use crate::tools::Tool;

/// How long a cancelled job may take to end (it gets SIGTERM, then SIGKILL after `KillWait`).
const CONFIRM_FOR: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(250);

fn reason_path(log_dir: &Path, id: &BackendJobId) -> PathBuf {
    log_dir.join(format!("{id}.cancelled"))
}

/// What fredbatch recorded when it cancelled a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancelled {
    /// The run's natural key.
    pub name: String,
    pub reason: String,
}

/// What fredbatch recorded when it cancelled `id`, if it did.
pub fn recorded(log_dir: &Path, id: &BackendJobId) -> Option<Cancelled> {
    let text = std::fs::read_to_string(reason_path(log_dir, id)).ok()?;
    let (name, reason) = text.split_once('\n')?;
    Some(Cancelled {
        name: name.to_owned(),
        reason: reason.trim().to_owned(),
    })
}

/// The name of the run `first` holds as `id` (its natural key when it is a fredbatch job).
pub fn run_name(first: &JobRecord, id: &SlurmId) -> String {
    match run_of(first, id) {
        Some((job, number)) => run_job_name(job, number),
        None => first.name.clone(),
    }
}

/// The job and run number a first submission holds, from its name and task index. A run asked
/// for again after it ended (its name carries the retry) is not one: it gets no interruption
/// retries of its own, whose names would be its first submission's.
pub fn run_of(record: &JobRecord, id: &SlurmId) -> Option<(JobId, u32)> {
    match (BackendJobName::parse(&record.name)?, id) {
        (
            BackendJobName::Run {
                job,
                run_number,
                retry: 0,
            },
            SlurmId::Plain(_),
        ) => Some((job, run_number)),
        (BackendJobName::Array { job, runs }, SlurmId::Task { index, .. }) => {
            Some((job, runs.number_at(*index)?))
        }
        _ => None,
    }
}

pub async fn cancel(
    runner: &SlurmRunner,
    id: &BackendJobId,
    reason: &str,
) -> Result<(), SlurmError> {
    let slurm_id = SlurmId::parse(&id.0).ok_or_else(|| SlurmError::UnknownJob(id.clone()))?;
    let snapshot = Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?;
    let Some(first) = snapshot.find(&slurm_id) else {
        let history = Snapshot::history(runner.jobcomp_log().await?.as_deref())?;
        return match history.find(&slurm_id) {
            // Finished long ago: nothing to stop.
            Some(_) => Ok(()),
            None => Err(SlurmError::UnknownJob(id.clone())),
        };
    };
    let targets = live_jobs(&snapshot, &slurm_id, first);
    if targets.is_empty() {
        return Ok(());
    }
    let log_dir = &runner.config.log_dir;
    std::fs::create_dir_all(log_dir)
        .and_then(|()| {
            let name = run_name(first, &slurm_id);
            std::fs::write(reason_path(log_dir, id), format!("{name}\n{reason}\n"))
        })
        .map_err(|source| SlurmError::Io {
            path: reason_path(log_dir, id).display().to_string(),
            source,
        })?;
    let args: Vec<String> = targets.iter().map(SlurmId::to_string).collect();
    runner.slurm.run(Tool::Scancel, &args).await?;
    let started = Instant::now();
    loop {
        let snapshot = Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?;
        let still: Vec<&JobRecord> = targets
            .iter()
            .filter_map(|target| snapshot.find(target))
            .filter(|record| !state::map(record, None).state.is_final())
            .collect();
        let Some(live) = still.first() else {
            return Ok(());
        };
        if started.elapsed() >= CONFIRM_FOR {
            return Err(SlurmError::NotCancelled {
                id: id.clone(),
                state: live.state.clone(),
                seconds: CONFIRM_FOR.as_secs(),
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// The run's Slurm jobs that have not ended: its first submission and its retries.
fn live_jobs(snapshot: &Snapshot, id: &SlurmId, first: &JobRecord) -> Vec<SlurmId> {
    let live = |record: &JobRecord| !state::map(record, None).state.is_final();
    let mut targets = Vec::new();
    if live(first) {
        targets.push(*id);
    }
    if let Some((job, number)) = run_of(first, id) {
        for attempt in 2.. {
            let records = snapshot.named(&attempt_name(job, number, attempt));
            if records.is_empty() {
                break;
            }
            // A retry is a one-task array: while pending it is a remainder, task 0.
            targets.extend(
                records
                    .into_iter()
                    .filter(|record| live(record))
                    .map(|record| {
                        record.id().unwrap_or(SlurmId::Task {
                            array: record.array_job_id.unwrap_or(record.job_id),
                            index: 0,
                        })
                    }),
            );
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_s_live_jobs_include_a_pending_retry() {
        let record =
            |job_id, array: Option<u64>, task, pending: Option<&str>, name: &str, state: &str| {
                JobRecord {
                    job_id,
                    array_job_id: array,
                    array_task_id: task,
                    pending_tasks: pending.map(str::to_owned),
                    name: name.into(),
                    state: state.into(),
                    ..JobRecord::default()
                }
            };
        let snapshot = Snapshot::new(vec![
            record(
                11,
                Some(10),
                Some(1),
                None,
                "fred-job-7-runs-1-4",
                "NODE_FAIL",
            ),
            record(
                20,
                Some(20),
                None,
                Some("0"),
                "fred-job-7-run-2-attempt-2",
                "PENDING",
            ),
        ]);
        let id = SlurmId::Task {
            array: 10,
            index: 1,
        };
        let first = snapshot.find(&id).unwrap();
        assert_eq!(
            live_jobs(&snapshot, &id, first),
            [SlurmId::Task {
                array: 20,
                index: 0
            }],
            "the interrupted first attempt has ended; its pending retry has not"
        );
    }
}
