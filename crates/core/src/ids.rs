//! Identifiers. Jobs and runs get small integers from the store, so people can type them;
//! backends name their own jobs with opaque strings.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

int_id!(
    /// A job: one model, many runs.
    JobId
);
int_id!(
    /// A run, unique across all jobs.
    RunId
);

/// The backend's own name for one submitted run (an AWS Batch job id, or a local executor id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BackendJobId(pub String);

impl fmt::Display for BackendJobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for BackendJobId {
    fn from(s: &str) -> Self {
        BackendJobId(s.to_owned())
    }
}

/// The natural key of a run, used as the backend job name so a submission can be found again
/// after a crash. It fits AWS Batch's job-name rules (letters, digits, `-`, `_`; at most 128).
pub fn run_job_name(job: JobId, run_number: u32) -> String {
    format!("fred-job-{job}-run-{run_number}")
}

/// The backend job name of a run's submission: its natural key, and for a run asked for again
/// after it ended ERROR, the retry's number, so the new backend job is not the failed one.
pub fn run_submission_name(job: JobId, run_number: u32, retries: u32) -> String {
    match retries {
        0 => run_job_name(job, run_number),
        n => format!("{}-retry-{n}", run_job_name(job, run_number)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_name_is_a_valid_batch_job_name() {
        let name = run_job_name(JobId(42), 10_000);
        assert_eq!(name, "fred-job-42-run-10000");
        assert!(name.len() <= 128);
        assert_eq!(run_submission_name(JobId(42), 7, 0), "fred-job-42-run-7");
        assert_eq!(
            run_submission_name(JobId(42), 7, 2),
            "fred-job-42-run-7-retry-2"
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn ids_parse_from_user_input() {
        assert_eq!(" 7 ".parse::<JobId>().unwrap(), JobId(7));
        assert!("seven".parse::<RunId>().is_err());
    }
}
