//! Holding a job to its budget (see `fredbatch_core::budget`): before runs are submitted, how
//! many of them may start. A run is expected to cost what the job's succeeded attempts cost
//! on average (or, before any ended, its model's earlier measured runs); until one is known,
//! runs start one at a time. Runs that cannot start wait while others run (they may end cheaper than
//! expected) and end CANCELLED with [`BUDGET_REACHED`] once nothing runs.

use chrono::Utc;
use fredbatch_core::budget::BUDGET_REACHED;
use fredbatch_core::sizing::HISTORY_RUNS;
use fredbatch_core::{AttemptStatus, Budget, Job, Run, RunId};
use fredbatch_cost::spend::{Meter, wall_seconds};
use fredbatch_store::Store;
use tracing::info;

use crate::error::SupervisorError;

/// Keeps the runs of `to_submit` (lowest run numbers first) that `job`'s budget lets start
/// while `running` runs of it still run; ends the others CANCELLED when nothing runs.
pub(crate) async fn within_budget(
    store: &Store,
    job: &Job,
    budget: Budget,
    running: usize,
    to_submit: &mut Vec<Run>,
) -> Result<(), SupervisorError> {
    let meter = Meter::new(budget);
    let now = Utc::now();
    let attempts = store.job_attempts(job.id).await?;
    let spent: f64 = attempts
        .iter()
        .filter(|(_, a)| a.status != AttemptStatus::Running)
        .map(|(_, a)| meter.attempt_cost(a, &job.resources, now))
        .sum();
    let mut walls: Vec<f64> = attempts
        .iter()
        .filter(|(_, a)| a.status == AttemptStatus::Succeeded)
        .map(|(_, a)| wall_seconds(a, now))
        .collect();
    if walls.is_empty()
        && let Some(key) = &job.size_key
    {
        let history = store.measured_history(key, None, HISTORY_RUNS).await?;
        walls = history.iter().map(|m| m.wall_seconds).collect();
    }
    let per_run = meter.expected_run_cost(&job.resources, &walls);
    let allowed = match per_run {
        // Nothing to expect of a run yet: one at a time, and only while none runs.
        None if running > 0 => 0,
        _ => budget.runs_that_fit(spent, running as f64 * per_run.unwrap_or(0.0), per_run),
    };
    to_submit.sort_by_key(|run| run.run_number);
    let over: Vec<RunId> = to_submit
        .iter()
        .skip(usize::try_from(allowed).unwrap_or(usize::MAX))
        .map(|run| run.id)
        .collect();
    to_submit.truncate(to_submit.len() - over.len());
    if !over.is_empty() && running == 0 && to_submit.is_empty() {
        let ended = store.cancel_unstarted(&over, BUDGET_REACHED, now).await?;
        info!(job = %job.id, ended, %budget, spent, "budget reached: runs not started end");
    }
    Ok(())
}
