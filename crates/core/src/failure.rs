//! What kind of failure an attempt's end was, from the words every backend already uses for it
//! (the worker's, AWS Batch's, Slurm's and the local executor's), so that each class is told
//! apart the same way everywhere, and a retry can fix what went wrong:
//!
//! | class | reasons |
//! | --- | --- |
//! | out of memory | `OutOfMemoryError...` (AWS's container reason; Slurm's OUT_OF_MEMORY is mapped to it) |
//! | over its time limit | [`TIMEOUT_REASON`] (AWS's words; the local executor and Slurm's TIMEOUT use them) |
//! | interrupted | `Host ...` (a reclaimed Spot instance, a failed or preempted node, a killed worker), SIGTERM before FRED finished |
//! | model | FRED's own errors (`FRED Error ...`), a missing program, FRED exiting non-zero |
//! | infrastructure | the image could not be pulled or started, a misconfigured job (or one a queue cancelled as no compute environment could run it), a worker that could not start or reach storage |
//!
//! Anything else is `other`: a class is never guessed.

use serde::{Deserialize, Serialize};

use crate::judge::is_model_error;
use crate::sync::{TIMEOUT_REASON, is_interruption};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    OutOfMemory,
    OverTime,
    Interrupted,
    Model,
    Infrastructure,
    Other,
}

impl FailureClass {
    /// Every class, in the order people read them.
    pub const ALL: [FailureClass; 6] = [
        FailureClass::OutOfMemory,
        FailureClass::OverTime,
        FailureClass::Interrupted,
        FailureClass::Model,
        FailureClass::Infrastructure,
        FailureClass::Other,
    ];

    /// The class of a failure given in `reason` (an attempt's or a run's).
    pub fn of(reason: &str) -> FailureClass {
        let has = |needle: &str| reason.contains(needle);
        if has("OutOfMemoryError") || has("OUT_OF_MEMORY") {
            FailureClass::OutOfMemory
        } else if has(TIMEOUT_REASON) {
            FailureClass::OverTime
        } else if is_interruption(reason) || reason.starts_with("interrupted") {
            FailureClass::Interrupted
        } else if is_model_error(reason)
            || has("FRED program file")
            || reason.starts_with("FRED exited with status")
            || reason.starts_with("FRED wrote no out.csv")
            || reason.starts_with("not run: FRED")
        {
            FailureClass::Model
        } else if has("CannotPullContainer")
            || has("CannotStartContainer")
            || has("ResourceInitializationError")
            || reason.starts_with("MISCONFIGURATION")
            // A queue's JobStateTimeLimitActions cancelled it: no compute environment could run it.
            || has("by JobStateTimeLimit action")
            || reason.starts_with("Cannot start the worker")
            || reason.starts_with("cannot start the engine")
            || reason.starts_with("cannot fetch the job's inputs")
            || reason.starts_with("cannot store the run's outputs")
            || has("no compute environment")
        {
            FailureClass::Infrastructure
        } else {
            FailureClass::Other
        }
    }

    /// The class for people, e.g. `out of memory`.
    pub fn label(self) -> &'static str {
        match self {
            FailureClass::OutOfMemory => "out of memory",
            FailureClass::OverTime => "over its time limit",
            FailureClass::Interrupted => "interrupted",
            FailureClass::Model => "model error",
            FailureClass::Infrastructure => "infrastructure",
            FailureClass::Other => "other",
        }
    }

    /// The name scripts use (`out_of_memory`): the JSON name, and what filters take.
    pub fn name(self) -> &'static str {
        match self {
            FailureClass::OutOfMemory => "out_of_memory",
            FailureClass::OverTime => "over_time",
            FailureClass::Interrupted => "interrupted",
            FailureClass::Model => "model",
            FailureClass::Infrastructure => "infrastructure",
            FailureClass::Other => "other",
        }
    }
}

/// A failure class name that is none of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure class `{0}`; the classes are {list}", list = FailureClass::ALL.map(FailureClass::name).join(", "))]
pub struct UnknownFailureClass(pub String);

impl std::str::FromStr for FailureClass {
    type Err = UnknownFailureClass;

    fn from_str(text: &str) -> Result<FailureClass, UnknownFailureClass> {
        FailureClass::ALL
            .into_iter()
            .find(|class| class.name() == text)
            .ok_or_else(|| UnknownFailureClass(text.to_owned()))
    }
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::FailureClass::{self, *};

    #[test]
    fn names_read_back_and_an_unknown_one_lists_them_all() {
        for class in FailureClass::ALL {
            assert_eq!(class.name().parse::<FailureClass>(), Ok(class));
            assert_eq!(
                serde_json::to_value(class).unwrap(),
                serde_json::Value::from(class.name())
            );
        }
        let error = "out-of-memory"
            .parse::<FailureClass>()
            .unwrap_err()
            .to_string();
        assert!(error.contains("`out-of-memory`"), "{error}");
        assert!(
            error.contains("out_of_memory, over_time, interrupted"),
            "{error}"
        );
    }

    #[test]
    fn each_backends_words_get_their_class() {
        let cases = [
            (
                "OutOfMemoryError: Container killed due to memory usage",
                OutOfMemory,
            ),
            (
                "the run used more memory than it asked for (OUT_OF_MEMORY): give it more --memory",
                OutOfMemory,
            ),
            ("Job attempt duration exceeded timeout", OverTime),
            (
                "timed out: the attempt ran longer than its limit (Job attempt duration exceeded timeout)",
                OverTime,
            ),
            (
                "out of memory: the run used more memory than it asked for (OutOfMemoryError: Container killed due to memory usage)",
                OutOfMemory,
            ),
            (
                "Job attempt duration exceeded timeout (Slurm TIMEOUT: the limit was 5 min)",
                OverTime,
            ),
            ("Host EC2 (instance i-0abc) terminated.", Interrupted),
            (
                "Host slurm: the node failed under the run (NODE_FAIL)",
                Interrupted,
            ),
            (
                "Host local: worker killed by signal 9 (SIGKILL)",
                Interrupted,
            ),
            (
                "interrupted by SIGTERM before FRED finished; nothing was committed",
                Interrupted,
            ),
            ("FRED Error (file main.fred) No locations specified", Model),
            ("FRED program file main.fred not found", Model),
            ("FRED exited with status 3: boom", Model),
            (
                "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
                Infrastructure,
            ),
            (
                "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - no compute environment",
                Infrastructure,
            ),
            (
                "Cannot start the worker: No such file or directory",
                Infrastructure,
            ),
            (
                "Terminated by JobStateTimeLimit action due to reason: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
                Infrastructure,
            ),
            (
                "the backend reports success but no result was committed",
                Other,
            ),
        ];
        for (reason, class) in cases {
            assert_eq!(FailureClass::of(reason), class, "{reason}");
        }
        assert_eq!(FailureClass::OutOfMemory.to_string(), "out of memory");
        assert_eq!(
            serde_json::to_string(&FailureClass::OverTime).unwrap(),
            "\"over_time\""
        );
    }
}
