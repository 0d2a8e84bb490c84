//! Submitting a job's runs: refuse what no node of the partition can take, find what Slurm
//! already holds under the runs' names (a submission made before a crash), then one sbatch per
//! array, telling the caller after each before sending the next.

use fredbatch_core::backend_jobs::{BackendJobName, RunRange, Unit, job_prefix, plan, task_index};
use fredbatch_core::{
    BackendJobId, Ceiling, JobSpec, Resources, RunSubmission, RunnerError, SubmitProgress,
};

use crate::cluster;
use crate::error::SlurmError;
use crate::ids::SlurmId;
use crate::runner::SlurmRunner;
use crate::script::{Recorded, Shape, submission};
use crate::snapshot::Snapshot;

pub async fn submit(
    runner: &SlurmRunner,
    job: &JobSpec,
    runs: &[RunSubmission],
    progress: &dyn SubmitProgress,
) -> Result<Vec<BackendJobId>, SlurmError> {
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    check_size(runner, job).await?;
    let max_array = runner.max_array().await?;
    let mut ids = existing(
        job,
        runs,
        &Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?,
    );
    let found: Vec<_> = runs
        .iter()
        .zip(&ids)
        .filter_map(|(run, id)| Some((run.run_id, id.clone()?)))
        .collect();
    if !found.is_empty() {
        progress.accepted(&found).await?;
    }
    let pending: Vec<usize> = (0..runs.len()).filter(|&i| ids[i].is_none()).collect();
    if pending.is_empty() {
        return Ok(ids.into_iter().flatten().collect());
    }
    let log_dir = &runner.config.log_dir;
    std::fs::create_dir_all(log_dir).map_err(|source| SlurmError::Io {
        path: log_dir.display().to_string(),
        source,
    })?;
    let recorded = Recorded::of(job);
    for unit in plan(job.job_id, runs, &pending, max_array) {
        let shape = match &unit {
            Unit::Plain { .. } => Shape::Plain,
            Unit::Array { range, .. } => Shape::Array { tasks: range.len() },
        };
        let sbatch = submission(
            &runner.config,
            unit.name(),
            &shape,
            &recorded,
            &unit.worker(runs),
        );
        let slurm_id = parse_job_id(&runner.sbatch(&sbatch).await?)?;
        let accepted: Vec<_> = unit
            .runs()
            .iter()
            .enumerate()
            .map(|(index, &run)| {
                let id = match shape {
                    Shape::Plain => SlurmId::Plain(slurm_id),
                    _ => SlurmId::Task {
                        array: slurm_id,
                        index: index as u32,
                    },
                }
                .backend_id();
                ids[run] = Some(id.clone());
                (runs[run].run_id, id)
            })
            .collect();
        progress.accepted(&accepted).await?;
    }
    Ok(ids.into_iter().flatten().collect())
}

/// Refuses a run larger than any node of the partition can take, before anything is sent:
/// with `EnforcePartLimits` Slurm would refuse it too, but only after some arrays went out,
/// and without it the run would pend forever.
async fn check_size(runner: &SlurmRunner, job: &JobSpec) -> Result<(), SlurmError> {
    check_fits(
        runner,
        &job.resources,
        &format!("a run of job {}", job.job_id),
    )
    .await
}

/// Refuses `resources` per run (`what` names them in the message) that no node of the
/// partition can take.
pub(crate) async fn check_fits(
    runner: &SlurmRunner,
    resources: &fredbatch_core::Resources,
    what: &str,
) -> Result<(), SlurmError> {
    let partition = cluster::partition(&runner.slurm, runner.config.partition.as_deref()).await?;
    let nodes = cluster::nodes(&runner.slurm, &partition.name).await?;
    if cluster::fits(&partition, &nodes, resources) {
        return Ok(());
    }
    let available = cluster::largest_run(&partition, &nodes).unwrap_or(fredbatch_core::Resources {
        vcpus: 0,
        memory_mb: 0,
    });
    Err(RunnerError::TooLarge {
        what: format!("{what} on partition {}", partition.name),
        asked: *resources,
        available,
    }
    .into())
}

/// The largest run some node of the partition can take: its most memory, and its most vCPUs.
pub(crate) async fn ceiling(runner: &SlurmRunner) -> Result<Option<Ceiling>, SlurmError> {
    let partition = cluster::partition(&runner.slurm, runner.config.partition.as_deref()).await?;
    let nodes = cluster::nodes(&runner.slurm, &partition.name).await?;
    let memory_mb = nodes.iter().map(|node| node.memory_mb).max();
    let vcpus = nodes.iter().map(|node| node.cpus).max();
    Ok(memory_mb.zip(vcpus).map(|(memory_mb, vcpus)| Ceiling {
        resources: Resources {
            vcpus: vcpus.min(partition.max_cpus_per_node.unwrap_or(u32::MAX)),
            memory_mb: memory_mb.min(partition.max_mem_per_node_mb.unwrap_or(u64::MAX)),
        },
        source: format!("the largest node of partition {}", partition.name),
    }))
}

/// The backend ids Slurm already holds for `runs`, by name.
fn existing(
    job: &JobSpec,
    runs: &[RunSubmission],
    snapshot: &Snapshot,
) -> Vec<Option<BackendJobId>> {
    let prefix = job_prefix(job.job_id);
    let mut arrays: Vec<(RunRange, u64)> = Vec::new();
    for name in snapshot.names_starting_with(&prefix) {
        if let Some(BackendJobName::Array { runs: range, .. }) = BackendJobName::parse(name) {
            // Every task and the pending remainder carry the array's id.
            if let Some(array) = snapshot
                .named(name)
                .iter()
                .find_map(|record| record.array_job_id)
            {
                arrays.push((range, array));
            }
        }
    }
    runs.iter()
        .map(|run| {
            let task = arrays.iter().find_map(|&(range, array)| {
                let index = task_index(job.job_id, run, range)?;
                Some(SlurmId::Task { array, index })
            });
            let plain = || {
                snapshot
                    .named(&run.name)
                    .first()
                    .filter(|record| record.array_job_id.is_none())
                    .map(|record| SlurmId::Plain(record.job_id))
            };
            task.or_else(plain).map(|id| id.backend_id())
        })
        .collect()
}

/// `sbatch --parsable` prints `<job id>` or `<job id>;<cluster>`.
fn parse_job_id(out: &str) -> Result<u64, SlurmError> {
    let text = out.trim();
    text.split(';')
        .next()
        .and_then(|id| id.trim().parse().ok())
        .ok_or_else(|| SlurmError::Parse {
            command: "sbatch --parsable".into(),
            message: format!("expected a job id, got `{text}`"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::JobRecord;
    use fredbatch_core::backend_jobs::run_job_name;
    use fredbatch_core::{JobId, RetryStrategy, RunId, WorkerCommand};
    use std::time::Duration;

    #[test]
    fn sbatch_answers() {
        assert_eq!(parse_job_id("123\n").unwrap(), 123);
        assert_eq!(parse_job_id("123;cluster\n").unwrap(), 123);
        assert!(parse_job_id("Submitted batch job 5").is_err());
    }

    #[test]
    fn runs_slurm_holds_are_found_by_name() {
        let job = JobSpec {
            job_id: JobId(7),
            resources: Resources::LOCAL_DEFAULT,
            retry: RetryStrategy::interruptions_only(1, "Host slurm*"),
            attempt_timeout: Duration::from_secs(60),
        };
        let runs: Vec<RunSubmission> = (1..=5)
            .map(|n| RunSubmission {
                run_id: RunId(n as i64),
                run_number: n,
                name: run_job_name(JobId(7), n),
                worker: WorkerCommand::run(JobId(7), RunId(n as i64)),
            })
            .collect();
        let record = |job_id, array: Option<u64>, name: &str| JobRecord {
            job_id,
            array_job_id: array,
            array_task_id: array.map(|_| 0),
            name: name.into(),
            state: "PENDING".into(),
            ..JobRecord::default()
        };
        let snapshot = Snapshot::new(vec![
            record(40, Some(40), "fred-job-7-runs-1-3"),
            record(41, None, "fred-job-7-run-5"),
            record(42, None, "fred-job-70-run-4"),
        ]);
        let ids: Vec<Option<String>> = existing(&job, &runs, &snapshot)
            .into_iter()
            .map(|id| id.map(|id| id.0))
            .collect();
        assert_eq!(
            ids,
            [
                Some("40_0".into()),
                Some("40_1".into()),
                Some("40_2".into()),
                None,
                Some("41".into())
            ]
        );
    }
}
