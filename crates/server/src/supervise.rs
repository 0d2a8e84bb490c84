//! The server's one supervision loop: every job of every user runs on one shared backend (on
//! the local executor, one capacity pool). Each round it checks newly uploaded inputs, submits
//! what is ready, describes every open run of every job in ONE backend call and hands each
//! job's watch its part, and builds the results archives of runs that finished.
//!
//! It keeps nothing the store does not: after a restart (even `kill -9`) the first round finds
//! every open job again, and `Supervisor::submit` submits only what the backend lost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::keys::{inputs_archive_key, uploaded_inputs_key};
use fredbatch_core::{BackendJobId, JobId};
use fredbatch_inputs::{ExtractLimits, extract_archive};
use fredbatch_storage::Storage;
use fredbatch_store::{ApiJob, InputsCheck, StoreError};
use fredbatch_supervisor::{JobWatch, Supervisor, SupervisorError};
use tracing::{info, warn};

use crate::results_zip::store_results_zip;
use crate::service::ChangedJobs;

/// Results archives built per round at most, so one round stays short.
const ZIPS_PER_ROUND: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    #[error("asking the backend for run states failed: {0}")]
    Describe(#[from] fredbatch_core::RunnerError),
}

pub struct Supervision {
    pub supervisor: Supervisor,
    pub uploads: Storage,
    pub results: Storage,
    /// Where uploaded archives are checked.
    pub scratch: PathBuf,
    pub changed: Arc<ChangedJobs>,
    pub tick: Duration,
    watches: HashMap<JobId, JobWatch>,
}

impl Supervision {
    pub fn new(
        supervisor: Supervisor,
        uploads: Storage,
        results: Storage,
        scratch: PathBuf,
        changed: Arc<ChangedJobs>,
        tick: Duration,
    ) -> Supervision {
        Supervision {
            supervisor,
            uploads,
            results,
            scratch,
            changed,
            tick,
            watches: HashMap::new(),
        }
    }

    /// Rounds until `stop` resolves; the round in progress then finishes first.
    pub async fn run(mut self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.round().await {
                warn!(%error, "supervision round failed; trying again next round");
            }
            let changed = Arc::clone(&self.changed);
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = changed.wake.notified() => {}
                _ = &mut stop => return,
            }
        }
    }

    pub async fn round(&mut self) -> Result<(), SuperviseError> {
        for job in self.changed.take() {
            // Runs were added, retried or stopped: watch it afresh (and submit what is new).
            self.watches.remove(&job);
        }
        let store = self.supervisor.store.clone();
        for job in store.open_api_jobs().await? {
            let id = job.job.id;
            if let Err(error) = self.prepare(&job).await {
                warn!(job = %id, %error, "cannot supervise job this round");
            }
        }
        let ids: Vec<BackendJobId> = self
            .watches
            .values()
            .flat_map(JobWatch::open_backend_jobs)
            .collect();
        let runner = self.supervisor.runner.clone();
        let described = runner.describe(&ids).await?;
        for (job, watch) in &mut self.watches {
            if let Err(error) = watch.apply(&store, runner.as_ref(), &described).await {
                warn!(job = %job, %error, "reconciling job failed; trying again next round");
            }
        }
        self.watches.retain(|_, watch| !watch.is_finished());
        for run in store.runs_awaiting_results_zip(ZIPS_PER_ROUND).await? {
            match store_results_zip(&self.results, &run).await {
                Ok(key) => store.record_results_zip(run.id, &key).await?,
                Err(error) => warn!(run = %run.id, %error, "cannot build the results archive"),
            }
        }
        Ok(())
    }

    /// Gets one open job ready: its inputs checked, its runs submitted and watched.
    async fn prepare(&mut self, job: &ApiJob) -> Result<(), SuperviseError> {
        let store = &self.supervisor.store;
        let id = job.job.id;
        let now = Utc::now();
        match &job.inputs {
            InputsCheck::Pending => {
                // Runs that cannot start yet can still be stopped.
                let requested = store.cancel_requests(id).await?;
                store.mark_cancelled(&requested, now).await?;
                if let Some(outcome) = self.check_inputs(job).await {
                    if let Err(reason) = &outcome {
                        info!(job = %id, %reason, "inputs refused");
                    }
                    store.record_inputs_check(id, outcome, now).await?;
                    // Submitted next round, from a fresh read.
                    self.changed.mark(id);
                }
                Ok(())
            }
            InputsCheck::Refused(reason) => {
                store.refuse_unstarted_runs(id, reason, now).await?;
                Ok(())
            }
            InputsCheck::Passed => {
                if !self.watches.contains_key(&id) {
                    let submitted = self.supervisor.submit(&job.job).await?;
                    if submitted > 0 {
                        info!(job = %id, submitted, "runs submitted");
                    }
                    let watch = self.supervisor.watch(&job.job).await?;
                    self.watches.insert(id, watch);
                }
                Ok(())
            }
        }
    }

    /// Checks an uploaded inputs archive with the worker's own extraction rules and stores the
    /// bytes it checked where the worker reads them. `None` while it is not uploaded yet (or
    /// storage cannot be used now: tried again next round).
    async fn check_inputs(&self, job: &ApiJob) -> Option<Result<(), String>> {
        let key = uploaded_inputs_key(&job.job.inputs_key);
        match self.uploads.exists(&key).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                warn!(job = %job.job.id, %error, "cannot look for the inputs archive");
                return None;
            }
        }
        std::fs::create_dir_all(&self.scratch).ok()?;
        let dir = tempfile::tempdir_in(&self.scratch).ok()?;
        let archive = dir.path().join("job_input.zip");
        if let Err(error) = self.uploads.get_file(&key, &archive).await {
            warn!(job = %job.job.id, %error, "cannot fetch the inputs archive");
            return None;
        }
        let model = dir.path().join("model");
        let program = job.job.program.clone();
        let checked_archive = archive.clone();
        let checked = tokio::task::spawn_blocking(move || {
            std::fs::create_dir(&model).map_err(|e| e.to_string())?;
            extract_archive(&archive, &model, ExtractLimits::default())
                .map_err(|e| e.to_string())?;
            if model.join(&program).is_file() {
                Ok(())
            } else {
                Err(format!("the inputs archive has no `{program}` at its root"))
            }
        })
        .await
        .unwrap_or_else(|e| Err(format!("checking the inputs failed: {e}")));
        if checked.is_ok() {
            let stored = self
                .uploads
                .put_file(&inputs_archive_key(&job.job.inputs_key), &checked_archive)
                .await;
            if let Err(error) = stored {
                warn!(job = %job.job.id, %error, "cannot store the checked inputs archive");
                return None;
            }
        }
        Some(checked)
    }
}
