//! Submitting a job's open runs, recording each part as the backend accepts it.

use async_trait::async_trait;
use chrono::Utc;
use fredbatch_core::backend_jobs::run_submission_name;
use fredbatch_core::{
    BackendJobId, Job, Run, RunId, RunSubmission, RunnerError, SimulationRunner, SubmitProgress,
    WorkerCommand,
};
use fredbatch_store::Store;

use crate::backend_check::{check_backend, clear_refusal};
use crate::error::SupervisorError;
use crate::first_run_check::{self, Gate};
use crate::job_spec;

/// Records which backend job holds which run as soon as the backend says so: a crash after
/// that point loses nothing, and one before it is caught by the backend's own lookup by name.
struct RecordInStore<'a>(&'a Store);

#[async_trait]
impl SubmitProgress for RecordInStore<'_> {
    async fn accepted(&self, runs: &[(RunId, BackendJobId)]) -> Result<(), RunnerError> {
        self.0
            .record_submissions(runs)
            .await
            .map_err(|e| RunnerError::Recording(e.to_string()))
    }
}

/// See [`crate::Supervisor::submit`].
pub(crate) async fn submit_open_runs(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
) -> Result<usize, SupervisorError> {
    check_backend(store, runner, job).await?;
    clear_refusal(store, job).await?;
    let gate = first_run_check::gate(store, job).await?;
    let open = store.open_runs(job.id).await?;
    let held: Vec<BackendJobId> = open
        .iter()
        .filter_map(|r| r.backend_job_id.clone())
        .collect();
    let known = runner.describe(&held).await;
    crate::telemetry::backend_call("describe", &known);
    let known = known.map_err(SupervisorError::backend(
        "asking the backend for run states",
    ))?;
    let (cancelled, mut to_submit): (Vec<Run>, Vec<Run>) = open
        .into_iter()
        .filter(|run| {
            run.backend_job_id
                .as_ref()
                .is_none_or(|id| !known.contains_key(id))
        })
        .partition(|run| run.cancel_requested);
    if let Gate::FirstRunOnly(first) = gate {
        to_submit.retain(|run| run.id == first);
    }
    let cancelled: Vec<RunId> = cancelled.iter().map(|r| r.id).collect();
    store.mark_cancelled(&cancelled, Utc::now()).await?;
    let lost: Vec<RunId> = to_submit
        .iter()
        .filter(|r| r.backend_job_id.is_some())
        .map(|r| r.id)
        .collect();
    store.reset_for_resubmission(&lost).await?;
    if to_submit.is_empty() {
        return Ok(0);
    }
    let submissions: Vec<RunSubmission> = to_submit
        .iter()
        .map(|run| RunSubmission {
            run_id: run.id,
            run_number: run.run_number,
            name: run_submission_name(job.id, run.run_number, run.retries),
            worker: WorkerCommand::run(job.id, run.id),
        })
        .collect();
    let submitted = runner
        .submit(&job_spec(job, runner), &submissions, &RecordInStore(store))
        .await;
    crate::telemetry::backend_call("submit", &submitted);
    submitted.map_err(SupervisorError::backend("submitting runs"))?;
    Ok(submissions.len())
}
