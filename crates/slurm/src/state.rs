//! Slurm's job states in the backend states every other layer knows, with reasons in plain
//! words. NODE_FAIL and PREEMPTED are host interruptions (`Host slurm: ...`, the twin of AWS's
//! `Host EC2 ...`): the machine went away under the run, not the model's fault, so they are
//! retried (see [`crate::retry`]). A timeout's reason starts with the domain's
//! [`TIMEOUT_REASON`] so the domain explains it the same way on every backend.

use fredbatch_core::BackendState;
use fredbatch_core::sync::TIMEOUT_REASON;

use crate::record::JobRecord;

/// The prefix of every interruption this backend reports; the retry strategy matches it.
pub const INTERRUPTION_PREFIX: &str = "Host slurm";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub state: BackendState,
    /// The backend's reason for the state.
    pub status_reason: Option<String>,
    /// The job's own reason (e.g. out of memory), when Slurm gives one.
    pub reason: Option<String>,
    /// The host went away under the job: another attempt may succeed.
    pub interrupted: bool,
}

/// `cancel_reason` is what fredbatch recorded when it cancelled the job, if it did.
pub fn map(record: &JobRecord, cancel_reason: Option<&str>) -> Mapped {
    let slurm_reason = record.reason.as_deref();
    let live = |state, status_reason: Option<String>| Mapped {
        state,
        status_reason,
        reason: None,
        interrupted: false,
    };
    let failed = |status_reason: String| Mapped {
        state: BackendState::Failed,
        status_reason: Some(status_reason),
        reason: None,
        interrupted: false,
    };
    let interrupted = |status_reason: String| Mapped {
        interrupted: true,
        ..failed(status_reason)
    };
    match record.state.as_str() {
        "PENDING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "RESV_DEL_HOLD" => live(
            BackendState::Runnable,
            slurm_reason.map(|reason| format!("pending in Slurm ({reason})")),
        ),
        "CONFIGURING" => live(BackendState::Starting, None),
        "RUNNING" | "COMPLETING" | "SIGNALING" | "STAGE_OUT" | "RESIZING" => {
            live(BackendState::Running, None)
        }
        "SUSPENDED" | "STOPPED" => live(
            BackendState::Running,
            Some(format!(
                "{} by Slurm: the run is paused until it resumes",
                record.state.to_lowercase()
            )),
        ),
        "COMPLETED" => live(BackendState::Succeeded, None),
        "FAILED" => failed(describe_failure(record)),
        "TIMEOUT" => failed(match record.time_limit_minutes {
            Some(minutes) => {
                format!("{TIMEOUT_REASON} (Slurm TIMEOUT: the limit was {minutes} min)")
            }
            None => format!("{TIMEOUT_REASON} (Slurm TIMEOUT)"),
        }),
        "OUT_OF_MEMORY" => out_of_memory(),
        "CANCELLED" => failed(match cancel_reason {
            Some(reason) => reason.to_owned(),
            None => {
                "cancelled in Slurm, not through fredbatch (scancel or an administrator)".to_owned()
            }
        }),
        "BOOT_FAIL" => failed("the node allocated to the run failed to boot (BOOT_FAIL)".into()),
        "DEADLINE" => {
            failed("the run reached its Slurm deadline before it ended (DEADLINE)".into())
        }
        "REVOKED" => failed("Slurm revoked the job: another cluster runs it (REVOKED)".into()),
        "SPECIAL_EXIT" => failed("the job ended with a special exit status (SPECIAL_EXIT)".into()),
        "NODE_FAIL" => interrupted(format!(
            "{INTERRUPTION_PREFIX}: node {} failed (NODE_FAIL)",
            record.nodes.as_deref().unwrap_or("(unknown)")
        )),
        "PREEMPTED" => interrupted(format!(
            "{INTERRUPTION_PREFIX}: preempted on node {} by a higher-priority job (PREEMPTED)",
            record.nodes.as_deref().unwrap_or("(unknown)")
        )),
        other => live(
            BackendState::Runnable,
            Some(format!(
                "in a Slurm state this backend does not know: {other}"
            )),
        ),
    }
}

/// What slurmstepd writes to a job's output when it kills a step for using more than its
/// `--mem` (`JobAcctGatherParams=OverMemoryKill`). Slurm then reports the job only FAILED,
/// killed by signal 9: these words are how the kill is told apart.
pub const MEMORY_KILL_LINE: &str = "Exceeded job memory limit";

/// A job Slurm stopped for its memory: OUT_OF_MEMORY (the cgroup's kill), or FAILED with
/// [`MEMORY_KILL_LINE`] in its output (the accounting's kill).
pub fn out_of_memory() -> Mapped {
    Mapped {
        state: BackendState::Failed,
        status_reason: Some(
            "the run used more memory than it asked for (OUT_OF_MEMORY): give it more --memory"
                .to_owned(),
        ),
        reason: Some(
            "OutOfMemoryError: Slurm stopped the job for using more memory than it asked for"
                .to_owned(),
        ),
        interrupted: false,
    }
}

fn describe_failure(record: &JobRecord) -> String {
    let exit = match record.exit {
        Some(status) if status.signal.is_some() => {
            format!("killed by signal {}", status.signal.unwrap_or_default())
        }
        Some(status) => format!("exit code {}", status.code),
        None => "no exit code".to_owned(),
    };
    match record.reason.as_deref() {
        None | Some("NonZeroExitCode") => format!("the worker failed ({exit})"),
        Some(reason) => format!("Slurm failed the job: {reason} ({exit})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::WaitStatus;

    fn record(state: &str) -> JobRecord {
        JobRecord {
            state: state.into(),
            nodes: Some("localhost".into()),
            ..JobRecord::default()
        }
    }

    #[test]
    fn live_states() {
        let pending = JobRecord {
            reason: Some("Resources".into()),
            ..record("PENDING")
        };
        assert_eq!(map(&pending, None).state, BackendState::Runnable);
        assert_eq!(
            map(&pending, None).status_reason.as_deref(),
            Some("pending in Slurm (Resources)")
        );
        assert_eq!(
            map(&record("CONFIGURING"), None).state,
            BackendState::Starting
        );
        assert_eq!(map(&record("RUNNING"), None).state, BackendState::Running);
        assert_eq!(
            map(&record("COMPLETING"), None).state,
            BackendState::Running
        );
        assert_eq!(
            map(&record("COMPLETED"), None).state,
            BackendState::Succeeded
        );
    }

    #[test]
    fn failures_in_plain_words() {
        let failed = JobRecord {
            reason: Some("NonZeroExitCode".into()),
            exit: Some(WaitStatus::from_raw(768)),
            ..record("FAILED")
        };
        assert_eq!(
            map(&failed, None).status_reason.as_deref(),
            Some("the worker failed (exit code 3)")
        );
        let timeout = JobRecord {
            time_limit_minutes: Some(1),
            ..record("TIMEOUT")
        };
        let mapped = map(&timeout, None);
        assert_eq!(mapped.state, BackendState::Failed);
        assert!(mapped.status_reason.unwrap().starts_with(TIMEOUT_REASON));
        assert!(!mapped.interrupted);
        let oom = map(&record("OUT_OF_MEMORY"), None);
        assert!(oom.reason.unwrap().starts_with("OutOfMemoryError"));
        assert_eq!(
            map(&record("CANCELLED"), Some("Cancelled by user"))
                .status_reason
                .as_deref(),
            Some("Cancelled by user")
        );
        assert!(!map(&record("BOOT_FAIL"), None).interrupted);
        assert!(!map(&record("DEADLINE"), None).interrupted);
    }

    #[test]
    fn node_failures_and_preemption_are_host_interruptions() {
        for state in ["NODE_FAIL", "PREEMPTED"] {
            let mapped = map(&record(state), None);
            assert_eq!(mapped.state, BackendState::Failed);
            assert!(mapped.interrupted);
            let reason = mapped.status_reason.unwrap();
            assert!(reason.starts_with("Host slurm"), "{reason}");
            assert!(fredbatch_core::sync::is_interruption(&reason));
        }
        assert_eq!(
            map(&record("NODE_FAIL"), None).status_reason.as_deref(),
            Some("Host slurm: node localhost failed (NODE_FAIL)")
        );
    }
}
