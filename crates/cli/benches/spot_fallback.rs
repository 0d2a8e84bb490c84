//! What Spot interruptions cost a job on AWS Batch, with and without the On-Demand fallback
//! queue: a job of RUNS runs (default 300) is supervised on moto (`FREDBATCH_TEST_MOTO_URL`;
//! `scripts/bench` starts one) while a proxy in front of it reports every third run's Spot job
//! as reclaimed on every attempt it was allowed (`Host EC2 (instance i-...) terminated.`).
//!
//! - **before**: no fallback queue, as before the stack had one: the run's Spot job gets all
//!   three of the job's attempts, and an interrupted run ends ERROR;
//! - **fallback**: the stack's fallback queue: after two interruptions on Spot the run goes on
//!   in the fallback queue, where it runs to the end.
//!
//! The workers are played by the store's own calls (moto's Docker-less Batch runs nothing):
//! each run that gets an attempt to run commits it. Prints figures; asserts nothing.
//! `cargo bench -p fredbatch --bench spot_fallback -- RUNS`.

/// The AWS Batch backend's own test fixtures: a Batch setup in moto, a recording proxy, and
/// the Spot interruptions it plays.
#[allow(dead_code)]
#[path = "../../batch/tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::Utc;
use fredbatch_core::RetryPolicy;

/// With a fallback, a run's Spot job may be interrupted this often before it moves (the
/// default `--interruptions`); without one, it also makes the last attempt on Spot.
const SPOT_ATTEMPTS: u32 = RetryPolicy::DEFAULT_INTERRUPTIONS;
use fredbatch_core::{AttemptStatus, FailureClass, Job, RunStatus};
use fredbatch_store::{AttemptEnd, BeginAttempt, Store};
use fredbatch_supervisor::Supervisor;

use support::moto::{Setup, moto_url};
use support::proxy::Proxy;
use support::spot::Interruptions;
use support::stored_job;

/// Every third run is reclaimed on Spot.
fn interrupted(run_number: u32) -> bool {
    run_number.is_multiple_of(3)
}

struct Figures {
    label: &'static str,
    runs: usize,
    interrupted: usize,
    moved: usize,
    done: usize,
    failed: usize,
    failed_interrupted: usize,
    requests: usize,
    seconds: f64,
}

#[tokio::main]
async fn main() {
    let runs: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    println!(
        "{runs} runs on AWS Batch (moto at {}), every third reclaimed on each Spot attempt\n",
        moto_url()
    );
    let before = supervise("before: Spot only", runs, false).await;
    // The default --interruptions: the Spot attempts a run makes before it moves.
    const _: () = assert!(SPOT_ATTEMPTS == 3);
    let after = supervise("fallback after 3 on Spot", runs, true).await;
    println!(
        "{:<26} {:>5} {:>12} {:>18} {:>6} {:>7} {:>22} {:>9} {:>8}",
        "",
        "runs",
        "interrupted",
        "to fallback queue",
        "DONE",
        "failed",
        "failed (interrupted)",
        "requests",
        "seconds"
    );
    for f in [before, after] {
        println!(
            "{:<26} {:>5} {:>12} {:>18} {:>6} {:>7} {:>22} {:>9} {:>8.2}",
            f.label,
            f.runs,
            f.interrupted,
            f.moved,
            f.done,
            f.failed,
            f.failed_interrupted,
            f.requests,
            f.seconds
        );
    }
}

/// Plays the worker of each open run that has an attempt to run: it starts attempt `number`
/// and commits it.
async fn commit_open(store: &Store, job: &Job, number: u32, which: impl Fn(u32) -> bool) {
    for run in store.open_runs(job.id).await.unwrap() {
        if !which(run.run_number) {
            continue;
        }
        let started = store
            .begin_attempt(
                run.id,
                run.backend_job_id.as_ref(),
                Some(number),
                Utc::now(),
            )
            .await
            .unwrap();
        let BeginAttempt::Started { number } = started else {
            continue;
        };
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
        store.finish_attempt(run.id, number, &end).await.unwrap();
    }
}

async fn supervise(label: &'static str, runs: u32, with_fallback: bool) -> Figures {
    let started = Instant::now();
    let setup = Setup::create().await;
    let fallback = if with_fallback {
        Some(setup.create_fallback_queue().await)
    } else {
        None
    };
    let fallback_done = Arc::new(AtomicBool::new(false));
    let spot_attempts = if with_fallback {
        SPOT_ATTEMPTS
    } else {
        SPOT_ATTEMPTS + 1
    };
    let proxy = Proxy::with_rule(
        &moto_url(),
        Interruptions {
            spot_queue: setup.queue.clone(),
            fallback_queue: fallback.clone().unwrap_or_default(),
            interrupted: Box::new(interrupted),
            spot_attempts,
            fallback_done: fallback_done.clone(),
        }
        .rule(),
    )
    .await;
    let mut config = setup.config();
    config.fallback_queue.clone_from(&fallback);
    let runner = Arc::new(setup.runner(&proxy.url, config).await);
    let (_dir, store, job) = stored_job(1, runs).await;
    let supervisor = Supervisor::new(store.clone(), runner);
    supervisor.submit(&job).await.unwrap();
    // The runs Spot leaves alone run on their first attempt.
    commit_open(&store, &job, 1, |n| !interrupted(n)).await;
    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    // The runs moved to On-Demand run there, on the attempt after Spot's.
    commit_open(&store, &job, spot_attempts + 1, interrupted).await;
    fallback_done.store(true, Ordering::SeqCst);
    supervisor.tick(&mut watch).await.unwrap();

    let all = store.runs(job.id).await.unwrap();
    let moved = proxy
        .seen()
        .iter()
        .filter(|s| {
            s.operation == "SubmitJob"
                && fallback
                    .as_deref()
                    .is_some_and(|queue| s.body["jobQueue"] == queue)
        })
        .count();
    let failed: Vec<_> = all
        .iter()
        .filter(|r| r.status == RunStatus::Error)
        .collect();
    Figures {
        label,
        runs: all.len(),
        interrupted: all.iter().filter(|r| interrupted(r.run_number)).count(),
        moved,
        done: all.iter().filter(|r| r.status == RunStatus::Done).count(),
        failed: failed.len(),
        failed_interrupted: failed
            .iter()
            .filter(|r| r.failure() == Some(FailureClass::Interrupted))
            .count(),
        requests: proxy.total(),
        seconds: started.elapsed().as_secs_f64(),
    }
}
