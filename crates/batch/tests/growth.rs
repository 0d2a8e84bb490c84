//! Retries that grow memory, on AWS Batch: a run whose container AWS killed for its memory is
//! submitted again as a job of its own whose container overrides ask for more, until the cap.
//!
//! moto's Docker-less Batch ends every job SUCCEEDED at once, so the proxy shows each job as
//! AWS shows one killed for its memory (FAILED, the container's reason `OutOfMemoryError`);
//! the SubmitJob requests themselves go to moto and are checked as moto received them.

use std::sync::Arc;

use fredbatch_supervisor::Supervisor;
use serde_json::{Value, json};

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::{Action, Proxy};
use crate::support::stored_job;

async fn out_of_memory_proxy() -> Proxy {
    Proxy::with_rule(
        &moto_url(),
        Box::new(|seen, _| {
            if seen.operation != "DescribeJobs" {
                return Action::Forward;
            }
            Action::Rewrite(Box::new(|answer: &mut Value| {
                for job in answer["jobs"].as_array_mut().into_iter().flatten() {
                    let started = job["startedAt"].as_i64().unwrap_or(1);
                    job["status"] = json!("FAILED");
                    job["statusReason"] = json!("Essential container in task exited");
                    job["stoppedAt"] = json!(started + 1000);
                    job["attempts"] = json!([{
                        "container": {
                            "exitCode": 137,
                            "reason": "OutOfMemoryError: Container killed due to memory usage",
                        },
                        "startedAt": started,
                        "stoppedAt": started + 1000,
                        "statusReason": "Essential container in task exited",
                    }]);
                }
            }))
        }),
    )
    .await
}

/// The MEMORY each SubmitJob asked for, in order.
fn submitted_memory(proxy: &Proxy) -> Vec<String> {
    proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.operation == "SubmitJob")
        .map(|seen| {
            let requirements = seen.body["containerOverrides"]["resourceRequirements"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            requirements
                .iter()
                .find(|r| r["type"] == "MEMORY")
                .and_then(|r| r["value"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_out_of_memory_goes_again_with_twice_the_memory_until_the_cap() {
    let setup = Setup::create().await;
    let proxy = out_of_memory_proxy().await;
    let runner = Arc::new(setup.runner(&proxy.url, setup.config()).await);
    let (_dir, store, mut job) = stored_job(1, 1).await;
    // The run starts at the stack's 8192 MB and may grow to 16384.
    job.retry_policy.max_memory_mb = Some(16384);
    let supervisor = Supervisor::new(store.clone(), runner);
    supervisor.submit(&job).await.unwrap();
    let mut watch = supervisor.watch(&job).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !watch.is_finished() {
        assert!(std::time::Instant::now() < deadline, "the job never ended");
        supervisor.tick(&mut watch).await.unwrap();
    }
    assert_eq!(
        submitted_memory(&proxy),
        ["8192", "16384"],
        "the second submission carries the grown memory"
    );
    let names: Vec<Value> = proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.operation == "SubmitJob")
        .map(|seen| seen.body["jobName"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!(format!("fred-job-{}-run-1", job.id)),
            json!(format!("fred-job-{}-run-1-retry-1", job.id))
        ],
        "the run went again as a job of its own"
    );
    let run = store.runs(job.id).await.unwrap().remove(0);
    let reason = run.status_reason.clone().unwrap_or_default();
    assert_eq!(
        run.failure(),
        Some(fredbatch_core::FailureClass::OutOfMemory)
    );
    assert!(
        reason.starts_with("out of memory at 16 GiB, and needed more than 16 GiB: --max-memory"),
        "{reason}"
    );
    let sizes: Vec<u64> = store
        .attempts(run.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.size.unwrap().resources.memory_mb)
        .collect();
    assert_eq!(
        sizes,
        [8192, 16384],
        "each attempt kept the size it ran with"
    );
}
