//! `doctor` against a real (moto) deployment: a healthy one, then the same with its queue
//! disabled and its log group gone, among the troubleshooting causes of `docs/design.md`.

use std::time::Duration;

use aws_sdk_batch::types::JqState;
use chrono::Utc;
use fredbatch_batch::doctor::{DoctorOptions, Severity, diagnose};

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
