//! What each call of the API does, for a known user, in fredbatch's terms: jobs and runs in
//! the store, objects in storage, URLs signed for them. The HTTP handlers only extract and
//! answer; other front ends (a dashboard, a load benchmark) can drive this layer directly.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use fredbatch_core::keys::{job_file_key, job_of_uploaded_inputs_key, uploaded_inputs_key};
use fredbatch_core::limits::MAX_RUNS_PER_JOB;
use fredbatch_core::{BackendTarget, JobId, Resources, RunId, RunStatus};
use fredbatch_storage::{Storage, UrlMethod};
use fredbatch_store::{ApiJob, ApiRun, InputsCheck, NewApiJob, NewApiRun, Store, User};
use fredbatch_supervisor::JobWakeup;
use futures::{Stream, StreamExt};
use serde_json::value::RawValue;
use tokio::io::AsyncWriteExt;

use crate::auth::token_hash;
use crate::error::ApiError;
use crate::signing::{Bucket, Method, UrlSigner};
use crate::translate::translate;
use crate::wire::*;

/// What every job registered through the API runs with.
#[derive(Clone, Debug)]
pub struct JobDefaults {
    pub resources: Resources,
    pub max_attempts: u32,
    pub attempt_timeout_seconds: u64,
    /// The backend and where on it runs go (see `fredbatch_core::Job`).
    pub backend: BackendTarget,
}

/// Jobs whose runs changed through the API (added, retried, stopped): the supervisor's fleet
/// reloads them at once instead of waiting for its next tick.
pub struct ChangedJobs {
    supervisor: Arc<JobWakeup>,
    polled: PolledRuns,
}

impl ChangedJobs {
    pub fn new(supervisor: Arc<JobWakeup>) -> ChangedJobs {
        ChangedJobs {
            supervisor,
            polled: PolledRuns::default(),
        }
    }

    /// A job changed through the API: its supervisor looks at it now, and no poll is answered
    /// from before the change.
    pub fn mark(&self, job: JobId) {
        self.polled.forget(job);
        self.supervisor.mark(job);
    }
}

/// How long one read of a job's runs answers `GET /runs?job_id=` for everyone polling it.
const POLLED_FRESH_FOR: Duration = Duration::from_millis(500);

/// The `GET /runs?job_id=` answers of recently polled jobs: every poller of a job (epx asks
/// every 3 s) shares one read of the store and one serialization within [`POLLED_FRESH_FOR`],
/// and when that answer goes stale one poll reads again while the others wait for it (many
/// pollers reading at once would each pay the whole read). Changes made through the API start
/// the job afresh (a retried run is QUEUED on the very next poll); what the supervisor records
/// shows within that time, which is its own tick.
#[derive(Default)]
struct PolledRuns {
    /// Per job: when it was last polled, and its answer.
    jobs: Mutex<HashMap<JobId, (Instant, PolledAnswer)>>,
}

/// A job's last answer and when it was read; its lock is held by the poll reading it again.
type PolledAnswer = Arc<tokio::sync::Mutex<Option<(Instant, Bytes)>>>;

impl PolledRuns {
    fn answer(&self, job: JobId) -> PolledAnswer {
        let now = Instant::now();
        let mut jobs = self.jobs.lock().expect("polled runs");
        // Jobs nobody polls any more keep no answer.
        jobs.retain(|_, (polled_at, _)| now.duration_since(*polled_at) < 4 * POLLED_FRESH_FOR);
        let (polled_at, answer) = jobs.entry(job).or_insert_with(|| (now, Arc::default()));
        *polled_at = now;
        Arc::clone(answer)
    }

    /// Polls from now on read afresh (one still reading keeps its answer to itself).
    fn forget(&self, job: JobId) {
        self.jobs.lock().expect("polled runs").remove(&job);
    }
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
    pub changed: Arc<ChangedJobs>,
}

/// The statuses the client knows, from a run's: DONE only once its results archive exists
/// (so every DONE run can be downloaded), CANCELLED as ERROR.
pub fn client_status(run: &ApiRun) -> (&'static str, &'static str) {
    match run.run.status {
        RunStatus::Queued => ("QUEUED", "Pending"),
        RunStatus::Running => ("RUNNING", "Running"),
        RunStatus::Done if run.results_zip.is_some() => ("DONE", "Succeeded"),
        RunStatus::Done => ("RUNNING", "Running"),
        RunStatus::Error | RunStatus::Cancelled => ("ERROR", "Failed"),
    }
}

fn job_info(job: &ApiJob) -> JobInfo {
    JobInfo {
        id: job.job.id.0,
        user_id: job.owner,
        tags: job.tags.clone(),
        created: job.job.created_at.to_rfc3339(),
    }
}

/// `name=value` pairs of a query string or form body, repeated names kept.
pub fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn ids_named(pairs: &[(String, String)], name: &str) -> Result<Vec<i64>, ApiError> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| {
            v.trim()
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("{name}={v} is not an id")))
        })
        .collect()
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
    async fn owned_job(&self, user: &User, id: i64) -> Result<ApiJob, ApiError> {
        match self.store.api_job(JobId(id)).await? {
            Some(job) if job.owner == user.id && !job.deleted => Ok(job),
            _ => Err(ApiError::NotFound { what: "job", id }),
        }
    }

    async fn owned_run(&self, user: &User, id: i64) -> Result<(ApiJob, ApiRun), ApiError> {
        let not_found = ApiError::NotFound { what: "run", id };
        let run = self.store.api_run(RunId(id)).await?.ok_or(not_found)?;
        let job = self
            .owned_job(user, run.run.job_id.0)
            .await
            .map_err(|_| ApiError::NotFound { what: "run", id })?;
        Ok((job, run))
    }

    fn run_info(&self, job: &ApiJob, run: &ApiRun) -> RunInfo {
        let (status, pod_phase) = client_status(run);
        let request = run
            .request
            .clone()
            .and_then(|text| RawValue::from_string(text).ok())
            .unwrap_or_else(|| RawValue::from_string("null".into()).expect("null is JSON"));
        RunInfo {
            id: run.run.id.0,
            job_id: job.job.id.0,
            user_id: job.owner,
            created_ts: run.created_at.unwrap_or(job.job.created_at).to_rfc3339(),
            request,
            pod_phase,
            container_status: None,
            status,
            user_deleted: job.deleted,
            status_reason: (status == "ERROR")
                .then(|| run.run.status_reason.clone())
                .flatten(),
        }
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
            })
            .await?;
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
            ("job", "config", _) => job_file_key(prefix, "job_config.json"),
            ("run", "config", Some(run_id)) => {
                let (run_job, _) = self.owned_run(user, run_id).await?;
                if run_job.job.id != job.job.id {
                    return Err(ApiError::NotFound {
                        what: "run",
                        id: run_id,
                    });
                }
                job_file_key(prefix, &format!("run_{run_id}_config.json"))
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

    /// Adds one configuration with one run per request to the job the requests name; nothing
    /// is stored unless every request is understood.
    pub async fn submit_runs(
        &self,
        user: &User,
        body: &[u8],
    ) -> Result<SubmitRunsResponse, ApiError> {
        let request: SubmitRunsRequest = serde_json::from_slice(body).map_err(|e| {
            ApiError::BadRequest(format!("the body is not {{\"runRequests\": [...]}}: {e}"))
        })?;
        if request.run_requests.is_empty() {
            return Err(ApiError::BadRequest("runRequests is empty".into()));
        }
        let mut job_id = None;
        let mut new_runs = Vec::with_capacity(request.run_requests.len());
        for (index, raw) in (1..).zip(&request.run_requests) {
            let typed: RunRequest = serde_json::from_str(raw.get())
                .map_err(|e| ApiError::BadRequest(format!("run request {index}: {e}")))?;
            match job_id {
                None => job_id = Some(typed.job_id),
                Some(id) if id != typed.job_id => {
                    return Err(ApiError::BadRequest(format!(
                        "run request {index} is for job {}, the others for job {id}: send one job's runs at a time",
                        typed.job_id
                    )));
                }
                Some(_) => {}
            }
            let translated =
                translate(&typed).map_err(|source| ApiError::RunRequest { index, source })?;
            new_runs.push(NewApiRun {
                params: translated.params,
                request: raw.get().to_owned(),
                seed: translated.seed,
            });
        }
        let job = self
            .owned_job(user, job_id.expect("at least one request"))
            .await?;
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
        Ok(SubmitRunsResponse {
            run_responses: runs
                .iter()
                .zip(request.run_requests)
                .map(|(run, raw)| RunResponse {
                    run_id: run.id.0,
                    job_id: job.job.id.0,
                    status: "Submitted",
                    errors: None,
                    run_request: raw,
                })
                .collect(),
        })
    }

    /// `GET /runs?job_id=J` or `GET /runs?id=R`.
    /// `GET /runs?job_id=J`, the poll epx makes every 3 s while a job runs, as the body to send:
    /// every poller of a job shares one read and one serialization (see [`PolledRuns`]).
    pub async fn polled_runs(&self, user: &User, job_id: i64) -> Result<bytes::Bytes, ApiError> {
        let job = self.owned_job(user, job_id).await?;
        let answer = self.changed.polled.answer(job.job.id);
        let mut last = answer.lock().await;
        if let Some((read_at, body)) = &*last
            && read_at.elapsed() < POLLED_FRESH_FOR
        {
            return Ok(body.clone());
        }
        let runs = self
            .store
            .api_runs(job.job.id)
            .await?
            .iter()
            .map(|run| self.run_info(&job, run))
            .collect();
        let body =
            bytes::Bytes::from(serde_json::to_vec(&RunsBody { runs }).expect("runs serialize"));
        *last = Some((Instant::now(), body.clone()));
        Ok(body)
    }

    pub async fn runs(&self, user: &User, query: &str) -> Result<RunsBody, ApiError> {
        let pairs = pairs(query);
        let job_ids = ids_named(&pairs, "job_id")?;
        let run_ids = ids_named(&pairs, "id")?;
        let mut runs = Vec::new();
        for id in job_ids {
            let job = self.owned_job(user, id).await?;
            for run in self.store.api_runs(job.job.id).await? {
                runs.push(self.run_info(&job, &run));
            }
        }
        for id in run_ids {
            let (job, run) = self.owned_run(user, id).await?;
            runs.push(self.run_info(&job, &run));
        }
        if runs.is_empty() && !pairs.iter().any(|(k, _)| k == "job_id" || k == "id") {
            return Err(ApiError::BadRequest(
                "ask for a job's runs with ?job_id=J or for a run with ?id=R".into(),
            ));
        }
        Ok(RunsBody { runs })
    }

    /// Puts ERROR runs back in the queue: synchronously, so the next poll sees them QUEUED.
    /// The client sends the ids form-encoded (`runRequestIds=5&runRequestIds=6`) under a JSON
    /// content type; a JSON body `{"runRequestIds": [5, 6]}` is accepted too.
    pub async fn retry(&self, user: &User, body: &[u8]) -> Result<RetryResponse, ApiError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::BadRequest("the body is not text".into()))?
            .trim();
        let ids = if text.starts_with('{') {
            serde_json::from_str::<RetryRequest>(text)
                .map_err(|e| {
                    ApiError::BadRequest(format!(
                        "the body is not {{\"runRequestIds\": [...]}}: {e}"
                    ))
                })?
                .run_request_ids
        } else {
            ids_named(&pairs(text), "runRequestIds")?
        };
        if ids.is_empty() {
            return Err(ApiError::BadRequest(
                "name the runs to retry: runRequestIds=ID (repeat for more)".into(),
            ));
        }
        let mut jobs = BTreeSet::new();
        for id in &ids {
            let (job, _) = self.owned_run(user, *id).await?;
            jobs.insert(job.job.id);
        }
        let run_ids: Vec<RunId> = ids.iter().copied().map(RunId).collect();
        let reset = self.store.retry_runs(&run_ids).await?;
        for job in jobs {
            self.changed.mark(job);
        }
        Ok(RetryResponse {
            status: "Submitted",
            run_request_ids: reset.into_iter().map(|id| id.0).collect(),
        })
    }

    /// One download URL per run whose results archive exists.
    pub async fn results(&self, user: &User, query: &str) -> Result<ResultsUrls, ApiError> {
        let pairs = pairs(query);
        let job_id = *ids_named(&pairs, "job_id")?
            .first()
            .ok_or_else(|| ApiError::BadRequest("ask with ?job_id=J".into()))?;
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
    async fn matching_jobs(&self, user: &User, query: &str) -> Result<Vec<ApiJob>, ApiError> {
        let pairs = pairs(query);
        let tags: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "tags")
            .map(|(_, v)| v.as_str())
            .collect();
        let date = |name: &str| -> Result<Option<NaiveDate>, ApiError> {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| {
                    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                        ApiError::BadRequest(format!("{name}={v} is not a date (YYYY-MM-DD)"))
                    })
                })
                .transpose()
        };
        let (start, end) = (date("startDate")?, date("endDate")?);
        let created = |at: DateTime<Utc>| at.date_naive();
        Ok(self
            .store
            .api_jobs_of(user.id)
            .await?
            .into_iter()
            .filter(|job| tags.iter().all(|tag| job.tags.iter().any(|t| t == tag)))
            .filter(|job| start.is_none_or(|d| created(job.job.created_at) >= d))
            .filter(|job| end.is_none_or(|d| created(job.job.created_at) <= d))
            .collect())
    }

    pub async fn my_jobs(&self, user: &User, query: &str) -> Result<JobsBody, ApiError> {
        let jobs = self.matching_jobs(user, query).await?;
        Ok(JobsBody {
            jobs: jobs.iter().map(job_info).collect(),
        })
    }

    pub async fn latest_job(&self, user: &User, query: &str) -> Result<JobInfo, ApiError> {
        let jobs = self.matching_jobs(user, query).await?;
        jobs.last()
            .map(job_info)
            .ok_or_else(|| ApiError::Missing("no job of yours has those tags and dates".into()))
    }

    /// `PATCH /runs?id=R...`: asks the runs to stop; they end ERROR (cancelled).
    pub async fn stop_runs(&self, user: &User, query: &str) -> Result<StopResponse, ApiError> {
        let ids = ids_named(&pairs(query), "id")?;
        if ids.is_empty() {
            return Err(ApiError::BadRequest(
                "name the runs: ?id=R (repeat for more)".into(),
            ));
        }
        let (mut stopped, mut failed) = (Vec::new(), Vec::new());
        for id in ids {
            match self.owned_run(user, id).await {
                Ok((job, run)) => {
                    self.store
                        .request_cancel(job.job.id, Some(run.run.id))
                        .await?;
                    self.changed.mark(job.job.id);
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

    pub async fn delete_job(&self, user: &User, id: i64) -> Result<ErrorBody, ApiError> {
        let job = self.owned_job(user, id).await?;
        self.store.delete_api_job(job.job.id, Utc::now()).await?;
        self.changed.mark(job.job.id);
        Ok(ErrorBody {
            description: format!("job {id} deleted"),
        })
    }

    /// Checks a URL this server signed.
    pub fn verify_url(
        &self,
        method: Method,
        bucket: Bucket,
        key: &str,
        query: &str,
    ) -> Result<(), ApiError> {
        let pairs = pairs(query);
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let expires = get("expires")
            .and_then(|e| e.parse().ok())
            .ok_or(crate::signing::SignatureError::Invalid)?;
        let signature = get("signature").ok_or(crate::signing::SignatureError::Invalid)?;
        self.signer.verify(
            method,
            bucket,
            key,
            expires,
            signature,
            Utc::now().timestamp(),
        )?;
        Ok(())
    }

    /// Stores an upload sent to a URL this server signed. The body is spooled to disk as it
    /// arrives and refused as soon as it passes the limit, so nothing is held in memory and
    /// nothing is stored from a refused upload.
    pub async fn put_upload<S, E>(
        &self,
        key: &str,
        declared_length: Option<u64>,
        mut body: S,
    ) -> Result<(), ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let limit = self.upload_limit;
        if declared_length.is_some_and(|length| length > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        if let Some(job) = job_of_uploaded_inputs_key(key) {
            let checked = self
                .store
                .api_job(job)
                .await?
                .is_some_and(|job| job.inputs != InputsCheck::Pending);
            if checked {
                return Err(ApiError::Conflict(format!(
                    "job {job} has its inputs already; register a new job for other inputs"
                )));
            }
        }
        std::fs::create_dir_all(&self.scratch).map_err(|e| ApiError::Internal(e.to_string()))?;
        let spool = tempfile::NamedTempFile::new_in(&self.scratch)
            .map_err(|e| ApiError::Internal(format!("cannot spool an upload: {e}")))?;
        let mut file = tokio::fs::File::from_std(
            spool
                .reopen()
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        );
        let mut received = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?;
            received += chunk.len() as u64;
            if received > limit {
                return Err(ApiError::TooLarge { limit });
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        drop(file);
        self.uploads.put_file(key, spool.path()).await?;
        Ok(())
    }

    pub async fn get_result(&self, key: &str) -> Result<Bytes, ApiError> {
        Ok(self.results.get_bytes(key).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pollers_of_a_job_share_one_answer_until_the_job_changes() {
        let polled = PolledRuns::default();
        let (job, other) = (JobId(1), JobId(2));
        let reading = polled.answer(job);
        let held = reading.lock().await;
        // Another poll of the job waits for the one reading; another job's does not.
        assert!(Arc::ptr_eq(&reading, &polled.answer(job)));
        assert!(polled.answer(job).try_lock().is_err());
        assert!(polled.answer(other).try_lock().is_ok());
        drop(held);
        polled.forget(job);
        assert!(
            !Arc::ptr_eq(&reading, &polled.answer(job)),
            "after a change, polls read afresh"
        );
    }

    #[test]
    fn repeated_query_names_are_all_kept() {
        let pairs = pairs("runRequestIds=5&runRequestIds=6&x=a%20b");
        assert_eq!(ids_named(&pairs, "runRequestIds").unwrap(), [5, 6]);
        assert_eq!(pairs[2], ("x".into(), "a b".into()));
        assert!(ids_named(&[("id".into(), "x".into())], "id").is_err());
    }
}
