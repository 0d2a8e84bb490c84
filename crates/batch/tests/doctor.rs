//! `doctor` against a real (moto) deployment: a healthy one, then the same with its queue
//! disabled and its log group gone, among the troubleshooting causes of `docs/design.md`; and
//! the On-Demand fallback queue: none configured, one on On-Demand, then disabled, one on Spot,
//! one that does not exist, and the job queue named as its own fallback.

use std::time::Duration;

use aws_sdk_batch::types::{CrType, JqState};
use chrono::Utc;
use fredbatch_batch::doctor::{DoctorOptions, DoctorReport, Finding, Severity, diagnose};

use crate::support::moto::{Setup, moto_url};

fn options() -> DoctorOptions {
    DoctorOptions {
        runnable_threshold: Duration::from_secs(1800),
        failures_since: Duration::from_secs(24 * 3600),
        now: Utc::now(),
    }
}

#[tokio::test]
async fn a_disabled_queue_and_a_missing_log_group_are_found_with_what_to_do() {
    let setup = Setup::create().await;
    let runner = setup.runner(&moto_url(), setup.config()).await;

    let healthy = diagnose(&runner, options()).await.unwrap();
    let severity_of = |report: &fredbatch_batch::doctor::DoctorReport, check: &str| {
        report
            .findings
            .iter()
            .find(|f| f.check == check)
            .map(|f| f.severity)
            .unwrap_or_else(|| panic!("no {check} finding in {:#?}", report.findings))
    };
    assert_eq!(severity_of(&healthy, "job queue"), Severity::Ok);
    assert_eq!(severity_of(&healthy, "job definition"), Severity::Ok);
    assert_eq!(severity_of(&healthy, "log group"), Severity::Ok);
    assert_eq!(
        healthy.log_group, setup.log_group,
        "the definition's awslogs group"
    );
    assert!(
        healthy
            .findings
            .iter()
            .any(|f| f.check == "compute environment"
                && f.subject.contains(&setup.compute_environment)),
        "the queue's compute environment is checked: {:#?}",
        healthy.findings
    );

    setup
        .direct
        .batch
        .update_job_queue()
        .job_queue(&setup.queue)
        .state(JqState::Disabled)
        .send()
        .await
        .unwrap();
    setup
        .direct
        .logs
        .delete_log_group()
        .log_group_name(&setup.log_group)
        .send()
        .await
        .unwrap();
    let broken = diagnose(&runner, options()).await.unwrap();

    assert!(!broken.healthy());
    let queue = broken
        .findings
        .iter()
        .find(|f| f.check == "job queue")
        .unwrap();
    assert_eq!(queue.severity, Severity::Error);
    assert!(queue.summary.contains("DISABLED"), "{queue:?}");
    assert!(
        queue.action.as_deref().unwrap().contains("--state ENABLED"),
        "{queue:?}"
    );
    assert_ne!(severity_of(&broken, "log group"), Severity::Ok);
    let text = broken.to_string();
    assert!(text.contains("What to do:"), "{text}");
}

/// The findings of `check`.
fn findings<'a>(report: &'a DoctorReport, check: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .collect()
}

/// The one finding of `check`.
fn only<'a>(report: &'a DoctorReport, check: &str) -> &'a Finding {
    match findings(report, check)[..] {
        [finding] => finding,
        _ => panic!("not one {check} finding in {:#?}", report.findings),
    }
}

#[tokio::test]
async fn without_a_fallback_queue_doctor_says_interrupted_runs_stay_on_spot_and_how_to_add_one() {
    let setup = Setup::create().await;
    let runner = setup.runner(&moto_url(), setup.config()).await;
    let report = diagnose(&runner, options()).await.unwrap();
    assert_eq!(report.fallback_queue, None);
    // The setup's environment is unmanaged: it may be Spot, so runs may be reclaimed.
    let finding = only(&report, "fallback queue");
    assert_eq!(finding.severity, Severity::Warning, "{finding:?}");
    assert!(finding.summary.contains("stays on Spot"), "{finding:?}");
    let action = finding.action.as_deref().unwrap();
    assert!(
        action.contains("FallbackMaxvCpus") && action.contains("AWS_BATCH_FALLBACK_JOB_QUEUE"),
        "{action}"
    );
    assert!(findings(&report, "fallback compute environment").is_empty());
    assert!(report.healthy(), "a warning, not an error");
    let text = report.to_string();
    assert!(text.contains("Fallback queue: none\n"), "{text}");
}

#[tokio::test]
async fn an_on_demand_fallback_passes_and_a_disabled_one_is_an_error() {
    let setup = Setup::create().await;
    let on_demand = setup.create_managed_environment(CrType::Ec2).await;
    let fallback = setup.create_queue_on(&on_demand).await;
    let mut config = setup.config();
    config.fallback_queue = Some(fallback.clone());
    let runner = setup.runner(&moto_url(), config).await;

    let report = diagnose(&runner, options()).await.unwrap();
    assert_eq!(report.fallback_queue.as_deref(), Some(fallback.as_str()));
    let queue = only(&report, "fallback queue");
    assert_eq!(
        (queue.severity, queue.subject.as_str()),
        (Severity::Ok, fallback.as_str()),
        "{queue:?}"
    );
    let environment = only(&report, "fallback compute environment");
    assert_eq!(environment.severity, Severity::Ok, "{environment:?}");
    assert!(
        environment.summary.contains("On-Demand (EC2)"),
        "{environment:?}"
    );
    assert!(on_demand.ends_with(&environment.subject), "{environment:?}");
    assert!(report.healthy(), "{:#?}", report.findings);
    assert!(
        report
            .to_string()
            .contains(&format!("Fallback queue: {fallback}"))
    );

    setup
        .direct
        .batch
        .update_job_queue()
        .job_queue(&fallback)
        .state(JqState::Disabled)
        .send()
        .await
        .unwrap();
    let disabled = diagnose(&runner, options()).await.unwrap();
    let queue = only(&disabled, "fallback queue");
    assert_eq!(queue.severity, Severity::Error, "{queue:?}");
    assert!(
        queue.summary.contains("DISABLED") && queue.summary.contains("Spot gave up on"),
        "{queue:?}"
    );
    assert!(
        queue.action.as_deref().unwrap().contains(&format!(
            "update-job-queue --job-queue {fallback} --state ENABLED"
        )),
        "{queue:?}"
    );
    assert!(!disabled.healthy());
    // The job queue itself is as it was.
    assert_eq!(only(&disabled, "job queue").severity, Severity::Ok);
}

#[tokio::test]
async fn a_fallback_on_spot_a_missing_one_and_the_job_queue_as_its_own_are_errors() {
    let setup = Setup::create().await;
    let spot = setup.create_managed_environment(CrType::Spot).await;
    let on_spot = setup.create_queue_on(&spot).await;
    let diagnosed = |fallback: &str| {
        let mut config = setup.config();
        config.fallback_queue = Some(fallback.to_owned());
        let setup = &setup;
        async move {
            let runner = setup.runner(&moto_url(), config).await;
            diagnose(&runner, options()).await.unwrap()
        }
    };

    let report = diagnosed(&on_spot).await;
    assert_eq!(only(&report, "fallback queue").severity, Severity::Ok);
    let environment = only(&report, "fallback compute environment");
    assert_eq!(environment.severity, Severity::Error, "{environment:?}");
    assert!(
        environment.summary.contains("is on Spot (SPOT)")
            && environment.summary.contains("defeats its purpose"),
        "{environment:?}"
    );
    let action = environment.action.as_deref().unwrap();
    assert!(
        action.contains("On-Demand compute environment (computeResources type EC2)")
            && action.contains("AWS_BATCH_FALLBACK_JOB_QUEUE"),
        "{action}"
    );
    assert!(!report.healthy());

    let missing = diagnosed("fred-no-such-fallback-queue").await;
    let queue = only(&missing, "fallback queue");
    assert_eq!(queue.severity, Severity::Error, "{queue:?}");
    assert!(queue.summary.contains("does not exist"), "{queue:?}");
    assert!(
        queue
            .action
            .as_deref()
            .unwrap()
            .contains("FallbackMaxvCpus"),
        "{queue:?}"
    );

    let itself = diagnosed(&setup.queue).await;
    let queue = only(&itself, "fallback queue");
    assert_eq!(queue.severity, Severity::Error, "{queue:?}");
    assert!(queue.summary.contains("the job queue itself"), "{queue:?}");
}
