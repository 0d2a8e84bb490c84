//! Submitting a job's open runs, recording each part as the backend accepts it.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use fredbatch_core::backend_jobs::run_submission_name;
use fredbatch_core::{
    BackendJobId, Job, JobSpec, Run, RunId, RunSize, RunSubmission, RunnerError, SimulationRunner,
    SubmitProgress, WorkerCommand,
};
use fredbatch_store::Store;

use crate::backend_check::{check_backend, clear_refusal};
use crate::error::SupervisorError;
use crate::first_run_check::{self, Gate};
use crate::first_wave;

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
    let (gate, job) = match first_run_check::gate(store, job).await? {
        Gate::Open => first_wave::gate(store, job).await?,
        held => (held, job.clone()),
    };
    let job = &job;
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
    if let Gate::FirstRuns(last) = gate {
        to_submit.retain(|run| run.run_number <= last);
    }
    if let Some(budget) = job.budget {
        let running = known.values().filter(|b| !b.state.is_final()).count();
        crate::budget::within_budget(store, job, budget, running, &mut to_submit).await?;
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
    submit_runs(store, runner, job, &to_submit).await
}

/// Submits `runs` of `job`, each at its own size and with what is left of its interruptions
/// budget: one backend submission per such group (most jobs have one). Returns how many
/// were submitted.
pub(crate) async fn submit_runs(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
    runs: &[Run],
) -> Result<usize, SupervisorError> {
    let mut groups: BTreeMap<(RunSize, u32), Vec<RunSubmission>> = BTreeMap::new();
    for run in runs {
        let interruptions_left = interruptions_left(store, job, run).await?;
        groups
            .entry((job.size_of(run), interruptions_left))
            .or_default()
            .push(RunSubmission {
                run_id: run.id,
                run_number: run.run_number,
                name: run_submission_name(job.id, run.run_number, run.retries),
                worker: WorkerCommand::run(job.id, run.id),
            });
    }
    for ((size, interruptions_left), submissions) in &groups {
        let spec = JobSpec {
            job_id: job.id,
            resources: size.resources,
            // Interruptions the backend may retry itself, besides the first attempt.
            retry: runner.retry_strategy(1 + interruptions_left),
            attempt_timeout: Duration::from_secs(size.timeout_seconds),
        };
        let submitted = runner
            .submit(&spec, submissions, &RecordInStore(store))
            .await;
        crate::telemetry::backend_call("submit", &submitted);
        submitted.map_err(SupervisorError::backend("submitting runs"))?;
    }
    Ok(runs.len())
}

/// What is left of `run`'s interruptions budget (a run that never ran has all of it).
async fn interruptions_left(store: &Store, job: &Job, run: &Run) -> Result<u32, SupervisorError> {
    let used = if run.attempts == 0 {
        0
    } else {
        crate::retry::history(&store.attempts(run.id).await?).interruptions
    };
    Ok(job.retry_policy.interruptions.saturating_sub(used))
}
