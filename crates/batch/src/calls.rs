//! Calling AWS with retries. The SDK already retries transient failures (adaptive mode); calls
//! that are safe to repeat get a few more tries here, with bounded backoff and jitter, so a burst
//! of throttling or a flaky minute does not end a long watch. SubmitJob is not safe to repeat
//! blindly and has its own loop in [`crate::submit`].

use std::future::Future;

use aws_sdk_batch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_batch::operation::list_jobs::builders::ListJobsFluentBuilder;
use aws_sdk_batch::types::JobSummary;

use crate::error::{BatchError, Failure, FailureKind};
use crate::pacing::Backoff;

/// Runs `call` until it succeeds, fails for good, or the attempts run out.
pub async fn retrying<T, E, F, Fut>(operation: &'static str, mut call: F) -> Result<T, BatchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let backoff = Backoff::DEFAULT;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) => {
                let failure = Failure::from_sdk(&error);
                if failure.kind == FailureKind::Rejected || attempt >= backoff.max_attempts {
                    return Err(BatchError::from_failure(operation, failure, attempt));
                }
                tracing::debug!(operation, attempt, kind = ?failure.kind, message = %failure.message, "retrying");
                tokio::time::sleep(backoff.delay(attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// Like [`retrying`], but a rejection with one of `absent_codes` means "not there": `Ok(None)`.
pub async fn retrying_optional<T, E, F, Fut>(
    operation: &'static str,
    absent_codes: &[&str],
    call: F,
) -> Result<Option<T>, BatchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match retrying(operation, call).await {
        Ok(value) => Ok(Some(value)),
        Err(BatchError::Rejected {
            code: Some(code), ..
        }) if absent_codes.contains(&code.as_str()) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Every page of a ListJobs query, each page retried like any safe call.
pub async fn list_all_jobs(query: ListJobsFluentBuilder) -> Result<Vec<JobSummary>, BatchError> {
    let mut jobs = Vec::new();
    let mut next_token = None;
    loop {
        let page_query = query.clone().set_next_token(next_token.take());
        let page = retrying("ListJobs", || page_query.clone().send()).await?;
        jobs.extend(page.job_summary_list().iter().cloned());
        match page.next_token() {
            Some(token) => next_token = Some(token.to_owned()),
            None => return Ok(jobs),
        }
    }
}
