//! `fredbatch doctor`: checks a deployment for the troubleshooting causes of the AWS Batch
//! design this project implements (`docs/design.md`), and says what to do about each problem.
//!
//! - **finding**: one checked thing (the job queue, a compute environment, the On-Demand
//!   fallback queue and its compute environments, runs stuck
//!   RUNNABLE for one reason, ...) with a severity, AWS's own words when it gave any, and the
//!   action to take;
//! - **stuck run**: a job RUNNABLE for longer than the threshold (Batch found no place to run
//!   it); **recent failure**: a job that ended FAILED within the look-back window.
//!
//! One check failing to run (say, no permission to read log groups) is itself a finding; it
//! does not stop the others.

mod advice;
mod infra;
mod jobs;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::BatchError;
use crate::runner::BatchRunner;

pub use advice::{failure_advice, normalize_reason, runnable_advice};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// What was checked: `job queue`, `compute environment`, `stuck runs`, ...
    pub check: &'static str,
    /// Which one: a queue's name, a reason shared by stuck runs, ...
    pub subject: String,
    pub severity: Severity,
    pub summary: String,
    /// AWS's status reason, verbatim, when it gave one.
    pub aws_reason: Option<String>,
    /// What to do; `None` when nothing needs doing.
    pub action: Option<String>,
    /// For groups of jobs: how many, and a few of their names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

impl Finding {
    pub fn ok(check: &'static str, subject: impl Into<String>, summary: impl Into<String>) -> Self {
        Finding {
            check,
            subject: subject.into(),
            severity: Severity::Ok,
            summary: summary.into(),
            aws_reason: None,
            action: None,
            count: None,
            examples: Vec::new(),
        }
    }

    pub fn problem(
        check: &'static str,
        severity: Severity,
        subject: impl Into<String>,
        summary: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        Finding {
            severity,
            action: Some(action.into()),
            ..Finding::ok(check, subject, summary)
        }
    }

    pub fn with_reason(mut self, reason: Option<&str>) -> Self {
        self.aws_reason = reason.map(str::to_owned);
        self
    }

    /// A check that could not run.
    pub fn unchecked(check: &'static str, subject: impl Into<String>, error: &BatchError) -> Self {
        Finding::problem(
            check,
            Severity::Warning,
            subject,
            format!("could not be checked: {error}"),
            "Make sure your credentials may read it (batch:Describe*, batch:ListJobs, logs:DescribeLogGroups)",
        )
    }
}

#[derive(Clone, Copy, Debug)]
pub struct DoctorOptions {
    /// Runs RUNNABLE longer than this are reported as stuck.
    pub runnable_threshold: Duration,
    /// Failures that ended within this window are reported.
    pub failures_since: Duration,
    pub now: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    pub job_queue: String,
    /// The On-Demand queue runs Spot gave up on go on in; `None`: they stay on Spot.
    pub fallback_queue: Option<String>,
    pub job_definition: String,
    pub log_group: String,
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    /// Whether nothing needs fixing (warnings allowed).
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }
}

/// Runs every check against the runner's queue, definition and log group.
pub async fn diagnose(
    runner: &BatchRunner,
    options: DoctorOptions,
) -> Result<DoctorReport, BatchError> {
    let ready = runner.ready().await?;
    let mut findings = Vec::new();
    let queue = infra::check_queue(ready, &mut findings).await;
    let arns = queue
        .as_ref()
        .map(|q| q.environments.clone())
        .unwrap_or_default();
    let environments = infra::check_compute_environments(ready, &arns, &mut findings).await;
    infra::check_fallback(ready, queue.as_ref(), &environments, &mut findings).await;
    infra::check_definition(ready, &mut findings).await;
    let log_group = ready.log_group().await;
    infra::check_log_group(ready, &log_group, &mut findings).await;
    jobs::check_stuck(ready, &options, &mut findings).await;
    jobs::check_failures(ready, &options, &mut findings).await;
    Ok(DoctorReport {
        job_queue: ready.config.job_queue.clone(),
        fallback_queue: ready.config.fallback_queue.clone(),
        job_definition: ready.config.job_definition.clone(),
        log_group,
        findings,
    })
}

impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Job queue:      {}", self.job_queue)?;
        writeln!(
            f,
            "Fallback queue: {}",
            self.fallback_queue.as_deref().unwrap_or("none")
        )?;
        writeln!(f, "Job definition: {}", self.job_definition)?;
        writeln!(f, "Log group:      {}", self.log_group)?;
        for finding in &self.findings {
            let mark = match finding.severity {
                Severity::Ok => "ok     ",
                Severity::Warning => "WARNING",
                Severity::Error => "ERROR  ",
            };
            let count = finding.count.map(|c| format!(" ({c})")).unwrap_or_default();
            writeln!(
                f,
                "\n{mark} {} {}{count}: {}",
                finding.check, finding.subject, finding.summary
            )?;
            if let Some(reason) = &finding.aws_reason {
                writeln!(f, "        AWS says: {reason}")?;
            }
            if !finding.examples.is_empty() {
                writeln!(f, "        e.g. {}", finding.examples.join(", "))?;
            }
            if let Some(action) = &finding.action {
                writeln!(f, "        What to do: {action}")?;
            }
        }
        let problems = self
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Ok)
            .count();
        if problems == 0 {
            write!(f, "\nEverything checked is in order.")
        } else {
            write!(f, "\n{problems} finding(s) need attention.")
        }
    }
}
