use super::*;
use chrono::{DateTime, Utc};
use std::time::Duration;

fn options(now: DateTime<Utc>) -> DoctorOptions {
    DoctorOptions {
        runnable_threshold: Duration::from_secs(600),
        failures_since: Duration::from_secs(86_400),
        now,
    }
}

fn job(name: &str, minutes_ago: i64, reason: Option<&str>, now: DateTime<Utc>) -> JobSummary {
    let created = (now - chrono::Duration::minutes(minutes_ago)).timestamp_millis();
    JobSummary::builder()
        .job_id(format!("id-{name}"))
        .job_name(name)
        .created_at(created)
        .stopped_at(created)
        .set_status_reason(reason.map(str::to_owned))
        .build()
}

#[test]
fn runs_runnable_past_the_threshold_are_grouped_by_reason() {
    let now = Utc::now();
    let resource = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - too big";
    let jobs = [
        job("fred-job-1-run-1", 30, Some(resource), now),
        job("fred-job-1-run-2", 45, Some(resource), now),
        job("fred-job-2-run-1", 20, None, now),
        job("fred-job-3-run-1", 2, Some(resource), now),
    ];
    let findings = group_stuck(&jobs, &options(now));
    assert_eq!(findings.len(), 2);
    let resources = findings
        .iter()
        .find(|f| f.aws_reason.as_deref() == Some(resource))
        .unwrap();
    assert_eq!(resources.severity, Severity::Error);
    assert_eq!(
        resources.count,
        Some(2),
        "the 2-minute-old run is not stuck yet"
    );
    assert!(resources.summary.contains("the oldest for 45 min"));
    let unexplained = findings.iter().find(|f| f.aws_reason.is_none()).unwrap();
    assert_eq!(unexplained.severity, Severity::Warning);
    assert!(
        unexplained
            .action
            .as_deref()
            .unwrap()
            .contains("NAT gateway")
    );
}

#[test]
fn nothing_stuck_is_an_ok_finding() {
    let now = Utc::now();
    let findings = group_stuck(&[job("a", 1, None, now)], &options(now));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Ok);
}

#[test]
fn failures_are_counted_by_reason_and_cancellations_left_out() {
    let now = Utc::now();
    let jobs = [
        job(
            "a",
            5,
            Some("Host EC2 (instance i-0abc12345678def0) terminated."),
            now,
        ),
        job(
            "b",
            5,
            Some("Host EC2 (instance i-0fff98765432abc1) terminated."),
            now,
        ),
        job("c", 5, Some("Cancelled by user"), now),
        job("d", 5, Some("Essential container in task exited"), now),
    ];
    let findings = group_failures(&jobs, "/aws/batch/fred", &options(now));
    assert_eq!(findings.len(), 2);
    let spot = findings
        .iter()
        .find(|f| f.subject.starts_with("Host EC2"))
        .unwrap();
    assert_eq!(spot.count, Some(2));
    assert!(spot.action.as_deref().unwrap().contains("Spot"));
    assert_eq!(spot.examples, ["a", "b"]);
}
