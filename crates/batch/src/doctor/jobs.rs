//! Runs stuck RUNNABLE and recent failures, grouped by AWS's reason.
//!
//! A summary from ListJobs has no "RUNNABLE since" time; its creation time bounds it from
//! above (SUBMITTED and PENDING usually last seconds). Failures inside an array job are read
//! from its FAILED children, whose reasons are the real ones.

use std::collections::BTreeMap;

use aws_sdk_batch::types::{JobStatus, JobSummary};

use super::advice::{failure_advice, normalize_reason, runnable_advice};
use super::{DoctorOptions, Finding, Severity};
use crate::calls::retrying;
use crate::error::BatchError;
use crate::mapping::time;
use crate::runner::Ready;

const STUCK: &str = "stuck runs";
const FAILED: &str = "recent failures";
/// Pages of 1000 jobs read per status at most, so a huge queue does not stall the doctor.
const MAX_PAGES: usize = 10;
/// Failed array jobs whose children are looked at.
const MAX_ARRAYS: usize = 20;
const EXAMPLES: usize = 3;

pub async fn check_stuck(ready: &Ready, options: &DoctorOptions, findings: &mut Vec<Finding>) {
    match list(ready, None, JobStatus::Runnable).await {
        Ok(jobs) => findings.extend(group_stuck(&jobs, options)),
        Err(error) => findings.push(Finding::unchecked(STUCK, "RUNNABLE", &error)),
    }
}

pub async fn check_failures(ready: &Ready, options: &DoctorOptions, findings: &mut Vec<Finding>) {
    let result: Result<Vec<JobSummary>, BatchError> = async {
        let mut failed = recent(list(ready, None, JobStatus::Failed).await?, options);
        let arrays: Vec<String> = failed
            .iter()
            .filter(|j| j.array_properties().is_some_and(|a| a.size().is_some()))
            .filter_map(|j| j.job_id().map(str::to_owned))
            .take(MAX_ARRAYS)
            .collect();
        failed.retain(|j| !j.job_id().is_some_and(|id| arrays.iter().any(|a| a == id)));
        for parent in &arrays {
            failed.extend(list(ready, Some(parent), JobStatus::Failed).await?);
        }
        Ok(failed)
    }
    .await;
    match result {
        Ok(failed) => {
            let group = ready.log_group().await;
            findings.extend(group_failures(&failed, &group, options));
        }
        Err(error) => findings.push(Finding::unchecked(FAILED, "FAILED", &error)),
    }
}

fn recent(jobs: Vec<JobSummary>, options: &DoctorOptions) -> Vec<JobSummary> {
    let since =
        options.now - chrono::Duration::from_std(options.failures_since).unwrap_or_default();
    jobs.into_iter()
        .filter(|j| time(j.stopped_at().or(j.created_at())).is_none_or(|t| t >= since))
        .collect()
}

/// Jobs of the queue (or of an array job) in `status`, up to [`MAX_PAGES`] pages.
async fn list(
    ready: &Ready,
    array: Option<&str>,
    status: JobStatus,
) -> Result<Vec<JobSummary>, BatchError> {
    let mut jobs = Vec::new();
    let mut next_token = None;
    for _ in 0..MAX_PAGES {
        let mut request = ready
            .clients
            .batch
            .list_jobs()
            .job_status(status.clone())
            .max_results(1000)
            .set_next_token(next_token.take());
        request = match array {
            Some(parent) => request.array_job_id(parent),
            None => request.job_queue(&ready.config.job_queue),
        };
        let page = retrying("ListJobs", || request.clone().send()).await?;
        jobs.extend(
            page.job_summary_list()
                .iter()
                .filter(|j| j.status() == Some(&status))
                .cloned(),
        );
        match page.next_token() {
            Some(token) => next_token = Some(token.to_owned()),
            None => break,
        }
    }
    Ok(jobs)
}

/// One finding per reason among jobs RUNNABLE for longer than the threshold.
pub fn group_stuck(jobs: &[JobSummary], options: &DoctorOptions) -> Vec<Finding> {
    let threshold = chrono::Duration::from_std(options.runnable_threshold).unwrap_or_default();
    let stuck: Vec<&JobSummary> = jobs
        .iter()
        .filter(|j| time(j.created_at()).is_some_and(|t| options.now - t > threshold))
        .collect();
    let mut groups: BTreeMap<Option<String>, Vec<&JobSummary>> = BTreeMap::new();
    for job in stuck {
        groups
            .entry(job.status_reason().map(str::to_owned))
            .or_default()
            .push(job);
    }
    if groups.is_empty() {
        return vec![Finding::ok(
            STUCK,
            "RUNNABLE",
            format!("no run has waited longer than {}", minutes(threshold)),
        )];
    }
    groups
        .into_iter()
        .map(|(reason, jobs)| {
            let (severity, action) = runnable_advice(reason.as_deref());
            let oldest = jobs.iter().filter_map(|j| time(j.created_at())).min();
            let waiting = oldest.map_or_else(String::new, |t| {
                format!(", the oldest for {}", minutes(options.now - t))
            });
            Finding {
                count: Some(jobs.len()),
                examples: examples(&jobs),
                ..Finding::problem(
                    STUCK,
                    severity,
                    reason.as_deref().unwrap_or("no reason given by Batch"),
                    format!("RUNNABLE for longer than {}{waiting}", minutes(threshold)),
                    action,
                )
                .with_reason(reason.as_deref())
            }
        })
        .collect()
}

/// One finding per (normalized) reason among failed jobs; cancellations are counted apart.
pub fn group_failures(
    jobs: &[JobSummary],
    log_group: &str,
    options: &DoctorOptions,
) -> Vec<Finding> {
    let mut groups: BTreeMap<String, Vec<&JobSummary>> = BTreeMap::new();
    for job in jobs {
        let reason = job.status_reason().unwrap_or("no reason given by Batch");
        groups
            .entry(normalize_reason(reason))
            .or_default()
            .push(job);
    }
    let window = chrono::Duration::from_std(options.failures_since).unwrap_or_default();
    let mut findings: Vec<Finding> = groups
        .iter()
        .filter_map(|(reason, jobs)| {
            let action = failure_advice(reason, log_group)?;
            Some(Finding {
                count: Some(jobs.len()),
                examples: examples(jobs),
                ..Finding::problem(
                    FAILED,
                    Severity::Warning,
                    reason.clone(),
                    format!("failed in the last {}", minutes(window)),
                    action,
                )
                .with_reason(jobs[0].status_reason())
            })
        })
        .collect();
    if findings.is_empty() {
        findings.push(Finding::ok(
            FAILED,
            "FAILED",
            format!("no run failed in the last {}", minutes(window)),
        ));
    }
    findings
}

fn examples(jobs: &[&JobSummary]) -> Vec<String> {
    jobs.iter()
        .take(EXAMPLES)
        .filter_map(|j| j.job_name().or(j.job_id()).map(str::to_owned))
        .collect()
}

fn minutes(duration: chrono::Duration) -> String {
    let minutes = duration.num_minutes();
    if minutes >= 120 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

#[cfg(test)]
mod tests;
