//! Describing many runs in few requests: plain jobs by DescribeJobs in batches of 100, a big
//! array's children through their parent's status summary and a listing per state.

use fredbatch_core::{BackendJobId, BackendState, IgnoreProgress, SimulationRunner};

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::Proxy;
use crate::support::{runs, spec};

#[tokio::test]
async fn a_thousand_array_children_and_250_plain_jobs_cost_four_requests() {
    let setup = Setup::create().await;
    let proxy = Proxy::start(&moto_url()).await;
    let runner = setup.runner(&proxy.url, setup.config()).await;
    let children = runner.submit(&spec(10), &runs(10, 1..=1000), &IgnoreProgress).await.unwrap();
    let mut plain_config = setup.config();
    plain_config.array_jobs = false;
    let plain_runner = setup.runner(&moto_url(), plain_config).await;
    let plain = plain_runner
        .submit(&spec(11), &runs(11, 1..=250), &IgnoreProgress).await
        .unwrap();
    let all: Vec<BackendJobId> = children.iter().chain(&plain).cloned().collect();
    proxy.clear();

    let described = runner.describe(&all).await.unwrap();

    assert_eq!(described.len(), 1250, "every run is described");
    for id in &all {
        let job = &described[id];
        assert_eq!(job.state, BackendState::Succeeded, "{id}");
        assert_eq!(&job.id, id);
    }
    assert_eq!(described[&children[7]].name, "fred-job-10-runs-1-1000");
    assert_eq!(described[&plain[7]].name, "fred-job-11-run-8");
    // 250 plain ids and the array's parent: 3 DescribeJobs; the parent's summary shows every
    // child SUCCEEDED: 1 ListJobs.
    assert_eq!(
        proxy.count("DescribeJobs"),
        3,
        "{:?}",
        proxy
            .seen()
            .iter()
            .map(|s| &s.operation)
            .collect::<Vec<_>>()
    );
    assert_eq!(proxy.count("ListJobs"), 1);
    assert_eq!(proxy.total(), 4);
    let counter = runner.request_counter().await.unwrap().snapshot();
    assert!(
        counter["DescribeJobs"] >= 3,
        "the runner counts its own requests: {counter:?}"
    );
}

#[tokio::test]
async fn children_asked_for_a_hundred_at_a_time_are_described_by_id() {
    let setup = Setup::create().await;
    let proxy = Proxy::start(&moto_url()).await;
    let runner = setup.runner(&proxy.url, setup.config()).await;
    let children = runner.submit(&spec(12), &runs(12, 1..=300), &IgnoreProgress).await.unwrap();
    proxy.clear();

    for chunk in children.chunks(100) {
        let described = runner.describe(chunk).await.unwrap();
        assert_eq!(described.len(), 100);
        let job = &described[&chunk[0]];
        assert_eq!(job.attempts.len(), 1, "a described child has its attempt");
        assert!(
            job.attempts[0].log_ref.is_some(),
            "and the attempt's log stream"
        );
    }

    assert_eq!(proxy.count("DescribeJobs"), 3);
    assert_eq!(proxy.total(), 3);
}

#[tokio::test]
async fn unknown_ids_are_absent_not_errors() {
    let setup = Setup::create().await;
    let runner = setup.runner(&moto_url(), setup.config()).await;
    let ids = runner.submit(&spec(13), &runs(13, [1]), &IgnoreProgress).await.unwrap();
    let mut asked = ids.clone();
    asked.push(BackendJobId::from("00000000-0000-0000-0000-000000000000"));
    asked.push(BackendJobId::from("00000000-0000-0000-0000-000000000000:3"));

    let described = runner.describe(&asked).await.unwrap();

    assert_eq!(described.len(), 1);
    assert!(described.contains_key(&ids[0]));
}
