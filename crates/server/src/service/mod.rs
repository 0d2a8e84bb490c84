//! What each call of the API does, for a known user, in fredbatch's terms: jobs and runs in
//! the store, objects in storage, URLs signed for them. The HTTP handlers only extract and
//! answer; other front ends (a dashboard, a load benchmark) can drive this layer directly.
//!
//! By resource: [`jobs`], [`runs`] (and the shared answers to polls, [`polled_runs`]),
//! [`uploads`] (the URLs this server signs). This module holds what they share: the caller's
//! account, what they may see, and URLs.

mod jobs;
mod polled_runs;
mod quotas;
mod runs;
mod uploads;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::{BackendTarget, JobId, Resources, RunId};
use fredbatch_storage::{Storage, UrlMethod};
use fredbatch_store::{ApiJob, ApiRun, Store, User};

pub use polled_runs::PolledRuns;

use crate::auth::token_hash;
use crate::changed_jobs::ChangedJobs;
use crate::error::ApiError;
use crate::in_flight::InFlight;
use crate::signing::{Bucket, Method, UrlSigner};

/// What every job registered through the API runs with.
#[derive(Clone, Debug)]
pub struct JobDefaults {
    pub resources: Resources,
    pub max_attempts: u32,
    pub attempt_timeout_seconds: u64,
    /// The backend and where on it runs go (see `fredbatch_core::Job`).
    pub backend: BackendTarget,
    /// Jobs' models cannot be checked here (no FRED): each job's first run is the check
    /// (see `fredbatch_core::Job::first_run_checks`).
    pub first_run_checks: bool,
}

pub struct Service {
    pub store: Store,
    pub uploads: Storage,
    pub results: Storage,
    pub signer: UrlSigner,
    pub url_lifetime: Duration,
    pub defaults: JobDefaults,
    /// Largest upload accepted, in bytes.
    pub upload_limit: u64,
    /// Where uploads are spooled before they are stored.
    pub scratch: PathBuf,
    /// Jobs changed through the API, for the supervisor's fleet (and the answers to polls).
    pub changed: Arc<ChangedJobs>,
    /// The answers to polls, forgotten through `changed`.
    pub polled: Arc<PolledRuns>,
    /// Requests in flight per token.
    pub in_flight: Arc<InFlight>,
}

impl Service {
    /// The account a token belongs to.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<User, ApiError> {
        let token = token.ok_or(ApiError::Unauthenticated)?;
        self.store
            .user_by_token_hash(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthenticated)
    }

    /// A job of `user`'s that was not deleted; any other id is unknown to them.
    pub async fn owned_job(&self, user: &User, id: i64) -> Result<ApiJob, ApiError> {
        match self.store.api_job(JobId(id)).await? {
            Some(job) if job.owner == user.id && !job.deleted => Ok(job),
            _ => Err(ApiError::NotFound { what: "job", id }),
        }
    }

    /// A run of a job of `user`'s, with its job; any other id is unknown to them.
    async fn owned_run(&self, user: &User, id: i64) -> Result<(ApiJob, ApiRun), ApiError> {
        let not_found = || ApiError::NotFound { what: "run", id };
        let run = self.store.api_run(RunId(id)).await?.ok_or_else(not_found)?;
        let job = self
            .owned_job(user, run.run.job_id.0)
            .await
            .map_err(|error| match error {
                ApiError::NotFound { .. } => not_found(),
                other => other,
            })?;
        Ok((job, run))
    }

    /// A URL for `method` on `key`: the store's own presigned URL when it signs (S3), else
    /// one this server answers.
    async fn url(&self, method: Method, bucket: Bucket, key: &str) -> Result<String, ApiError> {
        let storage = match bucket {
            Bucket::Uploads => &self.uploads,
            Bucket::Results => &self.results,
        };
        let url_method = match method {
            Method::Get => UrlMethod::Get,
            Method::Put => UrlMethod::Put,
        };
        match storage
            .presigned_url(url_method, key, self.url_lifetime)
            .await
        {
            Some(url) => Ok(url?),
            None => {
                let expires = Utc::now().timestamp() + self.url_lifetime.as_secs() as i64;
                Ok(self.signer.url(method, bucket, key, expires))
            }
        }
    }

    pub async fn health(&self) -> Result<(), ApiError> {
        Ok(self.store.ping().await?)
    }
}
