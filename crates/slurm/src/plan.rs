//! How runs become sbatch calls: contiguous run numbers become one array (split at the
//! cluster's `MaxArraySize`), a lone run a plain job.

use fredbatch_core::{JobId, RunSubmission};

use crate::names::array_name;

/// One sbatch call.
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

/// Whether a submission is named by its run's natural key alone. A run asked for again after
/// it ended (an API retry) carries its retry in the name: it goes as a plain job of that name,
/// never inside an array (whose name would be the failed one's) nor matched to one.
pub fn is_first_submission(job: JobId, run: &RunSubmission) -> bool {
    run.name == fredbatch_core::ids::run_job_name(job, run.run_number)
}

/// Groups the runs at `pending` indexes into sbatch calls of at most `max_array` tasks.
pub fn plan(job: JobId, runs: &[RunSubmission], pending: &[usize], max_array: usize) -> Vec<Unit> {
    let max_array = max_array.max(1);
    let mut order: Vec<usize> = pending.to_vec();
    order.sort_by_key(|&i| runs[i].run_number);
    order.dedup_by_key(|i| runs[*i].run_number);
    let (order, retried): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| is_first_submission(job, &runs[i]));
    let mut units: Vec<Unit> = retried
        .into_iter()
        .map(|run| Unit::Plain {
            run,
            name: runs[run].name.clone(),
        })
        .collect();
    let mut range: Vec<usize> = Vec::new();
    let flush = |range: &mut Vec<usize>, units: &mut Vec<Unit>| {
        for part in range.chunks(max_array) {
            if let [only] = part {
                units.push(Unit::Plain {
                    run: *only,
                    name: runs[*only].name.clone(),
                });
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

/// The worker command of an array's tasks: the runs' own command with `--run-id R` replaced by
/// `--array-first-run <first>` (the worker adds `SLURM_ARRAY_TASK_ID`).
pub fn array_command(job: JobId, template: &[String], first: u32) -> Vec<String> {
    match template.iter().position(|arg| arg == "--run-id") {
        Some(at) if at + 1 < template.len() => {
            let mut command = template.to_vec();
            command[at] = "--array-first-run".to_owned();
            command[at + 1] = first.to_string();
            command
        }
        _ => by_number(job, first),
    }
}

/// `worker --job-id J --array-first-run N`: run number `N` of job `J` in a one-task array.
pub fn by_number(job: JobId, first: u32) -> Vec<String> {
    ["worker", "--job-id", &job.to_string(), "--array-first-run"]
        .map(str::to_owned)
        .into_iter()
        .chain([first.to_string()])
        .collect()
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
        let mut runs = runs(&[1, 2, 3, 4]);
        runs[1].name = fredbatch_core::ids::run_submission_name(JobId(7), 2, 1);
        let units = plan(JobId(7), &runs, &all(&runs), 100);
        assert_eq!(
            units[0],
            Unit::Plain {
                run: 1,
                name: "fred-job-7-run-2-retry-1".into()
            }
        );
        assert_eq!(
            units.len(),
            3,
            "run 1 alone, then runs 3-4 as an array: {units:?}"
        );
    }

    #[test]
    fn contiguous_runs_become_one_array_and_strays_plain_jobs() {
        let runs = runs(&[5, 1, 2, 3, 9, 4]);
        let units = plan(JobId(7), &runs, &all(&runs), 1001);
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
    fn arrays_are_split_at_the_size_limit() {
        let runs = runs(&(1..=7).collect::<Vec<_>>());
        let units = plan(JobId(7), &runs, &all(&runs), 3);
        let names: Vec<&str> = units.iter().map(Unit::name).collect();
        assert_eq!(
            names,
            [
                "fred-job-7-runs-1-3",
                "fred-job-7-runs-4-6",
                "fred-job-7-run-7"
            ]
        );
    }

    #[test]
    fn only_pending_runs_are_planned() {
        let runs = runs(&[1, 2, 3, 4]);
        let units = plan(JobId(7), &runs, &[0, 2, 3], 1001);
        let names: Vec<&str> = units.iter().map(Unit::name).collect();
        assert_eq!(names, ["fred-job-7-run-1", "fred-job-7-runs-3-4"]);
    }

    #[test]
    fn array_tasks_run_the_runs_worker_command_by_index() {
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
