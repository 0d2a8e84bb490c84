//! The supervisor's rules against an in-memory backend whose every answer the test sets, over a
//! real SQLite store: submitting everything in one call with a crash-safe trail, lost runs,
//! cancellations, stale attempts ending late, backend failures, resuming.

use chrono::Utc;
use fredbatch_core::model::Measurements;
use fredbatch_core::{AttemptStatus, BackendJobId, BackendState, Job, Resources, RunStatus};
use fredbatch_store::{AttemptEnd, BeginAttempt, NewConfig, NewJob, Store};
use fredbatch_supervisor::testing::MemoryRunner;
use fredbatch_supervisor::{LOST_AFTER, Supervisor};

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    (dir, store)
}

async fn job(store: &Store, configs: usize, runs: u32) -> Job {
    let configs = (0..configs)
        .map(|i| vec![format!("days={}", 10 * (i + 1)).parse().unwrap()])
        .collect();
    store
        .create_job(
            NewJob {
                budget: None,
                size_key: None,
                size_origin: fredbatch_core::SizeOrigin::Given,
                name: "model".into(),
                model_dir: "/models/model".into(),
                program: "main.fred".into(),
                params: vec![],
                configs: NewConfig::each(configs, runs),
                resources: Resources::LOCAL_DEFAULT,
                max_attempts: 3,
                attempt_timeout_seconds: 3600,
                retry_policy: Default::default(),
                backend: fredbatch_core::BackendTarget::Local,
                created_at: Utc::now(),
                first_run_checks: false,
                reuse: true,
            },
            |id| format!("job-{id}"),
        )
        .await
        .unwrap()
}

/// What a worker does for a run that succeeds: start an attempt and commit its result.
async fn commit_success(store: &Store, run: &fredbatch_core::Run, backend: &BackendJobId) {
    let BeginAttempt::Started { number } = store
        .begin_attempt(run.id, Some(backend), None, Utc::now())
        .await
        .unwrap()
    else {
        panic!("the attempt should start");
    };
    store
        .finish_attempt(
            run.id,
            number,
            &AttemptEnd {
                status: AttemptStatus::Succeeded,
                reason: None,
                exit_code: Some(0),
                finished_at: Utc::now(),
                measurements: Some(Measurements::default()),
                results_key: Some(format!(
                    "job-{}/run-{}/attempt-{number}",
                    run.job_id, run.run_number
                )),
                warnings: Vec::new(),
                inputs: None,
            },
        )
        .await
        .unwrap();
}

fn backend_ids(runs: &[fredbatch_core::Run]) -> Vec<BackendJobId> {
    runs.iter()
        .map(|r| r.backend_job_id.clone().expect("submitted"))
        .collect()
}

#[tokio::test]
async fn a_whole_sweep_goes_to_the_backend_in_one_call_and_is_described_in_one_call() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(1000);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 4, 2500).await;
    assert_eq!(supervisor.submit(&job).await.unwrap(), 10_000);
    let runs = store.runs(job.id).await.unwrap();
    assert!(runs.iter().all(|r| r.backend_job_id.is_some()));
    assert_eq!(
        (
            runs[2500].config,
            runs[2500].replicate,
            runs[2500].run_number
        ),
        (2, 1, 2501),
        "replicate r of every configuration is FRED run r"
    );
    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    runner.with(|m| {
        assert_eq!(m.submit_calls, [10_000]);
        assert_eq!(m.describe_calls.last(), Some(&10_000));
    });
}

#[tokio::test]
async fn every_part_the_backend_accepted_is_recorded_before_a_failure() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(3);
    runner.with(|m| m.fail_after_parts = Some(2));
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 10).await;
    let error = supervisor.submit(&job).await.unwrap_err();
    assert!(
        error.to_string().contains("submitting runs failed"),
        "{error}"
    );
    let recorded = store
        .runs(job.id)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.backend_job_id.is_some())
        .count();
    assert_eq!(recorded, 6, "the two accepted parts are in the store");

    // Resuming submits the rest; what the backend holds is found again, not sent twice.
    runner.with(|m| m.fail_after_parts = None);
    assert_eq!(supervisor.submit(&job).await.unwrap(), 4);
    assert_eq!(runner.with(|m| m.jobs.len()), 10);
    assert_eq!(supervisor.submit(&job).await.unwrap(), 0);
}

#[tokio::test]
async fn runs_the_backend_forgot_end_in_error_after_several_ticks() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(100);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 2).await;
    supervisor.submit(&job).await.unwrap();
    let ids = backend_ids(&store.runs(job.id).await.unwrap());
    runner.forget(&ids[0]);
    let mut watch = supervisor.watch(&job).await.unwrap();
    for _ in 1..LOST_AFTER {
        supervisor.tick(&mut watch).await.unwrap();
    }
    assert_eq!(
        store.runs(job.id).await.unwrap()[0].status,
        RunStatus::Queued
    );
    supervisor.tick(&mut watch).await.unwrap();
    let runs = store.runs(job.id).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Error);
    assert!(
        runs[0]
            .status_reason
            .as_deref()
            .unwrap()
            .contains("no longer knows")
    );
    assert_eq!(
        runs[1].status,
        RunStatus::Queued,
        "the other run is untouched"
    );
    assert_eq!(watch.counts.error, 1);
}

#[tokio::test]
async fn cancellations_are_forwarded_once_and_end_cancelled() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(100);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 2).await;
    supervisor.submit(&job).await.unwrap();
    let mut watch = supervisor.watch(&job).await.unwrap();
    let ids = backend_ids(&store.runs(job.id).await.unwrap());
    runner.set_state(&ids[0], BackendState::Running, None);
    runner.set_state(&ids[1], BackendState::Running, None);

    // The backend is down: the request is kept and sent again next tick.
    store.request_cancel(job.id, None).await.unwrap();
    runner.with(|m| m.fail_cancel = true);
    assert!(supervisor.tick(&mut watch).await.is_err());
    runner.with(|m| m.fail_cancel = false);
    supervisor.tick(&mut watch).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    assert_eq!(runner.with(|m| m.cancelled.len()), 2, "once per run");
    assert!(watch.is_finished());
    let runs = store.runs(job.id).await.unwrap();
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Cancelled),
        "{runs:?}"
    );
}

#[tokio::test]
async fn a_cancel_without_a_watch_tells_the_backend_at_once_and_ends_unsubmitted_runs() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(1);
    runner.with(|m| m.fail_after_parts = Some(1));
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 2).await;
    supervisor.submit(&job).await.unwrap_err();
    let targets = store.request_cancel(job.id, None).await.unwrap();
    let submitted = targets[0]
        .backend_job_id
        .clone()
        .expect("the first part landed");
    assert_eq!(targets[1].backend_job_id, None);

    supervisor.forward_cancellations(&targets).await.unwrap();
    assert_eq!(runner.with(|m| m.cancelled.clone()), [submitted]);
    let runs = store.runs(job.id).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Queued, RunStatus::Cancelled],
        "the submitted run ends when its backend says so; the other at once"
    );
}

#[tokio::test]
async fn a_cancelled_run_that_was_never_submitted_ends_without_the_backend() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(100);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 3).await;
    store.request_cancel(job.id, None).await.unwrap();
    assert_eq!(supervisor.submit(&job).await.unwrap(), 0);
    assert!(runner.with(|m| m.submit_calls.is_empty()));
    let counts = store.status_counts(job.id).await.unwrap();
    assert_eq!(counts.cancelled, 3);
}

#[tokio::test]
async fn a_committed_run_stays_done_when_a_stale_attempt_fails_late() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(100);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 1).await;
    supervisor.submit(&job).await.unwrap();
    let run = store.runs(job.id).await.unwrap().remove(0);
    let backend = run.backend_job_id.clone().unwrap();
    // Watched while open; the worker then commits behind the watch's back.
    let mut watch = supervisor.watch(&job).await.unwrap();
    commit_success(&store, &run, &backend).await;
    // The backend then says the job failed (an orphaned attempt killed later).
    runner.set_state(&backend, BackendState::Failed, Some("Host memory: killed"));
    supervisor.tick(&mut watch).await.unwrap();
    let run = store.run(run.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.backend_state, Some(BackendState::Failed));
    assert!(watch.is_finished());
}

#[tokio::test]
async fn a_failing_backend_writes_nothing_and_the_next_tick_recovers() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::with_parts(100);
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let job = job(&store, 1, 2).await;
    supervisor.submit(&job).await.unwrap();
    let ids = backend_ids(&store.runs(job.id).await.unwrap());
    let mut watch = supervisor.watch(&job).await.unwrap();
    runner.set_state(&ids[0], BackendState::Running, None);
    runner.with(|m| m.fail_describe = true);
    for _ in 0..LOST_AFTER + 1 {
        let error = supervisor.tick(&mut watch).await.unwrap_err();
        assert!(error.to_string().contains("slow down"), "{error}");
    }
    let runs = store.runs(job.id).await.unwrap();
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Queued),
        "an unreachable backend loses no run: {runs:?}"
    );
    runner.with(|m| m.fail_describe = false);
    supervisor.tick(&mut watch).await.unwrap();
    assert_eq!(
        store.run(runs[0].id).await.unwrap().status,
        RunStatus::Running
    );
    assert_eq!(watch.counts.running, 1);
}

#[tokio::test]
async fn resuming_on_a_backend_that_lost_everything_submits_open_runs_again() {
    let (_dir, store) = store().await;
    let first = MemoryRunner::with_parts(100);
    let job = job(&store, 2, 2).await;
    Supervisor::new(store.clone(), first.clone())
        .submit(&job)
        .await
        .unwrap();
    let ids = backend_ids(&store.runs(job.id).await.unwrap());
    first.set_state(&ids[0], BackendState::Succeeded, None);
    // The first run is committed as DONE by its worker; the process running the rest dies.
    let run = store.runs(job.id).await.unwrap().remove(0);
    commit_success(&store, &run, &ids[0]).await;
    let second = MemoryRunner::with_parts(100);
    let resumed = Supervisor::new(store.clone(), second.clone());
    assert_eq!(resumed.submit(&job).await.unwrap(), 3);
    assert_eq!(second.with(|m| m.submit_calls.clone()), [3]);
    let runs = store.runs(job.id).await.unwrap();
    assert_eq!(
        runs[0].status,
        RunStatus::Done,
        "a finished run never runs again"
    );
    assert!(runs[1..].iter().all(|r| {
        r.backend_job_id
            .as_ref()
            .is_some_and(|id| !ids.contains(id))
    }));
}
