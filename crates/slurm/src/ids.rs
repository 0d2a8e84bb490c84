//! Slurm's ids for fredbatch's backend jobs (their names are [`fredbatch_core::backend_jobs`]'s).
//!
//! - **plain job**: one run; its backend id is Slurm's job id, `<job id>`;
//! - **array**: the contiguous runs `first..=last`; task `i` runs run number `first + i` and
//!   its backend id is `<array job id>_<i>`, the form Slurm's own tools accept;
//! - **retry**: attempt `K` (≥ 2) of a run after an interruption, a one-task array of its own
//!   (see [`crate::retry`]).

use std::fmt;

use fredbatch_core::BackendJobId;

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
