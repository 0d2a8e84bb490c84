//! Cancelling: CancelJob for a job not yet started, TerminateJob for a started one, nothing for
//! a finished one, and a terminate when the job started before CancelJob reached it.
//!
//! moto's Docker-less Batch finishes every job the moment it is submitted, so the proxy shows
//! chosen jobs as RUNNABLE or RUNNING in DescribeJobs answers; the CancelJob and TerminateJob
//! requests themselves go to moto.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fredbatch_core::sync::CANCELLED_REASON;
use fredbatch_core::{BackendJobId, IgnoreProgress, RunnerError, SimulationRunner};
use serde_json::Value;

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::{Action, Proxy};
use crate::support::{runs, spec};

/// Per job id, the states DescribeJobs should report, one per call (the last one repeats).
type Script = Arc<Mutex<HashMap<String, Vec<&'static str>>>>;

async fn scripted_proxy(script: Script) -> Proxy {
    Proxy::with_rule(
        &moto_url(),
        Box::new(move |seen, _| {
            if seen.operation != "DescribeJobs" {
                return Action::Forward;
            }
            let script = script.clone();
            Action::Rewrite(Box::new(move |answer: &mut Value| {
                let mut script = script.lock().unwrap();
                for job in answer["jobs"].as_array_mut().into_iter().flatten() {
                    let id = job["jobId"].as_str().unwrap_or("").to_owned();
                    if let Some(states) = script.get_mut(&id) {
                        let state = if states.len() > 1 {
                            states.remove(0)
                        } else {
                            states[0]
                        };
                        job["status"] = Value::from(state);
                        if let Some(object) = job.as_object_mut() {
                            object.remove("stoppedAt");
                        }
                    }
                }
            }))
        }),
    )
    .await
}

fn requests_for(proxy: &Proxy, operation: &str, id: &BackendJobId) -> Vec<Value> {
    proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == operation && s.body["jobId"] == id.0.as_str())
        .map(|s| s.body)
        .collect()
}

#[tokio::test]
async fn queued_jobs_are_cancelled_and_running_ones_terminated() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    config.array_jobs = false;
    let script: Script = Arc::default();
    let proxy = scripted_proxy(script.clone()).await;
    let runner = setup.runner(&proxy.url, config).await;
    let ids = runner.submit(&spec(20), &runs(20, 1..=4), &IgnoreProgress).await.unwrap();
    let (queued, running, finished, racing) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    {
        let mut script = script.lock().unwrap();
        script.insert(queued.0.clone(), vec!["RUNNABLE"]);
        script.insert(running.0.clone(), vec!["RUNNING"]);
        // Seen RUNNABLE, then already STARTING when checked after CancelJob.
        script.insert(racing.0.clone(), vec!["RUNNABLE", "STARTING"]);
    }

    for id in [queued, running, finished, racing] {
        runner.cancel(id, CANCELLED_REASON).await.unwrap();
    }

    let cancels = requests_for(&proxy, "CancelJob", queued);
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0]["reason"], CANCELLED_REASON);
    assert!(requests_for(&proxy, "TerminateJob", queued).is_empty());

    assert!(requests_for(&proxy, "CancelJob", running).is_empty());
    assert_eq!(requests_for(&proxy, "TerminateJob", running).len(), 1);
    // moto recorded the reason on the terminated job.
    let detail = setup
        .direct
        .batch
        .describe_jobs()
        .jobs(&running.0)
        .send()
        .await
        .unwrap();
    assert_eq!(detail.jobs()[0].status_reason(), Some(CANCELLED_REASON));

    assert!(
        requests_for(&proxy, "CancelJob", finished).is_empty(),
        "a finished job is left alone"
    );
    assert!(requests_for(&proxy, "TerminateJob", finished).is_empty());

    assert_eq!(requests_for(&proxy, "CancelJob", racing).len(), 1);
    assert_eq!(
        requests_for(&proxy, "TerminateJob", racing).len(),
        1,
        "a job that started before CancelJob reached it is terminated"
    );
}

#[tokio::test]
async fn cancelling_an_array_child_stops_that_child_only() {
    let setup = Setup::create().await;
    let script: Script = Arc::default();
    let proxy = scripted_proxy(script.clone()).await;
    let runner = setup.runner(&proxy.url, setup.config()).await;
    let children = runner.submit(&spec(21), &runs(21, 1..=3), &IgnoreProgress).await.unwrap();
    script
        .lock()
        .unwrap()
        .insert(children[1].0.clone(), vec!["RUNNING"]);

    runner.cancel(&children[1], CANCELLED_REASON).await.unwrap();

    let terminated: Vec<Value> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "TerminateJob")
        .map(|s| s.body)
        .collect();
    assert_eq!(terminated.len(), 1);
    assert_eq!(terminated[0]["jobId"], children[1].0.as_str());
}

#[tokio::test]
async fn cancelling_a_job_aws_does_not_know_says_so() {
    let setup = Setup::create().await;
    let runner = setup.runner(&moto_url(), setup.config()).await;
    let unknown = BackendJobId::from("00000000-0000-0000-0000-000000000000");

    let error = runner.cancel(&unknown, CANCELLED_REASON).await.unwrap_err();

    assert!(matches!(error, RunnerError::UnknownJob(id) if id == unknown));
}
