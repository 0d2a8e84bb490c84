//! Throttling and lost answers: retried, never duplicated.

use std::collections::HashSet;

use fredbatch_core::{IgnoreProgress, SimulationRunner};

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::{Action, Proxy};
use crate::support::{runs, spec};

#[tokio::test]
async fn throttled_and_lost_submissions_are_retried_without_duplicates() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    config.array_jobs = false;
    // SubmitJob: the first three are refused with 429; the fourth and fifth reach moto but
    // their answers are lost (a 500, then a dropped connection); the rest pass.
    let proxy = Proxy::with_rule(
        &moto_url(),
        Box::new(|seen, before| match (seen.operation.as_str(), before) {
            ("SubmitJob", 0..=2) => Action::Refuse {
                status: 429,
                error_type: "TooManyRequestsException",
            },
            ("SubmitJob", 3) => Action::ForwardThenFail,
            ("SubmitJob", 4) => Action::ForwardThenDrop,
            _ => Action::Forward,
        }),
    )
    .await;
    let runner = setup.runner(&proxy.url, config).await;

    let ids = runner.submit(&spec(40), &runs(40, 1..=6), &IgnoreProgress).await.unwrap();

    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 6, "six runs, six jobs: {ids:?}");
    let on_aws = setup.jobs_named("fred-job-40-").await;
    assert_eq!(on_aws.len(), 6, "no run was submitted twice: {on_aws:?}");
    let names: HashSet<&str> = on_aws.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), 6);
    for (name, id) in &on_aws {
        let number: usize = name.rsplit('-').next().unwrap().parse().unwrap();
        assert_eq!(&ids[number - 1].0, id, "{name} is recorded with its job");
    }
    // 3 refused, then each run reached moto once (2 of them had their answers lost); each lost
    // answer was followed by a lookup by name, which found the job moto had created.
    assert_eq!(proxy.count("SubmitJob"), 9);
    let lookups = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "ListJobs")
        .filter(|s| {
            s.body["filters"][0]["values"][0]
                .as_str()
                .is_some_and(|v| !v.ends_with('*'))
        })
        .count();
    assert_eq!(lookups, 2);
}

#[tokio::test]
async fn throttled_status_refreshes_are_retried() {
    let setup = Setup::create().await;
    let proxy = Proxy::with_rule(
        &moto_url(),
        Box::new(|seen, before| match (seen.operation.as_str(), before) {
            ("DescribeJobs", 0..=1) => Action::Refuse {
                status: 429,
                error_type: "TooManyRequestsException",
            },
            _ => Action::Forward,
        }),
    )
    .await;
    let runner = setup.runner(&proxy.url, setup.config()).await;
    let ids = runner.submit(&spec(41), &runs(41, 1..=3), &IgnoreProgress).await.unwrap();

    let described = runner.describe(&ids).await.unwrap();

    assert_eq!(described.len(), 3);
    assert_eq!(proxy.count("DescribeJobs"), 3, "two refused, one answered");
}
