//! Runs Spot gave up on go on in the On-Demand fallback queue, driven by the supervisor as
//! `fredbatch run` drives them: the interruptions are played by a proxy in front of moto
//! ([`crate::support::spot`]), the workers' commits by the store's own calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use fredbatch_core::RetryPolicy;

/// With a fallback, a run's Spot job may be interrupted this often before it moves (the
/// default `--interruptions`); without one, it also makes the last attempt on Spot.
const SPOT_ATTEMPTS: u32 = RetryPolicy::DEFAULT_INTERRUPTIONS;
use fredbatch_core::{AttemptStatus, FailureClass, Job, RunStatus};
use fredbatch_store::{AttemptEnd, BeginAttempt, Store};
use fredbatch_supervisor::Supervisor;

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::Proxy;
use crate::support::spot::Interruptions;
use crate::support::stored_job;

/// Plays each run's worker on its attempt `number`: it starts and commits a result.
async fn commit(store: &Store, job: &Job, number: u32) {
    for run in store.runs(job.id).await.unwrap() {
        let BeginAttempt::Started { number: got } = store
            .begin_attempt(
                run.id,
                run.backend_job_id.as_ref(),
                Some(number),
                Utc::now(),
            )
            .await
            .unwrap()
        else {
            panic!("run {} had ended: {run:?}", run.run_number);
        };
        assert_eq!(got, number, "the attempt after Spot's");
        let end = AttemptEnd {
            status: AttemptStatus::Succeeded,
            reason: None,
            exit_code: Some(0),
            finished_at: Utc::now(),
            measurements: None,
            results_key: Some(format!("results/run-{}", run.run_number)),
            warnings: Vec::new(),
            inputs: None,
        };
        store.finish_attempt(run.id, got, &end).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_spot_gave_up_on_goes_on_on_demand_and_is_not_failed() {
    let setup = Setup::create().await;
    let fallback = setup.create_fallback_queue().await;
    let fallback_done = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::with_rule(
        &moto_url(),
        Interruptions {
            spot_queue: setup.queue.clone(),
            fallback_queue: fallback.clone(),
            interrupted: Box::new(|_| true),
            spot_attempts: SPOT_ATTEMPTS,
            fallback_done: fallback_done.clone(),
        }
        .rule(),
    )
    .await;
    let mut config = setup.config();
    config.fallback_queue = Some(fallback.clone());
    config.environment = vec![("FREDBATCH_RESULTS".into(), "s3://fred-results".into())];
    let runner = Arc::new(setup.runner(&proxy.url, config).await);
    let (_dir, store, job) = stored_job(1, 3).await;
    let supervisor = Supervisor::new(store.clone(), runner);
    assert_eq!(supervisor.submit(&job).await.unwrap(), 3);
    let submitted = proxy.seen();
    let spot = submitted
        .iter()
        .find(|s| s.operation == "SubmitJob")
        .unwrap();
    assert_eq!(
        spot.body["retryStrategy"]["attempts"], SPOT_ATTEMPTS,
        "with a fallback, Spot gets only the interruptions it is allowed: {}",
        spot.body
    );

    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    let sent: Vec<serde_json::Value> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "SubmitJob" && s.body["jobQueue"] == fallback.as_str())
        .map(|s| s.body)
        .collect();
    assert_eq!(sent.len(), 3, "each run went on in the fallback queue");
    let attempt = SPOT_ATTEMPTS + 1;
    let mut names: Vec<&str> = sent
        .iter()
        .map(|b| b["jobName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        (1..=3)
            .map(|n| format!("fred-job-{}-run-{n}-attempt-{attempt}", job.id))
            .collect::<Vec<_>>()
    );
    let first = sent
        .iter()
        .find(|b| b["jobName"].as_str().unwrap().contains("-run-1-"))
        .unwrap();
    assert_eq!(
        first["containerOverrides"]["command"],
        serde_json::json!([
            "worker",
            "--job-id",
            job.id.to_string(),
            "--run-number",
            "1"
        ])
    );
    let environment = first["containerOverrides"]["environment"].to_string();
    assert!(
        environment.contains("FREDBATCH_ATTEMPT") && environment.contains("s3://fred-results"),
        "its attempt number and the job's storage: {environment}"
    );

    for run in store.runs(job.id).await.unwrap() {
        assert!(
            !run.status.is_terminal(),
            "an interrupted run is not failed: {run:?}"
        );
        let attempts = store.attempts(run.id).await.unwrap();
        assert_eq!(attempts.len() as u32, SPOT_ATTEMPTS);
        assert!(
            attempts
                .iter()
                .all(|a| a.status == AttemptStatus::Interrupted),
            "{attempts:?}"
        );
    }
    // Another look finds the continuations by name: nothing is sent twice.
    supervisor.tick(&mut watch).await.unwrap();
    let fallback_submits = || {
        proxy
            .seen()
            .iter()
            .filter(|s| s.operation == "SubmitJob" && s.body["jobQueue"] == fallback.as_str())
            .count()
    };
    assert_eq!(fallback_submits(), 3);

    // On-Demand runs them to the end.
    commit(&store, &job, attempt).await;
    fallback_done.store(true, Ordering::SeqCst);
    supervisor.tick(&mut watch).await.unwrap();
    assert!(watch.is_finished());
    for run in store.runs(job.id).await.unwrap() {
        assert_eq!(run.status, RunStatus::Done, "{run:?}");
        assert_eq!(run.attempts, attempt);
    }
    assert_eq!(fallback_submits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_fallback_queue_spot_interruptions_end_the_run() {
    let setup = Setup::create().await;
    let proxy = Proxy::with_rule(
        &moto_url(),
        Interruptions {
            spot_queue: setup.queue.clone(),
            fallback_queue: "none".into(),
            interrupted: Box::new(|n| n == 2),
            spot_attempts: SPOT_ATTEMPTS + 1,
            fallback_done: Arc::new(AtomicBool::new(true)),
        }
        .rule(),
    )
    .await;
    let runner = Arc::new(setup.runner(&proxy.url, setup.config()).await);
    let (_dir, store, job) = stored_job(1, 2).await;
    let supervisor = Supervisor::new(store.clone(), runner);
    supervisor.submit(&job).await.unwrap();
    let spot = proxy
        .seen()
        .into_iter()
        .find(|s| s.operation == "SubmitJob")
        .unwrap();
    assert_eq!(
        spot.body["retryStrategy"]["attempts"],
        SPOT_ATTEMPTS + 1,
        "all the run's attempts on Spot"
    );
    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    let interrupted = store.run_by_number(job.id, 2).await.unwrap();
    assert_eq!(interrupted.status, RunStatus::Error, "{interrupted:?}");
    assert_eq!(interrupted.failure(), Some(FailureClass::Interrupted));
    assert_eq!(
        proxy.count("SubmitJob"),
        1,
        "nothing was sent anywhere else"
    );
}
