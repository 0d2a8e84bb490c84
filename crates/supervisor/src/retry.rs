//! Retries that fix what went wrong: when a run's backend job ends FAILED, the class of its last
//! attempt decides what the run gets next ([`fredbatch_core::growth`]): more memory, more time,
//! the same size after an interruption, or nothing (it ends ERROR). A run that goes again is
//! put back in the queue at its new size and submitted as a new backend job of its own.
//!
//! The backend retries interruptions itself while the run's own budget allows (its retry
//! strategy, see [`crate::submit`]); this module takes over once the backend gave up, so a run
//! is never retried by both.

use fredbatch_core::growth::{Ceiling, History, Next, next_attempt};
use fredbatch_core::sync::RunChange;
use fredbatch_core::{Attempt, FailureClass, Job, RunId, RunStatus, SimulationRunner};
use fredbatch_store::Store;

use crate::error::SupervisorError;

/// The backend's ceiling, asked for once per watch and only when a run needs more memory.
#[derive(Default)]
pub(crate) struct CeilingCache(Option<Option<Ceiling>>);

impl CeilingCache {
    async fn get(&mut self, runner: &dyn SimulationRunner) -> Option<&Ceiling> {
        if self.0.is_none() {
            let asked = runner.largest_run().await;
            crate::telemetry::backend_call("largest_run", &asked);
            // Without it, growth is capped only by --max-memory; the backend refuses what it
            // cannot place, and the run ends ERROR saying so.
            let ceiling = asked
                .inspect_err(|error| {
                    tracing::warn!(%error, "cannot tell the largest run the backend can place")
                })
                .ok()
                .flatten();
            self.0 = Some(ceiling);
        }
        self.0.as_ref().and_then(Option::as_ref)
    }
}

/// A run's failed attempts as the retry rules count them.
pub(crate) fn history(attempts: &[Attempt]) -> History {
    let failures = attempts.iter().filter_map(Attempt::failure);
    let (interrupted, counted): (Vec<_>, Vec<_>) =
        failures.partition(|class| *class == FailureClass::Interrupted);
    History {
        counted: counted.len() as u32,
        interruptions: interrupted.len() as u32,
    }
}

/// For each run `changes` would end ERROR, decides whether it goes again. Runs that do are
/// requeued at their new size and their change is taken out; a run that cannot grow further
/// keeps its change with the reason saying so. Returns the requeued runs.
pub(crate) async fn retry_failed(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
    ceiling: &mut CeilingCache,
    changes: &mut Vec<RunChange>,
) -> Result<Vec<RunId>, SupervisorError> {
    let mut requeued = Vec::new();
    for change in changes.iter_mut() {
        if change.status != RunStatus::Error {
            continue;
        }
        let attempts = store.attempts(change.run_id).await?;
        let Some(last) = attempts.last() else {
            // No attempt ever ran (refused, or cancelled while queued): nothing to grow.
            continue;
        };
        // The run's reason puts the backend's word first for a stop from outside (a worker
        // stopped by its timeout records only that it was interrupted); otherwise the last
        // attempt's own record says more.
        let failure = match FailureClass::of(change.status_reason.as_deref().unwrap_or_default()) {
            FailureClass::Other => last.failure().unwrap_or(FailureClass::Other),
            class => class,
        };
        let run = store.run(change.run_id).await?;
        let ran_with = last.size.unwrap_or_else(|| job.size_of(&run));
        let ceiling = match failure {
            FailureClass::OutOfMemory => ceiling.get(runner).await,
            _ => None,
        };
        let next = next_attempt(
            &job.retry_policy,
            job.max_attempts,
            failure,
            ran_with,
            history(&attempts),
            ceiling,
        );
        match next {
            Next::Again { size, why } => {
                tracing::info!(run = %change.run_id, %why, "the run goes again");
                if store.requeue_resized(change.run_id, &size).await? {
                    requeued.push(change.run_id);
                }
            }
            Next::End(Some(reason)) => {
                // The backend's own words stay beside why nothing more can be given.
                change.status_reason = Some(match last.reason.as_deref() {
                    Some(words) => format!("{reason} ({words})"),
                    None => reason,
                });
            }
            Next::End(None) => {}
        }
    }
    changes.retain(|change| !requeued.contains(&change.run_id));
    Ok(requeued)
}
