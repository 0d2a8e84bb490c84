//! Slurm job names and ids, and how they are recognized again.
//!
//! - **plain job**: one run, named by the run's natural key `fred-job-<J>-run-<N>`; its backend
//!   id is Slurm's job id, `<job id>`.
//! - **array**: the contiguous runs `first..=last`, named `fred-job-<J>-runs-<first>-<last>`;
//!   task `i` runs run number `first + i` and its backend id is `<array job id>_<i>`, the form
//!   Slurm's own tools accept.
//! - **retry**: attempt `K` (≥ 2) of run `N` after an interruption, a one-task array named
//!   `fred-job-<J>-run-<N>-attempt-<K>` (see [`crate::retry`]).
//!
//! Names are the idempotency keys: squeue lists every job slurmctld knows, whatever its state,
//! so a submission made before a crash is found by name instead of being sent again.

use std::fmt;

use fredbatch_core::{BackendJobId, JobId};

/// The prefix every Slurm job name of `job` starts with.
pub fn job_prefix(job: JobId) -> String {
    format!("fred-job-{job}-")
}

pub fn array_name(job: JobId, first: u32, last: u32) -> String {
    format!("fred-job-{job}-runs-{first}-{last}")
}

pub fn retry_name(job: JobId, run_number: u32, attempt: u32) -> String {
    format!("fred-job-{job}-run-{run_number}-attempt-{attempt}")
}

/// What a fredbatch job name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    Plain {
        job: JobId,
        run_number: u32,
    },
    Array {
        job: JobId,
        first: u32,
        last: u32,
    },
    Retry {
        job: JobId,
        run_number: u32,
        attempt: u32,
    },
}

impl Name {
    pub fn parse(name: &str) -> Option<Name> {
        let rest = name.strip_prefix("fred-job-")?;
        let (job, rest) = rest.split_once('-')?;
        let job = JobId(job.parse().ok()?);
        if let Some(range) = rest.strip_prefix("runs-") {
            let (first, last) = range.split_once('-')?;
            let (first, last) = (first.parse().ok()?, last.parse().ok()?);
            return (first <= last).then_some(Name::Array { job, first, last });
        }
        let run = rest.strip_prefix("run-")?;
        match run.split_once("-attempt-") {
            Some((number, attempt)) => Some(Name::Retry {
                job,
                run_number: number.parse().ok()?,
                attempt: attempt.parse().ok()?,
            }),
            None => Some(Name::Plain {
                job,
                run_number: run.parse().ok()?,
            }),
        }
    }

    pub fn job(&self) -> JobId {
        match self {
            Name::Plain { job, .. } | Name::Array { job, .. } | Name::Retry { job, .. } => *job,
        }
    }
}

/// A backend job id: a plain job, or one task of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlurmId {
    Plain(u64),
    Task { array: u64, index: u32 },
}

impl SlurmId {
    pub fn parse(id: &str) -> Option<SlurmId> {
        match id.split_once('_') {
            Some((array, index)) => Some(SlurmId::Task {
                array: array.parse().ok()?,
                index: index.parse().ok()?,
            }),
            None => id.parse().ok().map(SlurmId::Plain),
        }
    }

    pub fn backend_id(&self) -> BackendJobId {
        BackendJobId(self.to_string())
    }
}

impl fmt::Display for SlurmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlurmId::Plain(id) => write!(f, "{id}"),
            SlurmId::Task { array, index } => write!(f, "{array}_{index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fredbatch_core::ids::run_job_name;

    #[test]
    fn names_round_trip() {
        let job = JobId(7);
        assert_eq!(
            Name::parse(&run_job_name(job, 3)),
            Some(Name::Plain { job, run_number: 3 })
        );
        assert_eq!(
            Name::parse(&array_name(job, 1, 500)),
            Some(Name::Array {
                job,
                first: 1,
                last: 500
            })
        );
        assert_eq!(
            Name::parse(&retry_name(job, 9, 2)),
            Some(Name::Retry {
                job,
                run_number: 9,
                attempt: 2
            })
        );
        assert_eq!(Name::parse("fred-job-7-runs-5-1"), None);
        assert_eq!(Name::parse("wrap"), None);
        assert!(array_name(JobId(70), 1, 2).starts_with(&job_prefix(JobId(70))));
        assert!(!array_name(JobId(70), 1, 2).starts_with(&job_prefix(job)));
    }

    #[test]
    fn ids_round_trip() {
        assert_eq!(
            SlurmId::parse("123_4"),
            Some(SlurmId::Task {
                array: 123,
                index: 4
            })
        );
        assert_eq!(SlurmId::parse("123"), Some(SlurmId::Plain(123)));
        assert_eq!(SlurmId::parse("abc"), None);
        assert_eq!(SlurmId::parse("12_x"), None);
        assert_eq!(SlurmId::Task { array: 5, index: 0 }.to_string(), "5_0");
    }
}
