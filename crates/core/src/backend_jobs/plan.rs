//! How a backend groups the runs it is handed into submissions (units): contiguous run numbers
//! into array jobs, up to the backend's own size limit; everything else into plain jobs.
//!
//! - **plain unit**: one run, as one backend job named by its submission name;
//! - **array unit**: the runs `first..=last` as one array job (see [`super::names`]); its
//!   tasks run the array form of the runs' worker command.
//!
//! A run asked for again after it ended (an API retry) is never put in an array: the array's
//! name would be its failed submission's, so it goes alone under its retry name.

use crate::ids::JobId;
use crate::runner::RunSubmission;
use crate::worker_command::WorkerCommand;

use super::names::{RunRange, array_name, run_job_name};

/// The fewest runs worth an array: a lone run goes as a plain job under its own name, which
/// every backend takes (AWS Batch refuses arrays of one).
pub const MIN_ARRAY: usize = 2;

/// One submission to a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Index into the submitted runs.
    Plain { run: usize, name: String },
    /// Indexes into the submitted runs, in run-number order (`first`, `first + 1`, ...).
    Array {
        runs: Vec<usize>,
        range: RunRange,
        name: String,
    },
}

impl Unit {
    /// The backend job name.
    pub fn name(&self) -> &str {
        match self {
            Unit::Plain { name, .. } | Unit::Array { name, .. } => name,
        }
    }

    /// Indexes into the submitted runs of the runs this unit holds, task 0 first.
    pub fn runs(&self) -> &[usize] {
        match self {
            Unit::Plain { run, .. } => std::slice::from_ref(run),
            Unit::Array { runs, .. } => runs,
        }
    }

    /// The worker command the unit's backend job runs: its run's own, or for an array the
    /// array form of its runs' command.
    pub fn worker(&self, runs: &[RunSubmission]) -> WorkerCommand {
        match self {
            Unit::Plain { run, .. } => runs[*run].worker,
            Unit::Array {
                runs: members,
                range,
                ..
            } => runs[members[0]].worker.for_array(range.first()),
        }
    }
}

/// Whether a submission is named by its run's natural key alone, and so may be held by an
/// array (see the module header).
pub fn is_first_submission(job: JobId, run: &RunSubmission) -> bool {
    run.name == run_job_name(job, run.run_number)
}

/// The task of an array holding `range` that holds `run`, if an array may hold it.
pub fn task_index(job: JobId, run: &RunSubmission, range: RunRange) -> Option<u32> {
    is_first_submission(job, run)
        .then(|| range.index_of(run.run_number))
        .flatten()
}

/// Groups the runs at `pending` indexes into units, arrays holding at most `max_array` runs (a
/// backend without arrays passes 1). A run number given twice is planned once.
pub fn plan(job: JobId, runs: &[RunSubmission], pending: &[usize], max_array: usize) -> Vec<Unit> {
    let mut order: Vec<usize> = pending.to_vec();
    order.sort_by_key(|&i| runs[i].run_number);
    order.dedup_by_key(|i| runs[*i].run_number);
    let (order, retried): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| is_first_submission(job, &runs[i]));
    let mut units: Vec<Unit> = retried.into_iter().map(|i| plain(runs, i)).collect();
    let mut contiguous: Vec<usize> = Vec::new();
    for i in order {
        let follows = contiguous
            .last()
            .is_some_and(|&prev| runs[prev].run_number + 1 == runs[i].run_number);
        if !follows {
            units.extend(split(job, runs, &contiguous, max_array));
            contiguous.clear();
        }
        contiguous.push(i);
    }
    units.extend(split(job, runs, &contiguous, max_array));
    units
}

/// Contiguous runs as arrays of at most `max_array`, a part too small for an array as plain jobs.
fn split<'a>(
    job: JobId,
    runs: &'a [RunSubmission],
    contiguous: &'a [usize],
    max_array: usize,
) -> impl Iterator<Item = Unit> + 'a {
    contiguous
        .chunks(max_array.max(1))
        .flat_map(move |part| -> Vec<Unit> {
            if part.len() < MIN_ARRAY {
                return part.iter().map(|&i| plain(runs, i)).collect();
            }
            let range = RunRange::new(
                runs[part[0]].run_number,
                runs[part[part.len() - 1]].run_number,
            )
            .expect("runs are in run-number order");
            vec![Unit::Array {
                runs: part.to_vec(),
                range,
                name: array_name(job, range),
            }]
        })
}

fn plain(runs: &[RunSubmission], i: usize) -> Unit {
    Unit::Plain {
        run: i,
        name: runs[i].name.clone(),
    }
}

#[cfg(test)]
mod tests;
