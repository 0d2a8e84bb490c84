//! Supervising a job: submitting its open runs and watching them to the end.
//!
//! The store is the source of truth for what was asked and what finished; the backend for where
//! execution is now. Each tick describes every open run at once (in batches the backend
//! accepts), reconciles the answers with the store in one transaction, forwards cancellation
//! requests (from Ctrl-C or from `fredbatch cancel` in another terminal), and updates progress.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use fredbatch_core::ids::run_job_name;
use fredbatch_core::sync::{CANCELLED_REASON, RunChange, reconcile};
use fredbatch_core::{
    BackendJob, BackendJobId, Job, JobSpec, Run, RunId, RunStatus, RunSubmission, SimulationRunner,
};
use fredbatch_store::{StatusCounts, Store};

use crate::progress::Progress;

/// Runs submitted per call, so the store records progress as it goes.
const SUBMIT_CHUNK: usize = 500;
/// Ids per describe call: AWS Batch's DescribeJobs takes at most 100.
const DESCRIBE_CHUNK: usize = 100;
/// Consecutive ticks a backend may fail to know a submitted run before it counts as lost.
const LOST_AFTER: u32 = 5;

/// The worker command for one run.
pub fn worker_args(job: &Job, run: &Run) -> Vec<String> {
    [
        "worker",
        "--job-id",
        &job.id.to_string(),
        "--run-id",
        &run.id.to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Submits every open run that no live backend job holds: new runs, and runs whose backend
/// job was lost with the process that ran it. Returns how many were submitted.
pub async fn submit_open_runs(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
    spec: &JobSpec,
) -> anyhow::Result<usize> {
    let open = store.open_runs(job.id).await?;
    let held: Vec<BackendJobId> = open
        .iter()
        .filter_map(|r| r.backend_job_id.clone())
        .collect();
    let known = describe_all(runner, &held).await?;
    let (cancelled, to_submit): (Vec<Run>, Vec<Run>) = open
        .into_iter()
        .filter(|run| {
            run.backend_job_id
                .as_ref()
                .is_none_or(|id| !known.contains_key(id))
        })
        .partition(|run| run.cancel_requested);
    let cancelled: Vec<RunId> = cancelled.iter().map(|r| r.id).collect();
    store.mark_cancelled(&cancelled, Utc::now()).await?;
    let lost: Vec<RunId> = to_submit
        .iter()
        .filter(|r| r.backend_job_id.is_some())
        .map(|r| r.id)
        .collect();
    store.reset_for_resubmission(&lost).await?;
    for chunk in to_submit.chunks(SUBMIT_CHUNK) {
        let submissions: Vec<RunSubmission> = chunk
            .iter()
            .map(|run| RunSubmission {
                run_id: run.id,
                run_number: run.run_number,
                name: run_job_name(job.id, run.run_number),
                worker_args: worker_args(job, run),
            })
            .collect();
        let ids = runner
            .submit(spec, &submissions)
            .await
            .context("submitting runs failed")?;
        let recorded: Vec<(RunId, BackendJobId)> = chunk.iter().map(|r| r.id).zip(ids).collect();
        store.record_submissions(&recorded).await?;
    }
    Ok(to_submit.len())
}

async fn describe_all(
    runner: &dyn SimulationRunner,
    ids: &[BackendJobId],
) -> anyhow::Result<HashMap<BackendJobId, BackendJob>> {
    let mut all = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(DESCRIBE_CHUNK) {
        all.extend(
            runner
                .describe(chunk)
                .await
                .context("asking the backend for run states failed")?,
        );
    }
    Ok(all)
}

/// How watching ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every run ended by itself.
    Finished,
    /// The user pressed Ctrl-C; the job's runs were cancelled.
    Interrupted,
}

/// The open runs of a job being watched, and what the watch remembers between ticks.
pub struct Watch {
    open: HashMap<RunId, Run>,
    pub counts: StatusCounts,
    cancelling: HashSet<RunId>,
    /// Consecutive ticks each run's backend job was unknown to the backend.
    unknown: HashMap<RunId, u32>,
    /// Ended attempts of each run already recorded from the backend.
    ended_attempts: HashMap<RunId, usize>,
}

impl Watch {
    pub async fn load(store: &Store, job: &Job) -> anyhow::Result<Watch> {
        let open = store
            .open_runs(job.id)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        Ok(Watch {
            open,
            counts: store.status_counts(job.id).await?,
            cancelling: HashSet::new(),
            unknown: HashMap::new(),
            ended_attempts: HashMap::new(),
        })
    }

    pub fn is_finished(&self) -> bool {
        self.open.is_empty()
    }

    /// One round: forward cancellation requests, describe every open run at once, reconcile
    /// the answers with the store in one transaction per kind of change.
    pub async fn tick(
        &mut self,
        store: &Store,
        runner: &dyn SimulationRunner,
        job: &Job,
    ) -> anyhow::Result<()> {
        forward_cancellations(store, runner, job, &self.open, &mut self.cancelling).await?;
        let ids: Vec<BackendJobId> = self
            .open
            .values()
            .filter_map(|r| r.backend_job_id.clone())
            .collect();
        let described = describe_all(runner, &ids).await?;
        self.record_ended_attempts(store, &described).await?;
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
        store.apply_changes(&final_changes).await?;
        store.record_backend_states(&final_states).await?;
        Ok(())
    }
}

impl Watch {
    /// Records attempts that ended since the last tick as the backend saw them: log location,
    /// and how an attempt ended that its worker could not record (a reclaimed machine).
    async fn record_ended_attempts(
        &mut self,
        store: &Store,
        described: &HashMap<BackendJobId, BackendJob>,
    ) -> anyhow::Result<()> {
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
}

/// Brings the store up to date with the backend once (for `status` of jobs whose backend
/// outlives any process, such as AWS Batch).
pub async fn sync_once(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
) -> anyhow::Result<()> {
    Watch::load(store, job)
        .await?
        .tick(store, runner, job)
        .await
}

/// Watches a job's open runs until none is left.
pub async fn watch(
    store: &Store,
    runner: Arc<dyn SimulationRunner>,
    job: &Job,
    progress: &mut Progress,
    tick: Duration,
) -> anyhow::Result<Ending> {
    let mut watch = Watch::load(store, job).await?;
    let mut interrupted = false;
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    progress.update(&watch.counts);
    while !watch.is_finished() {
        tokio::select! {
            _ = interval.tick() => {}
            _ = &mut ctrl_c => {
                if interrupted {
                    anyhow::bail!("stopped waiting; the runs were told to stop. `fredbatch status {}` shows where they ended", job.id);
                }
                interrupted = true;
                progress.println("Interrupted: cancelling the job's runs (they end CANCELLED); press Ctrl-C again to stop waiting.");
                store.request_cancel(job.id, None).await?;
                ctrl_c.set(tokio::signal::ctrl_c());
            }
        }
        watch.tick(store, runner.as_ref(), job).await?;
        progress.update(&watch.counts);
    }
    Ok(if interrupted {
        Ending::Interrupted
    } else {
        Ending::Finished
    })
}

/// A run whose backend job the backend no longer knows: it ends ERROR rather than being
/// watched forever.
fn lost(run: &Run, now: chrono::DateTime<Utc>) -> RunChange {
    let backend = run
        .backend_job_id
        .as_ref()
        .map_or_else(String::new, |id| format!(" ({id})"));
    RunChange {
        run_id: run.id,
        status: RunStatus::Error,
        backend_state: run
            .backend_state
            .unwrap_or(fredbatch_core::BackendState::Failed),
        status_reason: Some(format!(
            "the backend no longer knows this run's job{backend}"
        )),
        attempts: run.attempts,
        started_at: run.started_at,
        finished_at: Some(now),
    }
}

async fn forward_cancellations(
    store: &Store,
    runner: &dyn SimulationRunner,
    job: &Job,
    open: &HashMap<RunId, Run>,
    cancelling: &mut HashSet<RunId>,
) -> anyhow::Result<()> {
    let requested = store.cancel_requests(job.id).await?;
    let mut unsubmitted = Vec::new();
    for run_id in requested {
        if !cancelling.insert(run_id) {
            continue;
        }
        match open.get(&run_id).and_then(|r| r.backend_job_id.as_ref()) {
            Some(backend_id) => runner
                .cancel(backend_id, CANCELLED_REASON)
                .await
                .context("cancelling a run failed")?,
            None => unsubmitted.push(run_id),
        }
    }
    store.mark_cancelled(&unsubmitted, Utc::now()).await?;
    Ok(())
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
