//! What a run's next attempt gets after one failed, decided from the failure's class alone, so
//! every backend retries alike and a retry fixes what went wrong:
//!
//! | class | next attempt |
//! | --- | --- |
//! | out of memory | memory × [`RetryPolicy::memory_growth`], capped by `--max-memory` and by the [`Ceiling`] |
//! | over its time limit | time limit × [`RetryPolicy::time_growth`], only when the user asked for it |
//! | interrupted | the same size, while the interruptions stay within [`RetryPolicy::interruptions`] |
//! | model error, infrastructure, other | none: more of anything would not help |
//!
//! Terms:
//! - **size**: what one attempt ran with, its vCPUs, memory and time limit ([`RunSize`]);
//! - **counted attempt**: one that counts against the job's `--attempts`: every attempt that
//!   ended other than interrupted (an interruption is the machine's fault, never the run's);
//! - **ceiling**: the largest run the backend can place (this machine, the largest node of the
//!   partition, the largest instance type of the compute environment) and what sets it.

use serde::{Deserialize, Serialize};

use crate::failure::FailureClass;
use crate::resources::Resources;

/// What one attempt runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunSize {
    #[serde(flatten)]
    pub resources: Resources,
    /// The attempt is stopped after this long.
    pub timeout_seconds: u64,
}

/// How a job's runs are retried after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// An attempt that ran out of memory is followed by one with this many times its memory.
    pub memory_growth: f64,
    /// An attempt over its time limit is followed by one with this many times its limit;
    /// `None`: over time ends the run.
    #[serde(default)]
    pub time_growth: Option<f64>,
    /// Memory, in MB, no attempt grows beyond (besides what the backend can place).
    #[serde(default)]
    pub max_memory_mb: Option<u64>,
    /// Interruptions a run may suffer before it ends; they never count as its attempts.
    pub interruptions: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            memory_growth: RetryPolicy::DEFAULT_MEMORY_GROWTH,
            time_growth: None,
            max_memory_mb: None,
            interruptions: RetryPolicy::DEFAULT_INTERRUPTIONS,
        }
    }
}

/// A policy that could not work, naming the flag that sets the bad value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "--memory-growth must be above 1 (the next attempt's memory is the last one's times it), not {0}"
    )]
    MemoryGrowth(f64),
    #[error(
        "--time-growth must be above 1 (the next attempt's time limit is the last one's times it), not {0}"
    )]
    TimeGrowth(f64),
    #[error("--max-memory {max_mb} MB is below the {start_mb} MB each run starts with (--memory)")]
    MaxMemoryBelowStart { max_mb: u64, start_mb: u64 },
}

impl RetryPolicy {
    pub const DEFAULT_MEMORY_GROWTH: f64 = 2.0;
    pub const DEFAULT_INTERRUPTIONS: u32 = 3;

    /// Refuses a policy that could never grow a run, or one capped below where runs start.
    pub fn check(&self, start: &Resources) -> Result<(), PolicyError> {
        if !(self.memory_growth > 1.0 && self.memory_growth.is_finite()) {
            return Err(PolicyError::MemoryGrowth(self.memory_growth));
        }
        if let Some(growth) = self.time_growth.filter(|g| !(*g > 1.0 && g.is_finite())) {
            return Err(PolicyError::TimeGrowth(growth));
        }
        if let Some(max_mb) = self.max_memory_mb.filter(|max| *max < start.memory_mb) {
            return Err(PolicyError::MaxMemoryBelowStart {
                max_mb,
                start_mb: start.memory_mb,
            });
        }
        Ok(())
    }
}

/// The largest run a backend can place, and what sets that limit, in words that finish
/// "needed more than 16 GiB: ...", e.g. `the largest instance type in the compute environment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceiling {
    pub resources: Resources,
    pub source: String,
}

/// A run's failed attempts so far, the one just ended included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Attempts that count against `--attempts` (see the module's terms).
    pub counted: u32,
    pub interruptions: u32,
}

/// What follows a failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Submit the run again with `size`; `why` says so for people.
    Again { size: RunSize, why: String },
    /// The run ends ERROR; `Some` replaces the backend's reason (it says why nothing more can
    /// be given), `None` keeps it.
    End(Option<String>),
}

/// What follows an attempt of `ran_with` that failed as `failure`, given the run's `history`
/// and the job's `policy` and `max_attempts`, capped by the backend's `ceiling` when known.
pub fn next_attempt(
    policy: &RetryPolicy,
    max_attempts: u32,
    failure: FailureClass,
    ran_with: RunSize,
    history: History,
    ceiling: Option<&Ceiling>,
) -> Next {
    let attempts_left = history.counted < max_attempts;
    match failure {
        FailureClass::Interrupted if history.interruptions <= policy.interruptions => Next::Again {
            size: ran_with,
            why: format!(
                "interrupted ({} of {} allowed by --interruptions): the same size again",
                history.interruptions, policy.interruptions
            ),
        },
        FailureClass::OutOfMemory if attempts_left => grow_memory(policy, ran_with, ceiling),
        FailureClass::OverTime if attempts_left => match policy.time_growth {
            Some(growth) => {
                let timeout_seconds = scale(ran_with.timeout_seconds, growth);
                Next::Again {
                    size: RunSize {
                        timeout_seconds,
                        ..ran_with
                    },
                    why: format!(
                        "over its time limit of {} s: the next attempt gets {timeout_seconds} s",
                        ran_with.timeout_seconds
                    ),
                }
            }
            None => Next::End(None),
        },
        _ => Next::End(None),
    }
}

fn grow_memory(policy: &RetryPolicy, ran_with: RunSize, ceiling: Option<&Ceiling>) -> Next {
    let from_flag = policy
        .max_memory_mb
        .map(|mb| (mb, "--max-memory".to_owned()));
    let from_backend = ceiling.map(|c| (c.resources.memory_mb, c.source.clone()));
    let cap = [from_flag, from_backend]
        .into_iter()
        .flatten()
        .min_by_key(|(mb, _)| *mb);
    let had = ran_with.resources.memory_mb;
    let wanted = scale(had, policy.memory_growth).max(had + 1);
    let memory_mb = match &cap {
        Some((cap_mb, source)) if had >= *cap_mb => {
            return Next::End(Some(format!(
                "out of memory at {}, and needed more than {}: {source}",
                megabytes(had),
                megabytes(*cap_mb)
            )));
        }
        Some((cap_mb, _)) => wanted.min(*cap_mb),
        None => wanted,
    };
    Next::Again {
        size: RunSize {
            resources: Resources {
                memory_mb,
                ..ran_with.resources
            },
            ..ran_with
        },
        why: format!(
            "out of memory at {}: the next attempt gets {}",
            megabytes(had),
            megabytes(memory_mb)
        ),
    }
}

/// `value × factor`, rounded up.
fn scale(value: u64, factor: f64) -> u64 {
    (value as f64 * factor).ceil() as u64
}

/// Memory for people: whole GiB as such (`16 GiB`), anything else in MB.
pub fn megabytes(mb: u64) -> String {
    if mb >= 1024 && mb.is_multiple_of(1024) {
        format!("{} GiB", mb / 1024)
    } else {
        format!("{mb} MB")
    }
}

#[cfg(test)]
mod tests;
