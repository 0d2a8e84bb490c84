//! AWS Batch's descriptions of jobs, in the gateway's terms.
//!
//! - A **job detail** (DescribeJobs) has every attempt: its status reason, exit code, the
//!   container's reason, start and stop times, and its CloudWatch log stream. AWS lists an
//!   attempt once it has ended; the attempt in progress is described by the job's `container`.
//! - A **job summary** (ListJobs) has the state, reason, times and exit code of the latest
//!   attempt only. It is what a whole array's children are read from in a few requests.

use aws_sdk_batch::types::{JobDetail, JobStatus, JobSummary};
use chrono::{DateTime, Utc};
use fredbatch_core::{BackendAttempt, BackendJob, BackendJobId, BackendState};

pub fn state(status: &JobStatus) -> Option<BackendState> {
    Some(match status {
        JobStatus::Submitted => BackendState::Submitted,
        JobStatus::Pending => BackendState::Pending,
        JobStatus::Runnable => BackendState::Runnable,
        JobStatus::Starting => BackendState::Starting,
        JobStatus::Running => BackendState::Running,
        JobStatus::Succeeded => BackendState::Succeeded,
        JobStatus::Failed => BackendState::Failed,
        _ => return None,
    })
}

pub fn job_status(state: BackendState) -> JobStatus {
    match state {
        BackendState::Submitted => JobStatus::Submitted,
        BackendState::Pending => JobStatus::Pending,
        BackendState::Runnable => JobStatus::Runnable,
        BackendState::Starting => JobStatus::Starting,
        BackendState::Running => JobStatus::Running,
        BackendState::Succeeded => JobStatus::Succeeded,
        BackendState::Failed => JobStatus::Failed,
    }
}

pub fn time(millis: Option<i64>) -> Option<DateTime<Utc>> {
    millis
        .filter(|&ms| ms > 0)
        .and_then(DateTime::from_timestamp_millis)
}

/// `None` when AWS reports a state this version does not know (it is then left out, and the
/// caller sees the job as unknown for that refresh rather than misjudged).
pub fn from_detail(detail: &JobDetail) -> Option<BackendJob> {
    let id = detail.job_id()?;
    let state = state(detail.status()?)?;
    let mut attempts: Vec<BackendAttempt> = detail
        .attempts()
        .iter()
        .map(|attempt| {
            let container = attempt.container();
            BackendAttempt {
                exit_code: container.and_then(|c| c.exit_code()),
                status_reason: attempt.status_reason().map(str::to_owned),
                reason: container.and_then(|c| c.reason()).map(str::to_owned),
                started_at: time(attempt.started_at()),
                stopped_at: time(attempt.stopped_at()),
                log_ref: container
                    .and_then(|c| c.log_stream_name())
                    .map(str::to_owned),
            }
        })
        .collect();
    let current_stream = detail.container().and_then(|c| c.log_stream_name());
    let listed = attempts
        .last()
        .is_some_and(|a| a.log_ref.as_deref() == current_stream);
    if state.has_started() && !listed {
        // The attempt in progress: AWS lists it under `attempts` only once it ends.
        attempts.push(BackendAttempt {
            exit_code: None,
            status_reason: None,
            reason: None,
            started_at: time(detail.started_at()),
            stopped_at: None,
            log_ref: current_stream.map(str::to_owned),
        });
    }
    Some(BackendJob {
        id: BackendJobId(id.to_owned()),
        name: detail.job_name().unwrap_or_default().to_owned(),
        state,
        status_reason: detail.status_reason().map(str::to_owned),
        attempts,
        started_at: time(detail.started_at()),
        stopped_at: time(detail.stopped_at()),
    })
}

/// A job from its summary: at most one attempt (the latest), without its log stream.
pub fn from_summary(summary: &JobSummary) -> Option<BackendJob> {
    let id = summary.job_id()?;
    let state = state(summary.status()?)?;
    let started = state.has_started() || summary.started_at().is_some();
    let attempts = if started {
        vec![BackendAttempt {
            exit_code: summary.container().and_then(|c| c.exit_code()),
            status_reason: state
                .is_final()
                .then(|| summary.status_reason().map(str::to_owned))
                .flatten(),
            reason: summary
                .container()
                .and_then(|c| c.reason())
                .map(str::to_owned),
            started_at: time(summary.started_at()),
            stopped_at: time(summary.stopped_at()),
            log_ref: None,
        }]
    } else {
        Vec::new()
    };
    Some(BackendJob {
        id: BackendJobId(id.to_owned()),
        name: summary.job_name().unwrap_or_default().to_owned(),
        state,
        status_reason: summary.status_reason().map(str::to_owned),
        attempts,
        started_at: time(summary.started_at()),
        stopped_at: time(summary.stopped_at()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_batch::types::{AttemptContainerDetail, AttemptDetail, ContainerDetail};

    fn attempt(reason: &str, stream: &str, exit: Option<i32>) -> AttemptDetail {
        let mut container = AttemptContainerDetail::builder().log_stream_name(stream);
        if let Some(code) = exit {
            container = container.exit_code(code);
        }
        AttemptDetail::builder()
            .status_reason(reason)
            .started_at(1_700_000_000_000)
            .stopped_at(1_700_000_060_000)
            .container(container.build())
            .build()
    }

    #[test]
    fn every_ended_attempt_keeps_its_reason_exit_code_and_log_stream() {
        let spot = "Host EC2 (instance i-0abc) terminated.";
        let detail = JobDetail::builder()
            .job_id("j-1")
            .job_name("fred-job-1-run-1")
            .status(JobStatus::Failed)
            .status_reason("Essential container in task exited")
            .attempts(attempt(spot, "def/default/task-1", None))
            .attempts(attempt(
                "Essential container in task exited",
                "def/default/task-2",
                Some(1),
            ))
            .container(
                ContainerDetail::builder()
                    .log_stream_name("def/default/task-2")
                    .build(),
            )
            .build();
        let job = from_detail(&detail).unwrap();
        assert_eq!(job.state, BackendState::Failed);
        assert_eq!(job.attempts.len(), 2);
        assert_eq!(job.attempts[0].status_reason.as_deref(), Some(spot));
        assert_eq!(
            job.attempts[0].log_ref.as_deref(),
            Some("def/default/task-1")
        );
        assert_eq!(job.attempts[1].exit_code, Some(1));
        assert_eq!(
            job.attempts[0].started_at.unwrap().timestamp(),
            1_700_000_000
        );
    }

    #[test]
    fn the_running_attempt_is_added_from_the_jobs_container() {
        let detail = JobDetail::builder()
            .job_id("j-1")
            .status(JobStatus::Running)
            .attempts(attempt("Host EC2 (instance i-1) terminated.", "s-1", None))
            .container(ContainerDetail::builder().log_stream_name("s-2").build())
            .build();
        let job = from_detail(&detail).unwrap();
        assert_eq!(job.attempts.len(), 2);
        assert_eq!(job.attempts[1].log_ref.as_deref(), Some("s-2"));
        assert_eq!(job.attempts[1].stopped_at, None);
    }

    #[test]
    fn a_queued_summary_has_no_attempt_and_a_final_one_has_one() {
        let queued = JobSummary::builder()
            .job_id("p:3")
            .job_name("fred-job-1-runs-1-5")
            .status(JobStatus::Runnable)
            .build();
        assert!(from_summary(&queued).unwrap().attempts.is_empty());
        let done = JobSummary::builder()
            .job_id("p:4")
            .status(JobStatus::Succeeded)
            .status_reason("Essential container in task exited")
            .started_at(1)
            .stopped_at(2)
            .build();
        let job = from_summary(&done).unwrap();
        assert_eq!(job.state, BackendState::Succeeded);
        assert_eq!(job.attempts.len(), 1);
    }
}
