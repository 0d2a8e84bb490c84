//! How runs become Batch jobs, and how Batch jobs are recognized as runs again.
//!
//! - **plain job**: one Batch job for one run, named by the run's natural key
//!   (`fred-job-<J>-run-<N>`), running the run's worker command.
//! - **array job**: one Batch job for a contiguous range of run numbers `first..=last` (2 to
//!   10,000 children), named `fred-job-<J>-runs-<first>-<last>`. Child `i` runs run number
//!   `first + i`: the worker gets `--array-first-run <first>` and reads
//!   `AWS_BATCH_JOB_ARRAY_INDEX`. A child's id is `<parent id>:<i>`, AWS's own form.
//!
//! Names are the idempotency keys: Batch's ListJobs can find a job by name in any state, which
//! is how a run submitted before a crash is found instead of being submitted again.

use fredbatch_core::ids::run_job_name;
use fredbatch_core::{BackendJobId, JobId, RunSubmission};

/// Whether a submission is named by its run's natural key alone. A run asked for again after
/// it ended (an API retry) carries its retry in the name: it goes as a plain job of that name,
/// never inside an array (whose name would be the failed one's) nor matched to one.
pub fn is_first_submission(job: JobId, run: &RunSubmission) -> bool {
    run.name == run_job_name(job, run.run_number)
}

/// AWS Batch's array size limits.
pub const MIN_ARRAY: usize = 2;
pub const MAX_ARRAY: usize = 10_000;

/// One SubmitJob request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Index into the submitted runs.
    Plain { run: usize, name: String },
    /// Indexes into the submitted runs, in run-number order (`first`, `first + 1`, ...).
    Array {
        runs: Vec<usize>,
        first: u32,
        name: String,
    },
}

impl Unit {
    pub fn name(&self) -> &str {
        match self {
            Unit::Plain { name, .. } | Unit::Array { name, .. } => name,
        }
    }
}

/// The prefix every Batch job name of `job` starts with.
pub fn job_prefix(job: JobId) -> String {
    format!("fred-job-{job}-")
}

pub fn array_name(job: JobId, first: u32, last: u32) -> String {
    format!("fred-job-{job}-runs-{first}-{last}")
}

/// The runs of an array job name of `job`, if `name` is one.
pub fn parse_array_name(job: JobId, name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix(&job_prefix(job))?.strip_prefix("runs-")?;
    let (first, last) = rest.split_once('-')?;
    let (first, last) = (first.parse().ok()?, last.parse().ok()?);
    (first <= last).then_some((first, last))
}

/// The child id of run `number` in an array job starting at `first`.
pub fn child_id(parent: &str, first: u32, number: u32) -> BackendJobId {
    BackendJobId(format!("{parent}:{}", number - first))
}

/// Splits a child id into its parent and index; `None` for a plain job id.
pub fn split_child(id: &str) -> Option<(&str, u32)> {
    let (parent, index) = id.rsplit_once(':')?;
    // Job ids are UUIDs; an ARN also contains ':' but never ends in a bare number after one.
    (!parent.is_empty() && !parent.starts_with("arn:"))
        .then_some(())
        .and_then(|_| index.parse().ok().map(|i| (parent, i)))
}

/// Groups runs into SubmitJob requests: contiguous run numbers into array jobs (when
/// `arrays`), everything else into plain jobs. Only runs at `pending` indexes are planned.
pub fn plan(job: JobId, runs: &[RunSubmission], pending: &[usize], arrays: bool) -> Vec<Unit> {
    let mut order: Vec<usize> = pending.to_vec();
    order.sort_by_key(|&i| runs[i].run_number);
    order.dedup_by_key(|i| runs[*i].run_number);
    let (order, retried): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| is_first_submission(job, &runs[i]));
    let mut units: Vec<Unit> = retried.into_iter().map(|i| plain(runs, i)).collect();
    if !arrays {
        units.extend(order.into_iter().map(|i| plain(runs, i)));
        return units;
    }
    let mut range: Vec<usize> = Vec::new();
    let flush = |range: &mut Vec<usize>, units: &mut Vec<Unit>| {
        for part in range.chunks(MAX_ARRAY) {
            if part.len() < MIN_ARRAY {
                units.extend(part.iter().map(|&i| plain(runs, i)));
            } else {
                let first = runs[part[0]].run_number;
                let last = runs[part[part.len() - 1]].run_number;
                units.push(Unit::Array {
                    runs: part.to_vec(),
                    first,
                    name: array_name(job, first, last),
                });
            }
        }
        range.clear();
    };
    for i in order {
        let contiguous = range
            .last()
            .is_some_and(|&prev| runs[prev].run_number + 1 == runs[i].run_number);
        if !contiguous {
            flush(&mut range, &mut units);
        }
        range.push(i);
    }
    flush(&mut range, &mut units);
    units
}

fn plain(runs: &[RunSubmission], i: usize) -> Unit {
    Unit::Plain {
        run: i,
        name: runs[i].name.clone(),
    }
}

/// The worker command for the children of an array job starting at `first`: the runs' own
/// command with `--run-id R` replaced by `--array-first-run <first>`.
pub fn array_command(job: JobId, template: &[String], first: u32) -> Vec<String> {
    match template.iter().position(|arg| arg == "--run-id") {
        Some(at) if at + 1 < template.len() => {
            let mut command = template.to_vec();
            command[at] = "--array-first-run".to_owned();
            command[at + 1] = first.to_string();
            command
        }
        _ => ["worker", "--job-id", &job.to_string(), "--array-first-run"]
            .map(str::to_owned)
            .into_iter()
            .chain([first.to_string()])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fredbatch_core::RunId;
    use fredbatch_core::ids::run_job_name;

    fn runs(numbers: &[u32]) -> Vec<RunSubmission> {
        numbers
            .iter()
            .map(|&n| RunSubmission {
                run_id: RunId(100 + n as i64),
                run_number: n,
                name: run_job_name(JobId(7), n),
                worker_args: ["worker", "--job-id", "7", "--run-id"]
                    .map(str::to_owned)
                    .into_iter()
                    .chain([(100 + n).to_string()])
                    .collect(),
            })
            .collect()
    }

    fn all(runs: &[RunSubmission]) -> Vec<usize> {
        (0..runs.len()).collect()
    }

    #[test]
    fn a_retried_run_goes_alone_under_its_retry_name() {
        let mut runs = runs(&[1, 2, 3]);
        runs[1].name = fredbatch_core::ids::run_submission_name(JobId(7), 2, 1);
        let units = plan(JobId(7), &runs, &all(&runs), true);
        assert_eq!(
            units,
            [
                Unit::Plain {
                    run: 1,
                    name: "fred-job-7-run-2-retry-1".into()
                },
                Unit::Plain {
                    run: 0,
                    name: "fred-job-7-run-1".into()
                },
                Unit::Plain {
                    run: 2,
                    name: "fred-job-7-run-3".into()
                },
            ]
        );
    }

    #[test]
    fn contiguous_runs_become_one_array_and_strays_plain_jobs() {
        let runs = runs(&[5, 1, 2, 3, 9, 4]);
        let units = plan(JobId(7), &runs, &all(&runs), true);
        assert_eq!(units.len(), 2);
        match &units[0] {
            Unit::Array {
                runs: members,
                first,
                name,
            } => {
                assert_eq!(*first, 1);
                assert_eq!(name, "fred-job-7-runs-1-5");
                let numbers: Vec<u32> = members.iter().map(|&i| runs[i].run_number).collect();
                assert_eq!(numbers, [1, 2, 3, 4, 5]);
            }
            other => panic!("expected an array, got {other:?}"),
        }
        assert_eq!(
            units[1],
            Unit::Plain {
                run: 4,
                name: "fred-job-7-run-9".into()
            }
        );
    }

    #[test]
    fn arrays_are_split_at_batchs_size_limit() {
        let numbers: Vec<u32> = (1..=MAX_ARRAY as u32 + 1).collect();
        let runs = runs(&numbers);
        let units = plan(JobId(7), &runs, &all(&runs), true);
        assert_eq!(units.len(), 2, "10,000 children, then a lone plain job");
        assert!(matches!(&units[0], Unit::Array { runs, .. } if runs.len() == MAX_ARRAY));
        assert!(matches!(&units[1], Unit::Plain { .. }));
    }

    #[test]
    fn without_arrays_every_run_is_a_plain_job() {
        let runs = runs(&[1, 2, 3]);
        let units = plan(JobId(7), &runs, &all(&runs), false);
        assert!(units.iter().all(|u| matches!(u, Unit::Plain { .. })));
        assert_eq!(units.len(), 3);
    }

    #[test]
    fn names_and_child_ids_round_trip() {
        assert_eq!(
            parse_array_name(JobId(7), "fred-job-7-runs-1-500"),
            Some((1, 500))
        );
        assert_eq!(parse_array_name(JobId(7), "fred-job-7-run-1"), None);
        assert_eq!(parse_array_name(JobId(7), "fred-job-70-runs-1-5"), None);
        assert_eq!(parse_array_name(JobId(7), "fred-job-7-runs-5-1"), None);
        let id = child_id("3f2a-uuid", 501, 510);
        assert_eq!(id.0, "3f2a-uuid:9");
        assert_eq!(split_child(&id.0), Some(("3f2a-uuid", 9)));
        assert_eq!(split_child("3f2a-uuid"), None);
        assert_eq!(
            split_child("arn:aws:batch:us-east-1:1:job/x"),
            None,
            "an ARN is not a child id"
        );
    }

    #[test]
    fn array_children_run_the_runs_worker_command_by_index() {
        let runs = runs(&[3, 4]);
        assert_eq!(
            array_command(JobId(7), &runs[0].worker_args, 3),
            ["worker", "--job-id", "7", "--array-first-run", "3"]
        );
        assert_eq!(
            array_command(JobId(7), &[], 3),
            ["worker", "--job-id", "7", "--array-first-run", "3"]
        );
    }
}
