//! Submitting: array jobs for contiguous runs, plain jobs otherwise, the request AWS receives,
//! and exactly-once submission across crashes.

use fredbatch_core::{IgnoreProgress, RunnerError, SimulationRunner};
use serde_json::json;

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::Proxy;
use crate::support::{runs, spec};

#[tokio::test]
async fn contiguous_runs_go_as_one_array_job_and_strays_as_plain_jobs() {
    let setup = Setup::create().await;
    let proxy = Proxy::start(&moto_url()).await;
    let runner = setup.runner(&proxy.url, setup.config()).await;
    let mut submitted = runs(1, 1..=5);
    submitted.extend(runs(1, [9]));

    let ids = runner.submit(&spec(1), &submitted, &IgnoreProgress).await.unwrap();

    let parent = ids[0].0.split_once(':').unwrap().0.to_owned();
    for (i, id) in ids[..5].iter().enumerate() {
        assert_eq!(id.0, format!("{parent}:{i}"), "child i holds run first + i");
    }
    assert!(!ids[5].0.contains(':'), "run 9 is a plain job: {}", ids[5]);
    assert_eq!(proxy.count("SubmitJob"), 2);

    let bodies: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "SubmitJob")
        .map(|s| s.body)
        .collect();
    let array = bodies
        .iter()
        .find(|b| b["jobName"] == "fred-job-1-runs-1-5")
        .expect("the array job");
    assert_eq!(array["arrayProperties"], json!({ "size": 5 }));
    assert_eq!(
        array["containerOverrides"]["command"],
        json!(["worker", "--job-id", "1", "--array-first-run", "1"])
    );
    assert_eq!(
        array["containerOverrides"]["resourceRequirements"],
        json!([{ "type": "VCPU", "value": "4" }, { "type": "MEMORY", "value": "8192" }])
    );
    assert_eq!(array["retryStrategy"]["attempts"], 3);
    assert_eq!(
        array["retryStrategy"]["evaluateOnExit"][0],
        json!({ "onStatusReason": "Host EC2*", "action": "RETRY" })
    );
    assert_eq!(array["timeout"], json!({ "attemptDurationSeconds": 14400 }));
    assert_eq!(array["propagateTags"], true);
    assert_eq!(array["tags"]["fredbatch:job-id"], "1");
    assert_eq!(array["tags"]["fredbatch:user"], "tester");
    assert_eq!(array["tags"]["fredbatch:runs"], "1-5");
    assert_eq!(array["jobQueue"], setup.queue.as_str());

    let plain = bodies
        .iter()
        .find(|b| b["jobName"] == "fred-job-1-run-9")
        .expect("the plain job");
    assert!(plain.get("arrayProperties").is_none());
    assert_eq!(
        plain["containerOverrides"]["command"],
        json!(["worker", "--job-id", "1", "--run-id", "1009"])
    );
    assert_eq!(plain["tags"]["fredbatch:run-id"], "1009");

    // What moto holds: the array with its five children, tagged as asked.
    let described = setup
        .direct
        .batch
        .describe_jobs()
        .jobs(&parent)
        .send()
        .await
        .unwrap();
    let parent_job = &described.jobs()[0];
    assert_eq!(parent_job.array_properties().unwrap().size(), Some(5));
    assert_eq!(
        parent_job
            .tags()
            .unwrap()
            .get("fredbatch:job-id")
            .map(String::as_str),
        Some("1")
    );
}

#[tokio::test]
async fn without_arrays_every_run_is_its_own_job() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    config.array_jobs = false;
    let runner = setup.runner(&moto_url(), config).await;

    let ids = runner.submit(&spec(2), &runs(2, 1..=4), &IgnoreProgress).await.unwrap();

    assert!(ids.iter().all(|id| !id.0.contains(':')));
    let names = setup.job_names("fred-job-2-").await;
    assert_eq!(
        names,
        [
            "fred-job-2-run-1",
            "fred-job-2-run-2",
            "fred-job-2-run-3",
            "fred-job-2-run-4"
        ]
    );
}

#[tokio::test]
async fn submitting_again_after_a_crash_returns_the_jobs_already_there() {
    let setup = Setup::create().await;
    // A previous process submitted run 4 and died before recording it.
    let orphan = setup
        .direct
        .batch
        .submit_job()
        .job_name("fred-job-3-run-4")
        .job_queue(&setup.queue)
        .job_definition(&setup.definition_arn)
        .send()
        .await
        .unwrap()
        .job_id()
        .unwrap()
        .to_owned();
    let first = setup.runner(&moto_url(), setup.config()).await;
    let ids = first.submit(&spec(3), &runs(3, 1..=6), &IgnoreProgress).await.unwrap();
    assert_eq!(ids[3].0, orphan, "run 4 is the orphan, not a second job");

    // Another crash: a new process submits the same runs again.
    let proxy = Proxy::start(&moto_url()).await;
    let second = setup.runner(&proxy.url, setup.config()).await;
    let again = second.submit(&spec(3), &runs(3, 1..=6), &IgnoreProgress).await.unwrap();

    assert_eq!(again, ids);
    assert_eq!(proxy.count("SubmitJob"), 0);
    let names = setup.job_names("fred-job-3-").await;
    assert_eq!(
        names,
        [
            "fred-job-3-run-4",
            "fred-job-3-runs-1-3",
            "fred-job-3-runs-5-6"
        ],
        "each run exactly once"
    );
}

#[tokio::test]
async fn a_missing_queue_is_reported_with_what_to_check() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    config.job_queue = "no-such-queue".into();
    let runner = setup.runner(&moto_url(), config).await;

    let error = runner.submit(&spec(4), &runs(4, [1]), &IgnoreProgress).await.unwrap_err();

    let RunnerError::Rejected { message } = error else {
        panic!("expected a rejection, got {error:?}");
    };
    assert!(message.contains("no-such-queue"), "{message}");
    assert!(message.contains("AWS_BATCH_JOB_QUEUE"), "{message}");
}

#[tokio::test]
async fn a_missing_job_definition_is_named() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    config.job_definition = "no-such-definition".into();
    let runner = setup.runner(&moto_url(), config).await;

    let error = runner.submit(&spec(5), &runs(5, [1]), &IgnoreProgress).await.unwrap_err();

    assert!(
        error
            .to_string()
            .contains("job definition `no-such-definition` was not found"),
        "{error}"
    );
}
