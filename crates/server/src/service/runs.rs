//! Runs through the API: submitting a job's run requests, answering polls, retrying failed
//! runs and stopping runs.

use std::collections::BTreeSet;

use chrono::Utc;
use fredbatch_core::{RunId, RunStatus};
use fredbatch_store::{ApiJob, ApiRun, NewApiRun, User};
use serde_json::value::RawValue;

use fredbatch_core::limits::MAX_RUNS_PER_JOB;

use super::Service;
use crate::audit;
use crate::error::ApiError;
use crate::redact::without_paths;
use crate::translate::translate;
use crate::wire::*;

/// The statuses the client knows, from a run's: DONE only once its results archive exists
/// (so every DONE run can be downloaded), CANCELLED as ERROR.
fn client_status(run: &ApiRun) -> (&'static str, &'static str) {
    match run.run.status {
        RunStatus::Queued => ("QUEUED", "Pending"),
        RunStatus::Running => ("RUNNING", "Running"),
        RunStatus::Done if run.results_zip.is_some() => ("DONE", "Succeeded"),
        RunStatus::Done => ("RUNNING", "Running"),
        RunStatus::Error | RunStatus::Cancelled => ("ERROR", "Failed"),
    }
}

/// The run request as stored when it was submitted (JSON this server wrote from the request it
/// had parsed). A run without one (made on the command line) answers `null`.
fn stored_request(run: &ApiRun) -> Box<RawValue> {
    let null = || RawValue::from_string("null".into()).expect("null is JSON");
    let Some(text) = &run.request else {
        return null();
    };
    RawValue::from_string(text.clone()).unwrap_or_else(|error| {
        tracing::error!(run = %run.run.id, %error, "the stored run request is not JSON");
        null()
    })
}

fn run_info(job: &ApiJob, run: &ApiRun) -> RunInfo {
    let (status, pod_phase) = client_status(run);
    RunInfo {
        id: run.run.id.0,
        job_id: job.job.id.0,
        user_id: job.owner,
        created_ts: run.created_at.unwrap_or(job.job.created_at).to_rfc3339(),
        request: stored_request(run),
        pod_phase,
        container_status: None,
        status,
        user_deleted: job.deleted,
        status_reason: (status == "ERROR")
            .then_some(run.run.status_reason.as_deref())
            .flatten()
            .map(|reason| without_paths(reason).into_owned()),
    }
}

impl Service {
    /// Every run of a job, as polled.
    pub(super) async fn runs_of(&self, job: &ApiJob) -> Result<Vec<RunInfo>, ApiError> {
        let runs = self.store.api_runs(job.job.id).await?;
        Ok(runs.iter().map(|run| run_info(job, run)).collect())
    }

    /// Adds one configuration with one run per request to the job the requests name; nothing
    /// is stored unless every request is understood.
    pub async fn submit_runs(
        &self,
        user: &User,
        request: SubmitRunsRequest,
    ) -> Result<SubmitRunsResponse, ApiError> {
        let Some(first) = request.run_requests.first() else {
            return Err(ApiError::BadRequest("runRequests is empty".into()));
        };
        let job_id = first.job_id;
        let mut new_runs = Vec::with_capacity(request.run_requests.len());
        for (index, run_request) in (1..).zip(&request.run_requests) {
            if run_request.job_id != job_id {
                return Err(ApiError::BadRequest(format!(
                    "run request {index} is for job {}, the others for job {job_id}: send one job's runs at a time",
                    run_request.job_id
                )));
            }
            let translated =
                translate(run_request).map_err(|source| ApiError::RunRequest { index, source })?;
            new_runs.push(NewApiRun {
                params: translated.params,
                request: serde_json::to_string(run_request).expect("a run request serializes"),
                seed: translated.seed,
            });
        }
        let job = self.owned_job(user, job_id).await?;
        self.within_quota(user, 0, new_runs.len() as u64).await?;
        if job.job.run_count as usize + new_runs.len() > MAX_RUNS_PER_JOB as usize {
            return Err(ApiError::BadRequest(format!(
                "a job holds at most {MAX_RUNS_PER_JOB} runs"
            )));
        }
        let runs = self
            .store
            .add_runs(job.job.id, &new_runs, Utc::now())
            .await?;
        self.changed.mark(job.job.id);
        audit::record(
            user,
            "add runs",
            job.job.id.0,
            &format!("{} run(s)", runs.len()),
        );
        Ok(SubmitRunsResponse {
            run_responses: runs
                .iter()
                .zip(request.run_requests)
                .map(|(run, run_request)| RunResponse {
                    run_id: run.id.0,
                    job_id: job.job.id.0,
                    status: "Submitted",
                    errors: None,
                    run_request,
                })
                .collect(),
        })
    }

    /// `GET /runs?job_id=J...&id=R...`: the runs of the jobs and the runs named.
    pub async fn runs(&self, user: &User, query: &RunsQuery) -> Result<RunsBody, ApiError> {
        if query.job_id.is_empty() && query.id.is_empty() {
            return Err(ApiError::BadRequest(
                "ask for a job's runs with ?job_id=J or for a run with ?id=R".into(),
            ));
        }
        let mut runs = Vec::new();
        for &id in &query.job_id {
            let job = self.owned_job(user, id).await?;
            runs.extend(self.runs_of(&job).await?);
        }
        for &id in &query.id {
            let (job, run) = self.owned_run(user, id).await?;
            runs.push(run_info(&job, &run));
        }
        Ok(RunsBody { runs })
    }

    /// Puts ERROR runs back in the queue: synchronously, so the next poll sees them QUEUED.
    pub async fn retry(&self, user: &User, ids: &[i64]) -> Result<RetryResponse, ApiError> {
        if ids.is_empty() {
            return Err(ApiError::BadRequest(
                "name the runs to retry: runRequestIds=ID (repeat for more)".into(),
            ));
        }
        let mut jobs = BTreeSet::new();
        for &id in ids {
            let (job, _) = self.owned_run(user, id).await?;
            jobs.insert(job.job.id);
        }
        let run_ids: Vec<RunId> = ids.iter().copied().map(RunId).collect();
        let reset = self.store.retry_runs(&run_ids).await?;
        for job in jobs {
            self.changed.mark(job);
            audit::record(
                user,
                "retry runs",
                job.0,
                &format!("{} run(s) asked", ids.len()),
            );
        }
        Ok(RetryResponse {
            status: "Submitted",
            run_request_ids: reset.into_iter().map(|id| id.0).collect(),
        })
    }

    /// `PATCH /runs?id=R...`: asks the runs to stop; they end ERROR (cancelled).
    pub async fn stop_runs(&self, user: &User, ids: &[i64]) -> Result<StopResponse, ApiError> {
        let (mut stopped, mut failed) = (Vec::new(), Vec::new());
        for &id in ids {
            match self.owned_run(user, id).await {
                Ok((job, run)) => {
                    self.store
                        .request_cancel(job.job.id, Some(run.run.id))
                        .await?;
                    self.changed.mark(job.job.id);
                    audit::record(user, "stop run", job.job.id.0, &format!("run {id}"));
                    stopped.push(StoppedRun {
                        run_id: id,
                        reason: "Success",
                    });
                }
                Err(ApiError::NotFound { .. }) => failed.push(StoppedRun {
                    run_id: id,
                    reason: "NotFound",
                }),
                Err(other) => return Err(other),
            }
        }
        Ok(StopResponse {
            description: "Stopped".into(),
            deleted_ids: stopped,
            failed_ids: failed,
        })
    }
}
