//! Watching one job: each round forwards cancellation requests (from any process: the store
//! holds them), takes the backend's answers for the job's open runs (described for every
//! watched job at once, see [`crate::round`]), and reconciles them with the store in one
//! transaction per kind of change.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use fredbatch_core::sync::{RunChange, reconcile};
use fredbatch_core::{
    BackendJob, BackendJobId, BackendState, Job, JobId, Run, RunId, RunStatus, SimulationRunner,
};
use fredbatch_store::{StatusCounts, Store};

use crate::cancel::{Forwarded, forward};
use crate::error::SupervisorError;
use crate::retry::{CeilingCache, retry_failed};
use crate::submit::submit_runs;

/// Consecutive ticks a backend may fail to know a submitted run before it counts as lost.
pub const LOST_AFTER: u32 = 5;

/// The open runs of a job being watched, and what the watch remembers between ticks.
pub struct JobWatch {
    job: Job,
    open: HashMap<RunId, Run>,
    pub counts: StatusCounts,
    cancelling: HashSet<RunId>,
    /// Consecutive ticks each run's backend job was unknown to the backend.
    unknown: HashMap<RunId, u32>,
    /// Ended attempts of each run's current backend job already recorded from the backend.
    ended_attempts: HashMap<RunId, usize>,
    /// Runs going again after a failed attempt that still wait for their new backend job.
    to_submit: Vec<RunId>,
    ceiling: CeilingCache,
}

impl JobWatch {
    pub(crate) async fn load(store: &Store, job: &Job) -> Result<JobWatch, SupervisorError> {
        let open = store
            .open_runs(job.id)
            .await?
            .into_iter()
            // Runs held back (for the model's check, the first wave, the budget) are not
            // submitted, so the backend cannot know them yet: they are not lost.
            .filter(|r| !job.holds_runs() || r.backend_job_id.is_some())
            .map(|r| (r.id, r))
            .collect();
        Ok(JobWatch {
            job: job.clone(),
            open,
            counts: store.status_counts(job.id).await?,
            cancelling: HashSet::new(),
            unknown: HashMap::new(),
            ended_attempts: HashMap::new(),
            to_submit: Vec::new(),
            ceiling: CeilingCache::default(),
        })
    }

    pub fn job(&self) -> JobId {
        self.job.id
    }

    pub fn is_finished(&self) -> bool {
        self.open.is_empty() && self.to_submit.is_empty()
    }

    /// The backend jobs of the open runs (what one tick describes).
    pub(crate) fn open_backend_jobs(&self) -> Vec<BackendJobId> {
        self.open
            .values()
            .filter_map(|r| r.backend_job_id.clone())
            .collect()
    }

    /// One round with the backend's answers in hand (see [`crate::round`]): forward
    /// cancellation requests, record ended attempts, reconcile. On an error the next round
    /// starts from the same state.
    pub(crate) async fn apply(
        &mut self,
        store: &Store,
        runner: &dyn SimulationRunner,
        described: &HashMap<BackendJobId, BackendJob>,
    ) -> Result<(), SupervisorError> {
        self.forward_cancellations(store, runner).await?;
        self.record_ended_attempts(store, described).await?;
        let now = Utc::now();
        let mut changes = Vec::new();
        // Runs leaving the watch: ended on the backend, or lost by it.
        let mut leaving = Vec::new();
        for run in self.open.values() {
            let Some(backend) = run.backend_job_id.as_ref().and_then(|id| described.get(id)) else {
                let misses = self.unknown.entry(run.id).or_default();
                *misses += 1;
                if *misses >= LOST_AFTER {
                    leaving.push(run.id);
                }
                continue;
            };
            self.unknown.remove(&run.id);
            if backend.state.is_final() {
                leaving.push(run.id);
            } else if let Some(change) = reconcile(run, backend, now) {
                changes.push(change);
            }
        }
        store.apply_changes(&changes).await?;
        for change in &changes {
            if let Some(run) = self.open.get_mut(&change.run_id) {
                apply_to_snapshot(run, change, &mut self.counts);
            }
        }
        // The worker may have committed a leaving run meanwhile: judge each on a fresh read.
        let mut final_changes = Vec::new();
        let mut final_states = Vec::new();
        for fresh in store.runs_by_ids(&leaving).await? {
            let previous = self
                .open
                .remove(&fresh.id)
                .map(|r| r.status)
                .unwrap_or(fresh.status);
            let backend = fresh
                .backend_job_id
                .as_ref()
                .and_then(|id| described.get(id));
            let status = if fresh.status.is_terminal() {
                final_states.extend(backend.map(|b| (fresh.id, b.state)));
                fresh.status
            } else {
                let change = match backend {
                    Some(backend) => reconcile(&fresh, backend, now),
                    None => Some(lost(&fresh, now)),
                };
                match change {
                    Some(change) => {
                        let status = change.status;
                        final_changes.push(change);
                        status
                    }
                    None => fresh.status,
                }
            };
            move_count(&mut self.counts, previous, status);
        }
        let again = retry_failed(
            store,
            runner,
            &self.job,
            &mut self.ceiling,
            &mut final_changes,
        )
        .await?;
        for run in &again {
            // Counted as ending ERROR above; it is queued again instead.
            move_count(&mut self.counts, RunStatus::Error, RunStatus::Queued);
            self.ended_attempts.remove(run);
            self.unknown.remove(run);
        }
        self.to_submit.extend(again);
        store.apply_changes(&final_changes).await?;
        store.record_backend_states(&final_states).await?;
        self.submit_again(store, runner).await
    }

    /// Submits the runs going again as new backend jobs and watches them from now on. On an
    /// error they stay queued for the next round (and in the store for a resumed job).
    async fn submit_again(
        &mut self,
        store: &Store,
        runner: &dyn SimulationRunner,
    ) -> Result<(), SupervisorError> {
        if self.to_submit.is_empty() {
            return Ok(());
        }
        let runs = store.runs_by_ids(&self.to_submit).await?;
        let runs: Vec<Run> = runs
            .into_iter()
            .filter(|r| !r.status.is_terminal())
            .collect();
        submit_runs(store, runner, &self.job, &runs).await?;
        self.to_submit.clear();
        let ids: Vec<RunId> = runs.iter().map(|r| r.id).collect();
        for run in store.runs_by_ids(&ids).await? {
            self.open.insert(run.id, run);
        }
        Ok(())
    }

    /// Records attempts that ended since the last tick as the backend saw them: log location,
    /// and how an attempt ended that its worker could not record (a reclaimed machine).
    async fn record_ended_attempts(
        &mut self,
        store: &Store,
        described: &HashMap<BackendJobId, BackendJob>,
    ) -> Result<(), SupervisorError> {
        let mut ended = Vec::new();
        for run in self.open.values() {
            let Some(backend) = run.backend_job_id.as_ref().and_then(|id| described.get(id)) else {
                continue;
            };
            let count = backend
                .attempts
                .iter()
                .filter(|a| a.stopped_at.is_some())
                .count();
            let recorded = self.ended_attempts.entry(run.id).or_default();
            if count > *recorded {
                *recorded = count;
                ended.push((run.id, backend));
            }
        }
        store.record_backend_attempts(&ended).await?;
        Ok(())
    }

    /// Asks the backend once per run to stop each run someone asked to cancel; runs no backend
    /// job holds yet end CANCELLED at once.
    async fn forward_cancellations(
        &mut self,
        store: &Store,
        runner: &dyn SimulationRunner,
    ) -> Result<(), SupervisorError> {
        let requested = store.cancel_requests(self.job.id).await?;
        let mut unsubmitted = Vec::new();
        for run_id in requested {
            if self.cancelling.contains(&run_id) {
                continue;
            }
            let backend_job = self
                .open
                .get(&run_id)
                .and_then(|r| r.backend_job_id.as_ref());
            if let Forwarded::NotSubmitted(run_id) = forward(runner, run_id, backend_job).await? {
                unsubmitted.push(run_id);
            }
            // Only once the backend took it: a failed request is sent again next tick.
            self.cancelling.insert(run_id);
            if let Some(run) = self.open.get_mut(&run_id) {
                run.cancel_requested = true;
            }
        }
        store.mark_cancelled(&unsubmitted, Utc::now()).await?;
        Ok(())
    }
}

/// A run whose backend job the backend no longer knows: it ends ERROR rather than being
/// watched forever.
fn lost(run: &Run, now: DateTime<Utc>) -> RunChange {
    let backend = run
        .backend_job_id
        .as_ref()
        .map_or_else(String::new, |id| format!(" ({id})"));
    RunChange {
        run_id: run.id,
        status: RunStatus::Error,
        backend_state: run.backend_state.unwrap_or(BackendState::Failed),
        status_reason: Some(format!(
            "the backend no longer knows this run's job{backend}"
        )),
        attempts: run.attempts,
        started_at: run.started_at,
        finished_at: Some(now),
    }
}

fn apply_to_snapshot(run: &mut Run, change: &RunChange, counts: &mut StatusCounts) {
    move_count(counts, run.status, change.status);
    run.status = change.status;
    run.backend_state = Some(change.backend_state);
    run.attempts = change.attempts;
    run.started_at = change.started_at;
    if change.status_reason.is_some() {
        run.status_reason.clone_from(&change.status_reason);
    }
}

fn move_count(counts: &mut StatusCounts, from: RunStatus, to: RunStatus) {
    if from != to {
        counts.remove(from, 1);
        counts.add(to, 1);
    }
}
