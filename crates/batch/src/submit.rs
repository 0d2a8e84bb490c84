//! Submitting runs exactly once.
//!
//! SubmitJob has no idempotency token, so the job name is the key: before submitting, one
//! ListJobs query (the JOB_NAME filter with the job's name prefix, which matches jobs in any
//! state) finds every Batch job this fredbatch job already has, and runs they hold are not
//! submitted again: this covers a crash between SubmitJob and the store recording its id.
//! SubmitJob itself is retried only here (the SDK's retries are off for it): a throttled
//! request was not acted on and is sent again; after a 5xx, a timeout or a lost connection AWS
//! may have created the job, so the name is looked up before anything is resent.
//!
//! Requests go out concurrently (bounded), each after the rate limiter grants it a slot.

use std::collections::HashMap;

use aws_sdk_batch::types::{
    ArrayProperties, ContainerOverrides, EvaluateOnExit, JobSummary, KeyValuePair, KeyValuesPair,
    ResourceRequirement, ResourceType, RetryAction as AwsRetryAction, RetryStrategy as AwsRetry,
};
use fredbatch_core::backend_jobs::{BackendJobName, RunRange, Unit, job_prefix, plan, task_index};
use fredbatch_core::{BackendJobId, JobId, JobSpec, RetryAction, RunSubmission, SubmitProgress};
use futures::StreamExt;

use crate::calls::list_all_jobs;
use crate::children::{MAX_ARRAY, child_id};
use crate::clients::no_sdk_retries;
use crate::error::{BatchError, Failure, FailureKind};
use crate::pacing::Backoff;
use crate::runner::Ready;

/// ListJobs returns at most 100 jobs per page when filtering by name.
const NAME_PAGE: i32 = 100;
/// AWS Batch's floor for an attempt's timeout.
const MIN_TIMEOUT_SECONDS: u64 = 60;
/// AWS Batch's limit on evaluateOnExit rules.
const MAX_RULES: usize = 5;

pub async fn submit(
    ready: &Ready,
    spec: &JobSpec,
    runs: &[RunSubmission],
    progress: &dyn SubmitProgress,
) -> Result<Vec<BackendJobId>, BatchError> {
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let template = Template::new(ready, spec).await?;
    let existing = Existing::list(ready, spec.job_id).await?;
    let mut by_number: HashMap<u32, BackendJobId> = HashMap::new();
    let mut found = Vec::new();
    let mut pending = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        match existing.find(spec.job_id, run) {
            Some(id) => {
                found.push((run.run_id, id.clone()));
                by_number.insert(run.run_number, id);
            }
            None => pending.push(i),
        }
    }
    if !found.is_empty() {
        tracing::info!(
            found = found.len(),
            "runs already on AWS Batch were not submitted again"
        );
        progress.accepted(&found).await?;
    }
    // Without array jobs, arrays of at most one run: every run a plain job.
    let max_array = if ready.config.array_jobs {
        MAX_ARRAY
    } else {
        1
    };
    let units = plan(spec.job_id, runs, &pending, max_array);
    let mut sent = futures::stream::iter(units)
        .map(|unit| submit_unit(ready, &template, runs, unit))
        .buffer_unordered(ready.config.submit_concurrency.max(1));
    let mut first_error = None;
    while let Some(result) = sent.next().await {
        match result {
            Ok(assigned) => {
                let accepted: Vec<_> = assigned
                    .iter()
                    .map(|(i, id)| (runs[*i].run_id, id.clone()))
                    .collect();
                // The units still in flight go on: each is recorded as it lands.
                if let Err(error) = progress.accepted(&accepted).await {
                    first_error.get_or_insert(error.into());
                }
                by_number.extend(assigned.into_iter().map(|(i, id)| (runs[i].run_number, id)));
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    runs.iter()
        .map(|run| {
            by_number
                .get(&run.run_number)
                .cloned()
                .ok_or(BatchError::Malformed {
                    operation: "SubmitJob",
                    field: "jobId",
                })
        })
        .collect()
}

/// One SubmitJob, retried until AWS has the job exactly once.
async fn submit_unit(
    ready: &Ready,
    template: &Template,
    runs: &[RunSubmission],
    unit: Unit,
) -> Result<Vec<(usize, BackendJobId)>, BatchError> {
    let request = template.request(ready, runs, &unit);
    let backoff = Backoff::SUBMIT;
    let mut attempt = 1;
    loop {
        ready.limiter.acquire().await;
        let sent = request
            .clone()
            .customize()
            .config_override(no_sdk_retries())
            .send()
            .await;
        let failure = match sent {
            Ok(output) => {
                let id = output.job_id().ok_or(BatchError::Malformed {
                    operation: "SubmitJob",
                    field: "jobId",
                })?;
                return Ok(assign(&unit, id));
            }
            Err(error) => Failure::from_sdk(&error),
        };
        if failure.kind == FailureKind::Rejected || attempt >= backoff.max_attempts {
            return Err(BatchError::from_failure("SubmitJob", failure, attempt));
        }
        tracing::debug!(name = unit.name(), attempt, kind = ?failure.kind, message = %failure.message, "SubmitJob failed; retrying");
        tokio::time::sleep(backoff.delay(attempt)).await;
        if failure.kind == FailureKind::Transient {
            // AWS may have created the job before the answer was lost.
            if let Some(id) = find_by_name(ready, unit.name()).await? {
                return Ok(assign(&unit, &id));
            }
        }
        attempt += 1;
    }
}

/// The backend job of each run a unit holds, by index into the submitted runs.
fn assign(unit: &Unit, id: &str) -> Vec<(usize, BackendJobId)> {
    match unit {
        Unit::Plain { run, .. } => vec![(*run, BackendJobId(id.to_owned()))],
        Unit::Array { runs: members, .. } => (0..)
            .zip(members)
            .map(|(index, &run)| (run, child_id(id, index)))
            .collect(),
    }
}

/// The newest job named exactly `name` (array children share their parent's name and are
/// skipped: their ids contain `:`).
async fn find_by_name(ready: &Ready, name: &str) -> Result<Option<String>, BatchError> {
    let jobs = list_named(ready, name).await?;
    Ok(jobs
        .iter()
        .filter(|s| s.job_name() == Some(name))
        .filter_map(|s| Some((s.created_at().unwrap_or(0), s.job_id()?)))
        .filter(|(_, id)| !id.contains(':'))
        .max()
        .map(|(_, id)| id.to_owned()))
}

/// Every job of the queue whose name matches `pattern` (exact, or a prefix ending in `*`), in
/// any state.
async fn list_named(ready: &Ready, pattern: &str) -> Result<Vec<JobSummary>, BatchError> {
    let filter = KeyValuesPair::builder()
        .name("JOB_NAME")
        .values(pattern)
        .build();
    let query = ready
        .clients
        .batch
        .list_jobs()
        .job_queue(&ready.config.job_queue)
        .filters(filter)
        .max_results(NAME_PAGE);
    list_all_jobs(query).await
}

/// The Batch jobs one fredbatch job already has, by the runs they hold.
#[derive(Debug, Default)]
struct Existing {
    /// Plain jobs: name -> (created at, id).
    plain: HashMap<String, (i64, String)>,
    /// Array jobs: (runs, created at, parent id).
    arrays: Vec<(RunRange, i64, String)>,
}

impl Existing {
    async fn list(ready: &Ready, job: JobId) -> Result<Existing, BatchError> {
        let mut existing = Existing::default();
        let pattern = format!("{}*", job_prefix(job));
        for summary in list_named(ready, &pattern).await? {
            let (Some(id), Some(name)) = (summary.job_id(), summary.job_name()) else {
                continue;
            };
            if id.contains(':') {
                continue; // an array child; its parent stands for it
            }
            let created = summary.created_at().unwrap_or(0);
            match BackendJobName::parse(name) {
                Some(BackendJobName::Array { job: of, runs }) if of == job => {
                    existing.arrays.push((runs, created, id.to_owned()))
                }
                _ => {
                    let newest = existing
                        .plain
                        .get(name)
                        .is_none_or(|(seen, _)| *seen < created);
                    if newest {
                        existing
                            .plain
                            .insert(name.to_owned(), (created, id.to_owned()));
                    }
                }
            }
        }
        Ok(existing)
    }

    /// The newest job holding `run`, if any.
    fn find(&self, job: JobId, run: &RunSubmission) -> Option<BackendJobId> {
        let plain = self
            .plain
            .get(&run.name)
            .map(|(created, id)| (*created, BackendJobId(id.clone())));
        let arrayed = self.arrays.iter().filter_map(|(range, created, id)| {
            let index = task_index(job, run, *range)?;
            Some((*created, child_id(id, index)))
        });
        plain
            .into_iter()
            .chain(arrayed)
            .max_by_key(|(created, _)| *created)
            .map(|(_, id)| id)
    }
}

/// Attempts each run's job is allowed on the main (Spot) queue: with a fallback queue, one
/// per interruption the run may suffer (then Spot gave up on it and it goes on On-Demand, see
/// [`crate::fallback`]); without one, also the last.
fn spot_attempts(ready: &Ready, spec: &JobSpec) -> u32 {
    ready.config.target().spot_attempts(spec.retry.attempts)
}

/// What every SubmitJob of one call shares.
struct Template {
    job: JobId,
    resources: Vec<ResourceRequirement>,
    environment: Vec<KeyValuePair>,
    retry: AwsRetry,
    timeout_seconds: i32,
    tag_budget: usize,
}

impl Template {
    async fn new(ready: &Ready, spec: &JobSpec) -> Result<Template, BatchError> {
        if spec.retry.evaluate_on_exit.len() > MAX_RULES {
            return Err(BatchError::Invalid(format!(
                "AWS Batch allows at most {MAX_RULES} evaluateOnExit rules; this job has {}",
                spec.retry.evaluate_on_exit.len()
            )));
        }
        let definition = ready.definition().await?;
        let resource = |kind: ResourceType, value: String| {
            ResourceRequirement::builder()
                .r#type(kind)
                .value(value)
                .build()
        };
        let rules = spec.retry.evaluate_on_exit.iter().map(|rule| {
            EvaluateOnExit::builder()
                .set_on_status_reason(rule.on_status_reason.clone())
                .set_on_reason(rule.on_reason.clone())
                .set_on_exit_code(rule.on_exit_code.clone())
                .action(match rule.action {
                    RetryAction::Retry => AwsRetryAction::Retry,
                    RetryAction::Exit => AwsRetryAction::Exit,
                })
                .build()
        });
        Ok(Template {
            job: spec.job_id,
            resources: vec![
                resource(ResourceType::Vcpu, spec.resources.vcpus.to_string()),
                resource(ResourceType::Memory, spec.resources.memory_mb.to_string()),
            ],
            environment: ready
                .config
                .environment
                .iter()
                .map(|(name, value)| KeyValuePair::builder().name(name).value(value).build())
                .collect(),
            retry: AwsRetry::builder()
                .attempts(spot_attempts(ready, spec).clamp(1, 10) as i32)
                .set_evaluate_on_exit(Some(rules.collect()))
                .build(),
            timeout_seconds: spec
                .attempt_timeout
                .as_secs()
                .clamp(MIN_TIMEOUT_SECONDS, i32::MAX as u64) as i32,
            tag_budget: definition.map_or(crate::definition::MAX_TAGS, |d| d.tag_budget()),
        })
    }

    fn request(
        &self,
        ready: &Ready,
        runs: &[RunSubmission],
        unit: &Unit,
    ) -> aws_sdk_batch::operation::submit_job::builders::SubmitJobFluentBuilder {
        let run_tag = match unit {
            Unit::Plain { run, .. } => ("fredbatch:run-id", runs[*run].run_id.to_string()),
            Unit::Array { range, .. } => (
                "fredbatch:runs",
                format!("{}-{}", range.first(), range.last()),
            ),
        };
        let mut tags = vec![("fredbatch:job-id", self.job.to_string())];
        if let Some(user) = &ready.config.user {
            tags.push(("fredbatch:user", user.clone()));
        }
        tags.push(run_tag);
        let overrides = ContainerOverrides::builder()
            .set_command(Some(unit.worker(runs).args()))
            .set_resource_requirements(Some(self.resources.clone()))
            .set_environment((!self.environment.is_empty()).then(|| self.environment.clone()))
            .build();
        let mut request = ready
            .clients
            .batch
            .submit_job()
            .job_name(unit.name())
            .job_queue(&ready.config.job_queue)
            .job_definition(&ready.config.job_definition)
            .container_overrides(overrides)
            .retry_strategy(self.retry.clone())
            .timeout(
                aws_sdk_batch::types::JobTimeout::builder()
                    .attempt_duration_seconds(self.timeout_seconds)
                    .build(),
            )
            .propagate_tags(true);
        // Batch fails a job whose tags and its definition's exceed 50 once propagated.
        for (key, value) in tags.into_iter().take(self.tag_budget) {
            request = request.tags(key, value);
        }
        if let Unit::Array { range, .. } = unit {
            request = request
                .array_properties(ArrayProperties::builder().size(range.len() as i32).build());
        }
        request
    }
}
