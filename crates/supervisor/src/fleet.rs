//! Supervising every job registered through an API on one shared backend (on the local
//! executor, one capacity pool): a server's [`Fleet`]. Each round it
//!
//! 1. passes jobs through the [inputs gate](crate::inputs_gate) (their archive is uploaded
//!    after the job is registered);
//! 2. submits what is ready and watches it ([`Supervisor::submit`], [`Supervisor::watch`]);
//! 3. reconciles every watched job in one round ([`Supervisor::reconcile`]: one describe call
//!    for every open run of every job);
//! 4. builds the [results archives](crate::results_zip) of runs that finished.
//!
//! It keeps nothing the store does not: after a restart (even `kill -9`) the first round finds
//! every open job again, and [`Supervisor::submit`] submits only what the backend lost. A job
//! that cannot be supervised says why, in the log and as the status reason of its runs that
//! wait to be submitted.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::JobId;
use fredbatch_core::model_check::ModelChecker;
use fredbatch_storage::Storage;
use fredbatch_store::{ApiJob, InputsCheck, StoreError};
use tracing::{debug, info, warn};

use crate::check_slots::{CHECKS_AT_ONCE, CHECKS_PER_USER, CheckSlots};
use crate::inputs_gate::{InputsCheckError, InputsGate};
use crate::results_zip::store_results_zip;
use crate::{JobWakeup, JobWatch, Supervisor, SupervisorError};

/// Results archives built per round at most, so one round stays short.
const ZIPS_PER_ROUND: u32 = 20;

/// What fails a whole round (it is tried again next round).
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
}

/// Why one job could not be supervised this round.
#[derive(Debug, thiserror::Error)]
pub enum JobSupervisionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    #[error(transparent)]
    Inputs(#[from] InputsCheckError),
}

pub struct Fleet {
    supervisor: Supervisor,
    inputs: InputsGate,
    results: Storage,
    tick: Duration,
    wakeup: Arc<JobWakeup>,
    watches: HashMap<JobId, JobWatch>,
    /// The reason recorded on each job that could not be supervised, so it is written once
    /// rather than every round, and cleared once the job moves again.
    held: HashMap<JobId, String>,
    /// Jobs whose inputs are being checked, each by one task.
    checking: Arc<Mutex<HashSet<JobId>>>,
    /// Checks run beside the rounds, so one user's large or hostile archive holds up neither
    /// the round nor, within these bounds, other users' checks.
    check_slots: Arc<CheckSlots>,
}

impl Fleet {
    /// A fleet over `supervisor`'s store and backend: inputs are uploaded to `uploads` and
    /// checked in `scratch`; results archives go to `results`; a round starts every `tick` or
    /// when woken.
    pub fn new(
        supervisor: Supervisor,
        uploads: Storage,
        results: Storage,
        scratch: PathBuf,
        tick: Duration,
    ) -> Fleet {
        Fleet {
            supervisor,
            inputs: InputsGate {
                uploads,
                scratch,
                model_check: None,
            },
            results,
            tick,
            wakeup: Arc::default(),
            watches: HashMap::new(),
            held: HashMap::new(),
            checking: Arc::default(),
            check_slots: Arc::new(CheckSlots::new(CHECKS_AT_ONCE, CHECKS_PER_USER)),
        }
    }

    /// Checks each configuration of a job with FRED's check mode once its inputs are in:
    /// configurations FRED finds errors or warnings in end ERROR before any run starts.
    pub fn with_model_check(mut self, checker: Arc<dyn ModelChecker>) -> Fleet {
        self.inputs.model_check = Some(checker);
        self
    }

    /// The handle front ends mark changed jobs with.
    pub fn wakeup(&self) -> Arc<JobWakeup> {
        Arc::clone(&self.wakeup)
    }

    /// Rounds until `stop` resolves; the round in progress then finishes first.
    pub async fn run(mut self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.round().await {
                warn!(%error, "supervision round failed; trying again next round");
            }
            let wakeup = Arc::clone(&self.wakeup);
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = wakeup.woken() => {}
                _ = &mut stop => return,
            }
        }
    }

    pub async fn round(&mut self) -> Result<(), FleetError> {
        let started = std::time::Instant::now();
        let round = self.round_once().await;
        crate::telemetry::round_took(started.elapsed());
        round
    }

    async fn round_once(&mut self) -> Result<(), FleetError> {
        for job in self.wakeup.take() {
            // Runs were added, retried or stopped: watch it afresh (and submit what is new).
            self.watches.remove(&job);
        }
        for job in self.supervisor.store.open_api_jobs().await? {
            match self.prepare(&job).await {
                Ok(()) => self.release(job.job.id).await,
                Err(error) => self.hold(job.job.id, &error).await,
            }
        }
        for (job, error) in self.supervisor.reconcile(self.watches.values_mut()).await? {
            warn!(job = %job, %error, "reconciling job failed; trying again next round");
        }
        self.watches.retain(|_, watch| !watch.is_finished());
        self.archive_results().await?;
        Ok(())
    }

    /// Gets one open job ready: its inputs checked, its runs submitted and watched.
    async fn prepare(&mut self, job: &ApiJob) -> Result<(), JobSupervisionError> {
        let store = &self.supervisor.store;
        let id = job.job.id;
        let now = Utc::now();
        match &job.inputs {
            InputsCheck::Pending => {
                // Runs that cannot start yet can still be stopped.
                let requested = store.cancel_requests(id).await?;
                store.mark_cancelled(&requested, now).await?;
                self.start_check(job);
            }
            InputsCheck::Refused(reason) => {
                store.refuse_unstarted_runs(id, reason, now).await?;
            }
            InputsCheck::Passed if !self.watches.contains_key(&id) => {
                let submitted = self.supervisor.submit(&job.job).await?;
                if submitted > 0 {
                    info!(job = %id, submitted, "runs submitted");
                }
                let watch = self.supervisor.watch(&job.job).await?;
                self.watches.insert(id, watch);
            }
            InputsCheck::Passed => {}
        }
        Ok(())
    }

    /// Checks `job`'s inputs in a task of its own (unless one is at it already): its outcome is
    /// recorded and the job woken, to be submitted next round from a fresh read.
    fn start_check(&self, job: &ApiJob) {
        let id = job.job.id;
        if !self.checking.lock().expect("never poisoned").insert(id) {
            return;
        }
        let (gate, slots, checking) = (
            self.inputs.clone(),
            Arc::clone(&self.check_slots),
            Arc::clone(&self.checking),
        );
        let (store, wakeup, owner, job) = (
            self.supervisor.store.clone(),
            Arc::clone(&self.wakeup),
            job.owner,
            job.job.clone(),
        );
        tokio::spawn(async move {
            let slot = slots.acquire(owner).await;
            if let Err(error) = check_and_record(&gate, &store, &wakeup, &job).await {
                warn!(job = %id, %error, "cannot check the inputs; trying again next round");
                let reason = format!("not submitted yet: {error}");
                if let Err(error) = store.set_waiting_reason(id, Some(&reason)).await {
                    warn!(job = %id, %error, "cannot record why the job waits");
                }
            }
            drop(slot);
            slots.forget_idle_users();
            checking.lock().expect("never poisoned").remove(&id);
        });
    }

    /// A job that cannot be supervised says why, in the log and as the status reason of its
    /// runs that wait to be submitted: both when the reason is new (a job stuck for hours
    /// would otherwise log every round).
    async fn hold(&mut self, job: JobId, error: &JobSupervisionError) {
        let reason = format!("not submitted yet: {error}");
        if self.held.get(&job) == Some(&reason) {
            debug!(job = %job, %error, "job still cannot be supervised");
            return;
        }
        warn!(job = %job, %error, "cannot supervise job; trying again every round");
        let store = &self.supervisor.store;
        match store.set_waiting_reason(job, Some(&reason)).await {
            Ok(_) => {
                self.held.insert(job, reason);
            }
            Err(error) => warn!(job = %job, %error, "cannot record why the job waits"),
        }
    }

    /// A job held before moves again: its waiting runs no longer say it cannot be supervised.
    async fn release(&mut self, job: JobId) {
        if !self.held.contains_key(&job) {
            return;
        }
        match self.supervisor.store.set_waiting_reason(job, None).await {
            Ok(_) => {
                self.held.remove(&job);
            }
            Err(error) => warn!(job = %job, %error, "cannot clear why the job waited"),
        }
    }

    /// Builds the results archives of runs that finished DONE since the last rounds.
    async fn archive_results(&self) -> Result<(), StoreError> {
        let store = &self.supervisor.store;
        for run in store.runs_awaiting_results_zip(ZIPS_PER_ROUND).await? {
            match store_results_zip(&self.results, &run).await {
                Ok(key) => store.record_results_zip(run.id, &key).await?,
                Err(error) => warn!(run = %run.id, %error, "cannot build the results archive"),
            }
        }
        Ok(())
    }
}

/// Checks `job`'s inputs and records the outcome: configurations FRED refused end their runs
/// ERROR first (so none is ever submitted), then the job passes or is refused and is woken.
async fn check_and_record(
    gate: &InputsGate,
    store: &fredbatch_store::Store,
    wakeup: &JobWakeup,
    job: &fredbatch_core::Job,
) -> Result<(), JobSupervisionError> {
    let id = job.id;
    // The round that started this check may have read the job before an earlier check of it
    // recorded its outcome: checked once is enough.
    let pending = store
        .api_job(id)
        .await?
        .is_some_and(|job| job.inputs == InputsCheck::Pending && !job.deleted);
    if !pending {
        return Ok(());
    }
    let configs = store.configs(id).await?;
    let checked = gate.check(job, &configs).await;
    if checked.is_err() {
        crate::telemetry::inputs_check("failed");
    }
    let Some(outcome) = checked? else {
        return Ok(());
    };
    let now = Utc::now();
    let outcome = match outcome {
        Ok(refused) => {
            crate::telemetry::inputs_check(if refused.is_empty() {
                "passed"
            } else {
                "configs_refused"
            });
            for (config, reason) in &refused {
                info!(job = %id, config, %reason, "configuration refused");
                store
                    .refuse_unstarted_config_runs(id, *config, reason, now)
                    .await?;
            }
            Ok(())
        }
        Err(refused) => {
            crate::telemetry::inputs_check("refused");
            info!(job = %id, reason = %refused, "inputs refused");
            Err(refused.to_string())
        }
    };
    store.record_inputs_check(id, outcome, now).await?;
    // Submitted next round, from a fresh read.
    wakeup.mark(id);
    Ok(())
}
