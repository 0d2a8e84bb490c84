//! What a job of 10,000 runs costs in AWS Batch API requests and wall time, against a moto
//! server (`FREDBATCH_TEST_MOTO_URL`; `scripts/bench` starts one), beside the pattern of the
//! Python gateway of the AWS Batch design this project implements, measured in the same run:
//! one SubmitJob per run, sequentially, and one ListJobs plus one DescribeJobs per run per
//! status refresh.
//!
//! fredbatch is measured the way users get it: the job is registered in a store and the
//! supervisor submits it and ticks once, as `fredbatch run` and `fredbatch status` do.
//!
//! Prints figures; asserts nothing about time. `cargo bench -p fredbatch-batch --bench requests
//! -- RUNS` changes the number of runs (default 10,000). One job per run (no array jobs) is
//! paced at 40 SubmitJob/s on purpose, so it is measured only up to 1,000 runs.

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_batch::types::KeyValuesPair;
use fredbatch_batch::{BatchRunner, Clients, RequestCounter};
use fredbatch_core::BackendJobId;
use fredbatch_supervisor::Supervisor;

use support::moto::{Setup, clients, moto_url};
use support::{runs, stored_job};

struct Figures {
    label: &'static str,
    submit_requests: u64,
    submit_seconds: f64,
    refresh_requests: u64,
    refresh_seconds: f64,
}

#[tokio::main]
async fn main() {
    let run_count: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let moto = moto_url();
    let setup = Setup::create().await;
    println!("{run_count} runs against moto at {moto}\n");

    let mut table = vec![original(&setup, &moto, run_count).await];
    // The real limits: 40 SubmitJob/s plus a burst of 5, below Batch's 50 per second.
    let mut arrays = setup.config();
    arrays.submit_rate = fredbatch_batch::config::DEFAULT_SUBMIT_RATE;
    arrays.submit_burst = fredbatch_batch::config::DEFAULT_SUBMIT_BURST;
    let mut plain = arrays.clone();
    plain.array_jobs = false;
    table.push(fredbatch("fredbatch, array jobs", &setup, &moto, arrays, run_count).await);
    if run_count <= 1000 {
        table.push(
            fredbatch(
                "fredbatch, one job per run",
                &setup,
                &moto,
                plain,
                run_count,
            )
            .await,
        );
    }

    println!(
        "{:<28} {:>16} {:>12} {:>17} {:>12}",
        "pattern", "submit requests", "submit s", "refresh requests", "refresh s"
    );
    for f in &table {
        println!(
            "{:<28} {:>16} {:>12.2} {:>17} {:>12.3}",
            f.label, f.submit_requests, f.submit_seconds, f.refresh_requests, f.refresh_seconds
        );
    }
    let baseline = &table[0];
    for f in &table[1..] {
        println!(
            "\n{}: submission time {:.2}x the sequential pattern's (lower is faster); {:.2} \
             requests per 100 runs per refresh (the original: {:.0})",
            f.label,
            f.submit_seconds / baseline.submit_seconds,
            f.refresh_requests as f64 * 100.0 / f64::from(run_count),
            baseline.refresh_requests as f64 * 100.0 / f64::from(run_count),
        );
    }
}

/// fredbatch's supervisor over a store: submit the job, then one full status refresh.
async fn fredbatch(
    label: &'static str,
    setup: &Setup,
    moto: &str,
    config: fredbatch_batch::BatchConfig,
    run_count: u32,
) -> Figures {
    let (_dir, store, job) = stored_job(1, run_count).await;
    let runner = Arc::new(BatchRunner::with_clients(config, clients(moto).await));
    let counter = runner.request_counter().await.unwrap();
    let supervisor = Supervisor::new(store.clone(), runner);
    let started = Instant::now();
    supervisor.submit(&job).await.expect("submitting");
    let submit_seconds = started.elapsed().as_secs_f64();
    let submit_requests = counter.total();
    println!(
        "{label}: requests to submit, by operation: {:?}",
        counter.snapshot()
    );
    let ids: Vec<BackendJobId> = store
        .runs(job.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.backend_job_id.expect("every run recorded"))
        .collect();
    wait_until_ended(setup, &ids).await;

    let before = counter.total();
    let started = Instant::now();
    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.expect("describing");
    assert!(watch.is_finished(), "every run was described");
    Figures {
        label,
        submit_requests,
        submit_seconds,
        refresh_requests: counter.total() - before,
        refresh_seconds: started.elapsed().as_secs_f64(),
    }
}

/// The Python gateway of the AWS Batch design: one SubmitJob per run, one after the other; a refresh asks ListJobs
/// and DescribeJobs for each run.
async fn original(setup: &Setup, moto: &str, run_count: u32) -> Figures {
    let clients: Clients = clients(moto).await;
    let counter: RequestCounter = clients.requests.clone();
    let job = 3;
    let started = Instant::now();
    let mut ids = Vec::new();
    for run in runs(job, 1..=run_count) {
        let answer = clients
            .batch
            .submit_job()
            .job_name(&run.name)
            .job_queue(&setup.queue)
            .job_definition(&setup.definition_arn)
            .container_overrides(
                aws_sdk_batch::types::ContainerOverrides::builder()
                    .set_command(Some(run.worker.args()))
                    .build(),
            )
            .send()
            .await
            .expect("SubmitJob");
        ids.push((run.name, answer.job_id().unwrap_or_default().to_owned()));
    }
    let submit_seconds = started.elapsed().as_secs_f64();
    let submit_requests = counter.total();

    let before = counter.total();
    let started = Instant::now();
    for (name, id) in &ids {
        clients
            .batch
            .list_jobs()
            .job_queue(&setup.queue)
            .filters(
                KeyValuesPair::builder()
                    .name("JOB_NAME")
                    .values(name)
                    .build(),
            )
            .send()
            .await
            .expect("ListJobs");
        clients
            .batch
            .describe_jobs()
            .jobs(id)
            .send()
            .await
            .expect("DescribeJobs");
    }
    Figures {
        label: "original (sequential)",
        submit_requests,
        submit_seconds,
        refresh_requests: counter.total() - before,
        refresh_seconds: started.elapsed().as_secs_f64(),
    }
}

/// moto moves jobs along in the background; a refresh is measured once they ended, so every
/// pattern describes the same states.
async fn wait_until_ended(setup: &Setup, ids: &[BackendJobId]) {
    let parents: std::collections::BTreeSet<&str> = ids
        .iter()
        .map(|id| id.0.split(':').next().unwrap_or(&id.0))
        .collect();
    let parents: Vec<String> = parents.into_iter().map(str::to_owned).collect();
    for _ in 0..3000 {
        let mut open = 0;
        for chunk in parents.chunks(100) {
            let answer = setup
                .direct
                .batch
                .describe_jobs()
                .set_jobs(Some(chunk.to_vec()))
                .send()
                .await
                .expect("DescribeJobs");
            open += answer
                .jobs()
                .iter()
                .filter(|j| !matches!(j.status().map(|s| s.as_str()), Some("SUCCEEDED" | "FAILED")))
                .count();
        }
        if open == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("moto did not finish the jobs within ten minutes");
}
