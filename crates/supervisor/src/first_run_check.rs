//! A job whose model could not be checked where it was submitted (no FRED there: AWS Batch or
//! Slurm with FRED only in the image or on the nodes) has its first run as the check: the other
//! runs are not submitted until it ends. If it ends with FRED's errors or warnings, they end
//! without running and say why; otherwise (DONE without warnings, or a failure that is not the
//! model's) they are submitted as any job's.

use chrono::Utc;
use fredbatch_core::judge::is_model_error;
use fredbatch_core::{Job, Run, RunStatus};
use fredbatch_store::{Store, StoreError};
use tracing::info;

use crate::error::SupervisorError;

/// Which of a job's open runs may be submitted now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// All of them.
    Open,
    /// Only runs numbered up to this (the first run, the check; the first wave, measured);
    /// the others wait for them.
    FirstRuns(u32),
}

/// Where `job`'s first-run check stands; once the first run ended, decides for the others
/// (ending them when it found the model wrong) and opens the gate for good.
pub(crate) async fn gate(store: &Store, job: &Job) -> Result<Gate, SupervisorError> {
    if !job.first_run_checks {
        return Ok(Gate::Open);
    }
    let first = match store.run_by_number(job.id, 1).await {
        Ok(run) => run,
        // A job registered through an API has no runs until they are requested.
        Err(StoreError::NoSuchRunNumber { .. }) => return Ok(Gate::Open),
        Err(error) => return Err(error.into()),
    };
    if !first.status.is_terminal() {
        return Ok(Gate::FirstRuns(first.run_number));
    }
    if let Some(reason) = refusal(&first) {
        let ended = store
            .refuse_unstarted_runs(job.id, &reason, Utc::now())
            .await?;
        info!(job = %job.id, ended, %reason, "the first run found the model wrong");
    }
    store.end_first_run_check(job.id).await?;
    Ok(Gate::Open)
}

/// Why the job's other runs must not run, from how its first run ended; `None` when they may.
fn refusal(first: &Run) -> Option<String> {
    let found = match (first.status, first.status_reason.as_deref()) {
        (RunStatus::Error, Some(reason)) if is_model_error(reason) => {
            format!("FRED found errors in the model: {reason}")
        }
        (RunStatus::Done | RunStatus::Error, _) if !first.warnings.is_empty() => format!(
            "FRED would ignore part of the model: {}",
            first.warnings.join("; ")
        ),
        _ => return None,
    };
    Some(format!(
        "not submitted: the job's first run (run {}) was the check of its model, as no FRED \
         was where the job was submitted, and {found}",
        first.run_number
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fredbatch_core::{JobId, RunId};

    fn first(status: RunStatus, reason: Option<&str>, warnings: &[&str]) -> Run {
        Run {
            id: RunId(1),
            job_id: JobId(1),
            run_number: 1,
            config: 1,
            replicate: 1,
            status,
            status_reason: reason.map(str::to_owned),
            attempts: 1,
            backend_job_id: None,
            backend_state: None,
            cancel_requested: false,
            retries: 0,
            results_key: None,
            started_at: None,
            finished_at: None,
            warnings: warnings.iter().map(|w| w.to_string()).collect(),
            fred_run: 1,
            size: None,
            reused_from: None,
        }
    }

    #[test]
    fn freds_errors_and_warnings_stop_the_rest_and_other_endings_do_not() {
        let error = first(
            RunStatus::Error,
            Some("FRED Error (file main.fred) No locations specified"),
            &[],
        );
        let reason = refusal(&error).unwrap();
        assert!(
            reason.contains("FRED found errors in the model: FRED Error (file main.fred)"),
            "{reason}"
        );
        let warned = first(
            RunStatus::Done,
            None,
            &["FRED Warning (file main.fred, line 5) x"],
        );
        assert!(
            refusal(&warned)
                .unwrap()
                .contains("ignore part of the model")
        );
        // Not the model's doing: the rest run.
        let killed = first(RunStatus::Error, Some("FRED was killed by signal 9"), &[]);
        assert_eq!(refusal(&killed), None);
        assert_eq!(refusal(&first(RunStatus::Done, None, &[])), None);
        assert_eq!(refusal(&first(RunStatus::Cancelled, None, &[])), None);
    }
}
