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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_from_user_input() {
        assert_eq!(" 7 ".parse::<JobId>().unwrap(), JobId(7));
        assert!("seven".parse::<RunId>().is_err());
    }
}
