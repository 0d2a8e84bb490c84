//! Jobs through the API: registering them, handing out their upload URLs, finding them by
//! tags and dates, listing their results, deleting them.

use std::collections::BTreeSet;

use chrono::Utc;
use fredbatch_core::RunId;
use fredbatch_core::keys::{
    job_config_key, job_results_prefix, run_config_key, uploaded_inputs_key,
};
use fredbatch_store::{ApiJob, InputsCheck, NewApiJob, User};

use super::Service;
use crate::audit;
use crate::error::ApiError;
use crate::signing::{Bucket, Method};
use crate::wire::*;

fn job_info(job: &ApiJob) -> JobInfo {
    JobInfo {
        id: job.job.id.0,
        user_id: job.owner,
        tags: job.tags.clone(),
        created: job.job.created_at.to_rfc3339(),
    }
}

impl Service {
    pub async fn register_job(
        &self,
        user: &User,
        request: RegisterJobRequest,
    ) -> Result<RegisteredJob, ApiError> {
        let mut seen = BTreeSet::new();
        let tags: Vec<String> = request
            .tags
            .into_iter()
            .filter(|tag| seen.insert(tag.clone()))
            .collect();
        self.within_quota(user, 1, 0).await?;
        let defaults = &self.defaults;
        let job = self
            .store
            .register_api_job(NewApiJob {
                owner: user.id,
                tags: tags.clone(),
                resources: defaults.resources,
                max_attempts: defaults.max_attempts,
                attempt_timeout_seconds: defaults.attempt_timeout_seconds,
                backend: defaults.backend.clone(),
                created_at: Utc::now(),
                first_run_checks: defaults.first_run_checks,
            })
            .await?;
        audit::record(user, "register job", job.id.0, "");
        Ok(RegisteredJob {
            id: job.id.0,
            user_id: user.id,
            tags,
        })
    }

    pub async fn upload_url(
        &self,
        user: &User,
        request: UploadUrlRequest,
    ) -> Result<UrlBody, ApiError> {
        let job = self.owned_job(user, request.job_id).await?;
        let prefix = &job.job.inputs_key;
        let key = match (
            request.context.as_str(),
            request.kind.as_str(),
            request.run_id,
        ) {
            ("job", "input", _) => {
                if job.inputs != InputsCheck::Pending {
                    return Err(ApiError::Conflict(format!(
                        "job {} has its inputs already; register a new job for other inputs",
                        job.job.id
                    )));
                }
                uploaded_inputs_key(prefix)
            }
            ("job", "config", _) => job_config_key(prefix),
            ("run", "config", Some(run_id)) => {
                let (run_job, _) = self.owned_run(user, run_id).await?;
                if run_job.job.id != job.job.id {
                    return Err(ApiError::NotFound {
                        what: "run",
                        id: run_id,
                    });
                }
                run_config_key(prefix, RunId(run_id))
            }
            ("run", "config", None) => {
                return Err(ApiError::BadRequest(
                    "a run's config upload needs its runId".into(),
                ));
            }
            (context, kind, _) => {
                return Err(ApiError::BadRequest(format!(
                    "no upload of context `{context}` and type `{kind}`: ask for job/input, job/config or run/config"
                )));
            }
        };
        Ok(UrlBody {
            url: self.url(Method::Put, Bucket::Uploads, &key).await?,
        })
    }

    /// One download URL per run whose results archive exists.
    pub async fn results(&self, user: &User, job_id: i64) -> Result<ResultsUrls, ApiError> {
        let job = self.owned_job(user, job_id).await?;
        let mut urls = Vec::new();
        for run in self.store.api_runs(job.job.id).await? {
            if let Some(key) = &run.results_zip {
                urls.push(RunUrl {
                    run_id: run.run.id.0,
                    url: self.url(Method::Get, Bucket::Results, key).await?,
                });
            }
        }
        Ok(ResultsUrls { urls })
    }

    /// The user's jobs carrying every tag asked for, created within the dates asked for.
    async fn matching_jobs(
        &self,
        user: &User,
        filter: &JobsQuery,
    ) -> Result<Vec<ApiJob>, ApiError> {
        let created = |job: &ApiJob| job.job.created_at.date_naive();
        Ok(self
            .store
            .api_jobs_of(user.id)
            .await?
            .into_iter()
            .filter(|job| filter.tags.iter().all(|tag| job.tags.contains(tag)))
            .filter(|job| filter.start_date.is_none_or(|d| created(job) >= d))
            .filter(|job| filter.end_date.is_none_or(|d| created(job) <= d))
            .collect())
    }

    pub async fn my_jobs(&self, user: &User, filter: &JobsQuery) -> Result<JobsBody, ApiError> {
        let jobs = self.matching_jobs(user, filter).await?;
        Ok(JobsBody {
            jobs: jobs.iter().map(job_info).collect(),
        })
    }

    pub async fn latest_job(&self, user: &User, filter: &JobsQuery) -> Result<JobInfo, ApiError> {
        let jobs = self.matching_jobs(user, filter).await?;
        jobs.last()
            .map(job_info)
            .ok_or_else(|| ApiError::Missing("no job of yours has those tags and dates".into()))
    }

    pub async fn delete_job(&self, user: &User, id: i64) -> Result<ErrorBody, ApiError> {
        let job = self.owned_job(user, id).await?;
        self.store.delete_api_job(job.job.id, Utc::now()).await?;
        self.changed.mark(job.job.id);
        // Its inputs, results archives and attempts' outputs go with it: its URLs answer 410
        // from now on, and nothing of it stays readable on disk, except results that runs of
        // the user's other jobs took (they stay for those jobs).
        let prefix = format!("{}/", job.job.inputs_key);
        self.uploads.delete_prefix(&prefix).await?;
        self.results.delete_prefix(&prefix).await?;
        let release = self.store.results_release(job.job.id).await?;
        self.results
            .delete_prefix_keeping(&job_results_prefix(job.job.id), &release.kept)
            .await?;
        for freed in &release.freed {
            self.results.delete_prefix(&format!("{freed}/")).await?;
        }
        audit::record(user, "delete job", id, "its inputs and results removed");
        Ok(ErrorBody {
            description: format!("job {id} deleted"),
        })
    }
}
