//! The names fredbatch gives backend jobs, and how a name is read back.
//!
//! Every name of job `J` starts with `fred-job-<J>-` ([`job_prefix`]):
//!
//! - **run**: one run's submission, named by the run's natural key `fred-job-<J>-run-<N>`; a
//!   run asked for again after it ended ERROR carries the retry's number,
//!   `fred-job-<J>-run-<N>-retry-<R>`, so the new backend job is not the failed one;
//! - **array**: the contiguous runs `first..=last` as one array job,
//!   `fred-job-<J>-runs-<first>-<last>`; its task `i` runs run number `first + i`;
//! - **attempt**: attempt `K` (≥ 2) of run `N`, for a backend that retries interruptions
//!   itself by sending a new job (Slurm), `fred-job-<J>-run-<N>-attempt-<K>`.
//!
//! Names are the idempotency keys: a backend lists its jobs by name in any state, which is how
//! a submission made before a crash is found instead of being sent again. Every name fits AWS
//! Batch's job-name rules (letters, digits, `-`, `_`; at most 128) and Slurm's.

use std::fmt;

use crate::ids::JobId;

const PREFIX: &str = "fred-job-";

/// A contiguous range of run numbers `first..=last`, as an array job holds them: task index
/// `i` holds run number `first + i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunRange {
    first: u32,
    last: u32,
}

impl RunRange {
    /// `None` when `last` comes before `first`.
    pub fn new(first: u32, last: u32) -> Option<RunRange> {
        (first <= last).then_some(RunRange { first, last })
    }

    pub fn first(&self) -> u32 {
        self.first
    }

    pub fn last(&self) -> u32 {
        self.last
    }

    /// How many runs (array tasks) the range holds.
    pub fn len(&self) -> usize {
        (self.last - self.first) as usize + 1
    }

    /// Never true: a range holds at least its first run.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The task index that holds run `number`, if the range holds it.
    pub fn index_of(&self, number: u32) -> Option<u32> {
        (self.first..=self.last)
            .contains(&number)
            .then(|| number - self.first)
    }

    /// The run number task `index` holds, if the range has that task.
    pub fn number_at(&self, index: u32) -> Option<u32> {
        let number = self.first.checked_add(index)?;
        (number <= self.last).then_some(number)
    }
}

/// What a fredbatch backend job name says (see the module header for the forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendJobName {
    Run {
        job: JobId,
        run_number: u32,
        /// 0 for the run's first submission.
        retry: u32,
    },
    Array {
        job: JobId,
        runs: RunRange,
    },
    Attempt {
        job: JobId,
        run_number: u32,
        attempt: u32,
    },
}

impl BackendJobName {
    /// Reads a name back; `None` for anything fredbatch did not name this way.
    pub fn parse(name: &str) -> Option<BackendJobName> {
        let (job, rest) = name.strip_prefix(PREFIX)?.split_once('-')?;
        let job = JobId(number(job)?);
        if let Some(range) = rest.strip_prefix("runs-") {
            let (first, last) = range.split_once('-')?;
            let runs = RunRange::new(number(first)?, number(last)?)?;
            return Some(BackendJobName::Array { job, runs });
        }
        let run = rest.strip_prefix("run-")?;
        if let Some((run_number, attempt)) = run.split_once("-attempt-") {
            return Some(BackendJobName::Attempt {
                job,
                run_number: number(run_number)?,
                attempt: number(attempt)?,
            });
        }
        let (run_number, retry) = match run.split_once("-retry-") {
            Some((run_number, retry)) => (run_number, number(retry).filter(|&r| r > 0)?),
            None => (run, 0),
        };
        Some(BackendJobName::Run {
            job,
            run_number: number(run_number)?,
            retry,
        })
    }

    /// The fredbatch job the name belongs to.
    pub fn job(&self) -> JobId {
        match self {
            BackendJobName::Run { job, .. }
            | BackendJobName::Array { job, .. }
            | BackendJobName::Attempt { job, .. } => *job,
        }
    }
}

impl fmt::Display for BackendJobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendJobName::Run {
                job,
                run_number,
                retry: 0,
            } => write!(f, "{PREFIX}{job}-run-{run_number}"),
            BackendJobName::Run {
                job,
                run_number,
                retry,
            } => write!(f, "{PREFIX}{job}-run-{run_number}-retry-{retry}"),
            BackendJobName::Array { job, runs } => {
                write!(f, "{PREFIX}{job}-runs-{}-{}", runs.first, runs.last)
            }
            BackendJobName::Attempt {
                job,
                run_number,
                attempt,
            } => write!(f, "{PREFIX}{job}-run-{run_number}-attempt-{attempt}"),
        }
    }
}

/// A number as the names write it (decimal digits, no sign, no leading zero), so that a name
/// reads back only when writing it again gives the same name.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    let canonical = text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty();
    (canonical && (text == "0" || !text.starts_with('0')))
        .then(|| text.parse().ok())
        .flatten()
}

/// The prefix every backend job name of `job` starts with (and no name of another job does).
pub fn job_prefix(job: JobId) -> String {
    format!("{PREFIX}{job}-")
}

/// The natural key of a run, used as its backend job name.
pub fn run_job_name(job: JobId, run_number: u32) -> String {
    run_submission_name(job, run_number, 0)
}

/// The backend job name of a run's submission: its natural key, and after `retries` retries
/// asked for once it ended ERROR, the retry's number.
pub fn run_submission_name(job: JobId, run_number: u32, retries: u32) -> String {
    BackendJobName::Run {
        job,
        run_number,
        retry: retries,
    }
    .to_string()
}

/// The name of an array job holding the runs `runs`.
pub fn array_name(job: JobId, runs: RunRange) -> String {
    BackendJobName::Array { job, runs }.to_string()
}

/// The name of attempt `attempt` of run `run_number`, sent as a job of its own.
pub fn attempt_name(job: JobId, run_number: u32, attempt: u32) -> String {
    BackendJobName::Attempt {
        job,
        run_number,
        attempt,
    }
    .to_string()
}

#[cfg(test)]
mod tests;
