//! Runs Spot gave up on, going on in the On-Demand fallback queue.
//!
//! With a fallback queue configured, a run's Spot job is allowed only the attempts
//! [`AwsBatchTarget::spot_attempts`] gives it, and its retry strategy retries nothing but
//! interruptions. So a Spot job that ended FAILED with every attempt interrupted is one Spot
//! gave up on ([`AwsBatchTarget::next_queue`]). When [`describe`](crate::describe) sees one,
//! this module sends the run's next attempt `K` to the fallback queue as a job of its own, the
//! **continuation**, named `<the Spot job's submission name>-attempt-<K>` (for a run's first
//! submission that is [`attempt_name`]), running `worker --job-id J --run-number N` with the
//! run's backend id in `FREDBATCH_BACKEND_JOB_ID` and `K` in `FREDBATCH_ATTEMPT`. The run keeps
//! its Spot job's id: it is described as its Spot attempts followed by its continuation's, in the
//! continuation's state, so it is never counted as failed for Spot's interruptions.
//!
//! Nothing is remembered in memory: continuations are found again by name in the fallback queue
//! (one ListJobs per fredbatch job), so another process describing the same runs sees the same
//! ones. The continuation gets one attempt: On-Demand instances are not reclaimed.

use std::collections::HashMap;

use aws_sdk_batch::types::{
    ContainerOverrides, EvaluateOnExit, JobDetail, JobTimeout, KeyValuePair, KeyValuesPair,
    RetryStrategy as AwsRetry,
};
use fredbatch_core::backend_jobs::{BackendJobName, job_prefix, run_submission_name};
use fredbatch_core::limits::is_spot_interruption;
use fredbatch_core::worker_command::{ATTEMPT_VARS, BACKEND_JOB_ID_VARS};
use fredbatch_core::{BackendJob, BackendJobId, BackendState, BatchQueue, JobId, WorkerCommand};

use crate::calls::list_all_jobs;
use crate::children::split_child;
use crate::clients::no_sdk_retries;
use crate::describe::describe_jobs;
use crate::error::{BatchError, Failure, FailureKind};
use crate::mapping::from_detail;
use crate::pacing::Backoff;
use crate::runner::Ready;

/// ListJobs returns at most 100 jobs per page when filtering by name.
const NAME_PAGE: i32 = 100;

/// A run Spot gave up on, and where it goes on.
struct GaveUp {
    id: BackendJobId,
    job: JobId,
    run_number: u32,
    /// The continuation's name and attempt number.
    name: String,
    attempt: u32,
}

/// Whether Spot gave up on `job` (see the module header), and the run it holds.
fn gave_up(ready: &Ready, job: &BackendJob) -> Option<GaveUp> {
    if job.state != BackendState::Failed {
        return None;
    }
    let attempts = job.attempts.len() as u32;
    let interrupted = job
        .attempts
        .iter()
        .filter(|a| a.status_reason.as_deref().is_some_and(is_spot_interruption))
        .count() as u32;
    if ready.config.target().next_queue(attempts, interrupted) != BatchQueue::Fallback {
        return None;
    }
    let (of, run_number, retry) = match BackendJobName::parse(&job.name)? {
        BackendJobName::Run {
            job,
            run_number,
            retry,
        } => (job, run_number, retry),
        BackendJobName::Array { job: of, runs } => {
            let (_, index) = split_child(&job.id.0)?;
            (of, runs.number_at(index)?, 0)
        }
        BackendJobName::Attempt { .. } => return None,
    };
    let attempt = attempts + 1;
    Some(GaveUp {
        id: job.id.clone(),
        job: of,
        run_number,
        name: format!(
            "{}-attempt-{attempt}",
            run_submission_name(of, run_number, retry)
        ),
        attempt,
    })
}

/// Turns every described run Spot gave up on into the run going on in the fallback queue,
/// sending its continuation if it is not there yet. Returns each such run's continuation id.
pub async fn continue_on_fallback(
    ready: &Ready,
    jobs: &mut HashMap<BackendJobId, BackendJob>,
) -> Result<HashMap<BackendJobId, BackendJobId>, BatchError> {
    let Some(queue) = ready.config.fallback_queue.clone() else {
        return Ok(HashMap::new());
    };
    let moving: Vec<GaveUp> = jobs.values().filter_map(|j| gave_up(ready, j)).collect();
    if moving.is_empty() {
        return Ok(HashMap::new());
    }
    let mut existing: HashMap<String, String> = HashMap::new();
    let mut fredbatch_jobs: Vec<JobId> = moving.iter().map(|m| m.job).collect();
    fredbatch_jobs.sort_by_key(|j| j.0);
    fredbatch_jobs.dedup();
    for job in fredbatch_jobs {
        existing.extend(list_continuations(ready, &queue, job).await?);
    }
    let missing: Vec<String> = moving
        .iter()
        .filter(|m| !existing.contains_key(&m.name))
        .map(|m| m.id.0.clone())
        .collect();
    let spot_details = describe_jobs(ready, &missing).await?;
    let mut continuations = HashMap::new();
    for run in &moving {
        let id = match existing.get(&run.name) {
            Some(id) => id.clone(),
            None => {
                let Some(detail) = spot_details.get(&run.id.0) else {
                    continue; // gone from AWS between two requests: seen again next time
                };
                match send(ready, &queue, run, detail).await {
                    Ok(id) => id,
                    Err(error @ BatchError::Rejected { .. }) => {
                        refused(jobs, &run.id, &error);
                        continue;
                    }
                    Err(error) => return Err(error),
                }
            }
        };
        continuations.insert(run.id.clone(), BackendJobId(id));
    }
    let ids: Vec<String> = continuations.values().map(|id| id.0.clone()).collect();
    let described = describe_jobs(ready, &ids).await?;
    for (run, continuation) in &continuations {
        let next = described.get(&continuation.0).and_then(from_detail);
        if let Some(spot) = jobs.get_mut(run) {
            merge(spot, next);
        }
    }
    Ok(continuations)
}

/// The run as its Spot attempts and its continuation's say; a continuation AWS does not list
/// yet (just sent) is RUNNABLE.
fn merge(spot: &mut BackendJob, next: Option<BackendJob>) {
    match next {
        Some(next) => {
            spot.state = next.state;
            spot.status_reason = next.status_reason;
            spot.attempts.extend(next.attempts);
            spot.stopped_at = next.stopped_at;
            spot.started_at = spot.started_at.or(next.started_at);
        }
        None => {
            spot.state = BackendState::Runnable;
            spot.status_reason = Some("sent to the On-Demand fallback queue".to_owned());
            spot.stopped_at = None;
        }
    }
}

/// AWS refused the continuation for good: the run ends with Spot's reason and AWS's refusal.
fn refused(jobs: &mut HashMap<BackendJobId, BackendJob>, id: &BackendJobId, error: &BatchError) {
    tracing::warn!(run = %id, %error, "could not send the run to the fallback queue");
    if let Some(job) = jobs.get_mut(id) {
        let spot = job
            .attempts
            .last()
            .and_then(|a| a.status_reason.clone())
            .unwrap_or_default();
        job.status_reason = Some(format!(
            "{spot}; sending it to the On-Demand fallback queue failed: {error}"
        ));
        if let Some(last) = job.attempts.last_mut() {
            last.status_reason = job.status_reason.clone();
        }
    }
}

/// The continuations of fredbatch job `job` in `queue`, by name (the newest of each name).
async fn list_continuations(
    ready: &Ready,
    queue: &str,
    job: JobId,
) -> Result<HashMap<String, String>, BatchError> {
    let filter = KeyValuesPair::builder()
        .name("JOB_NAME")
        .values(format!("{}*", job_prefix(job)))
        .build();
    let query = ready
        .clients
        .batch
        .list_jobs()
        .job_queue(queue)
        .filters(filter)
        .max_results(NAME_PAGE);
    let mut newest: HashMap<String, (i64, String)> = HashMap::new();
    for summary in list_all_jobs(query).await? {
        let (Some(id), Some(name)) = (summary.job_id(), summary.job_name()) else {
            continue;
        };
        let created = summary.created_at().unwrap_or(0);
        if newest.get(name).is_none_or(|(seen, _)| *seen < created) {
            newest.insert(name.to_owned(), (created, id.to_owned()));
        }
    }
    Ok(newest
        .into_iter()
        .map(|(name, (_, id))| (name, id))
        .collect())
}

/// Sends `run`'s continuation to `queue`, sized, timed and tagged as its Spot job was.
async fn send(
    ready: &Ready,
    queue: &str,
    run: &GaveUp,
    spot: &JobDetail,
) -> Result<String, BatchError> {
    // What every run of the job is told (as at its first submission), and which run's
    // backend job and attempt this is.
    let mut environment: Vec<KeyValuePair> = ready
        .config
        .environment
        .iter()
        .map(|(name, value)| KeyValuePair::builder().name(name).value(value).build())
        .collect();
    for (name, value) in [
        (BACKEND_JOB_ID_VARS[0], run.id.0.clone()),
        (ATTEMPT_VARS[0], run.attempt.to_string()),
    ] {
        environment.push(KeyValuePair::builder().name(name).value(value).build());
    }
    // The run's own size, as its Spot job had it.
    let container = spot.container();
    let resources = container
        .map(|c| c.resource_requirements().to_vec())
        .filter(|r| !r.is_empty());
    let overrides = ContainerOverrides::builder()
        .set_command(Some(
            WorkerCommand::run_number(run.job, run.run_number).args(),
        ))
        .set_resource_requirements(resources)
        .set_environment(Some(environment))
        .build();
    let rules: Vec<EvaluateOnExit> = spot
        .retry_strategy()
        .map(|r| r.evaluate_on_exit().to_vec())
        .unwrap_or_default();
    let definition = spot
        .job_definition()
        .unwrap_or(&ready.config.job_definition);
    let mut request = ready
        .clients
        .batch
        .submit_job()
        .job_name(&run.name)
        .job_queue(queue)
        .job_definition(definition)
        .container_overrides(overrides)
        .retry_strategy(
            AwsRetry::builder()
                .attempts(1)
                .set_evaluate_on_exit((!rules.is_empty()).then_some(rules))
                .build(),
        )
        .propagate_tags(true);
    if let Some(seconds) = spot
        .timeout()
        .and_then(JobTimeout::attempt_duration_seconds)
    {
        request = request.timeout(
            JobTimeout::builder()
                .attempt_duration_seconds(seconds)
                .build(),
        );
    }
    for (key, value) in spot.tags().into_iter().flatten() {
        request = request.tags(key, value);
    }
    // The caller looked for it by name just before; after an answer that may have been lost,
    // it is looked for again before anything is resent.
    let backoff = Backoff::SUBMIT;
    let mut attempt = 1;
    loop {
        if attempt > 1
            && let Some(id) = list_continuations(ready, queue, run.job)
                .await?
                .remove(&run.name)
        {
            return Ok(id);
        }
        ready.limiter.acquire().await;
        let sent = request
            .clone()
            .customize()
            .config_override(no_sdk_retries())
            .send()
            .await;
        let failure = match sent {
            Ok(output) => {
                tracing::info!(run = %run.id, attempt = run.attempt, queue, "Spot gave up on the run: it goes on in the On-Demand fallback queue");
                return output
                    .job_id()
                    .map(str::to_owned)
                    .ok_or(BatchError::Malformed {
                        operation: "SubmitJob",
                        field: "jobId",
                    });
            }
            Err(error) => Failure::from_sdk(&error),
        };
        if failure.kind == FailureKind::Rejected || attempt >= backoff.max_attempts {
            return Err(BatchError::from_failure("SubmitJob", failure, attempt));
        }
        tokio::time::sleep(backoff.delay(attempt)).await;
        attempt += 1;
    }
}

/// One run as [`continue_on_fallback`] describes it, and its continuation's id if it has one.
pub async fn describe_run(
    ready: &Ready,
    id: &BackendJobId,
) -> Result<(Option<BackendJob>, Option<BackendJobId>), BatchError> {
    let detail = crate::describe::describe_one(ready, id).await?;
    let Some(job) = detail.as_ref().and_then(from_detail) else {
        return Ok((None, None));
    };
    let mut jobs = HashMap::from([(id.clone(), job)]);
    let mut continuations = continue_on_fallback(ready, &mut jobs).await?;
    Ok((jobs.remove(id), continuations.remove(id)))
}
