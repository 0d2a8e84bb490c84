//! Runs held back for others, against an in-memory backend over a real SQLite store: a first
//! wave measures the size the rest go out at; a budget in dollars lets start only the runs it
//! covers and ends the others CANCELLED.

use chrono::{Duration, Utc};
use fredbatch_core::budget::BUDGET_REACHED;
use fredbatch_core::model::Measurements;
use fredbatch_core::sizing::LearnedFrom;
use fredbatch_core::{AttemptStatus, BackendState, Budget, Job, Resources, RunStatus, SizeOrigin};
use fredbatch_cost::spend::Meter;
use fredbatch_store::{AttemptEnd, BeginAttempt, NewConfig, NewJob, Store};
use fredbatch_supervisor::Supervisor;
use fredbatch_supervisor::testing::MemoryRunner;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    (dir, store)
}

async fn job(
    store: &Store,
    runs: u32,
    resources: Resources,
    size_origin: SizeOrigin,
    budget: Option<Budget>,
) -> Job {
    store
        .create_job(
            NewJob {
                name: "model".into(),
                model_dir: "/models/model".into(),
                program: "main.fred".into(),
                params: vec![],
                configs: NewConfig::each(vec![vec![]], runs),
                resources,
                max_attempts: 3,
                attempt_timeout_seconds: 3600,
                retry_policy: Default::default(),
                backend: fredbatch_core::BackendTarget::Local,
                created_at: Utc::now(),
                first_run_checks: false,
                reuse: true,
                size_origin,
                size_key: Some("the model".into()),
                budget,
            },
            |id| format!("job-{id}"),
        )
        .await
        .unwrap()
}

/// Every submitted, open run of `job` ran for `took` with `peak_mib` and succeeded, as its
/// worker and the backend say.
async fn succeed_submitted(
    store: &Store,
    runner: &MemoryRunner,
    job: &Job,
    took: Duration,
    peak_mib: u64,
) -> usize {
    let mut ended = 0;
    for run in store.open_runs(job.id).await.unwrap() {
        let Some(backend) = run.backend_job_id.clone() else {
            continue;
        };
        let finished = Utc::now();
        let BeginAttempt::Started { number } = store
            .begin_attempt(run.id, Some(&backend), None, finished - took)
            .await
            .unwrap()
        else {
            panic!("the attempt should start");
        };
        let end = AttemptEnd {
            status: AttemptStatus::Succeeded,
            reason: None,
            exit_code: Some(0),
            finished_at: finished,
            measurements: Some(Measurements {
                wall_seconds: took.num_seconds() as f64,
                cpu_seconds: took.num_seconds() as f64 * 0.97,
                peak_rss_kb: peak_mib * 1024,
                output_bytes: 0,
            }),
            results_key: Some(format!("job-{}/run-{}", job.id, run.run_number)),
            warnings: Vec::new(),
            inputs: None,
        };
        store.finish_attempt(run.id, number, &end).await.unwrap();
        runner.set_state(&backend, BackendState::Succeeded, None);
        ended += 1;
    }
    ended
}

/// Watches `job` until every submitted run ended.
async fn settle(supervisor: &Supervisor, job: &Job) {
    let mut watch = supervisor.watch(job).await.unwrap();
    while !watch.is_finished() {
        supervisor.tick(&mut watch).await.unwrap();
    }
}

#[tokio::test]
async fn the_first_wave_holds_the_rest_until_its_measure_sizes_them() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::new();
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let default = Resources::LOCAL_DEFAULT;
    let job = job(&store, 5, default, SizeOrigin::Measuring { wave: 2 }, None).await;

    assert_eq!(supervisor.submit(&job).await.unwrap(), 2, "the wave alone");
    assert_eq!(
        supervisor.submit(&job).await.unwrap(),
        0,
        "the rest wait for it"
    );
    assert_eq!(
        succeed_submitted(&store, &runner, &job, Duration::seconds(10), 300).await,
        2
    );
    settle(&supervisor, &job).await;
    assert_eq!(
        supervisor.submit(&job).await.unwrap(),
        3,
        "the rest, once measured"
    );

    let learned = store.job(job.id).await.unwrap();
    assert_eq!(
        learned.resources,
        Resources {
            vcpus: 1,
            memory_mb: 512
        },
        "300 MiB + 25%, rounded up to 256 MB"
    );
    let SizeOrigin::Learned {
        from: LearnedFrom::FirstWave { wave, measured_at },
        fit,
    } = learned.size_origin
    else {
        panic!("learned from the wave: {:?}", learned.size_origin);
    };
    assert_eq!((wave, measured_at, fit.runs), (2, default, 2));
    let runs = store.runs(job.id).await.unwrap();
    assert_eq!(
        learned.run_size(&runs[0]).0,
        default,
        "run 1 ran in the wave"
    );
    assert_eq!(learned.run_size(&runs[4]).0.memory_mb, 512);
    runner.with(|m| assert_eq!(m.submit_calls, [2, 3]));
}

#[tokio::test]
async fn a_dollar_budget_starts_only_the_runs_it_covers_and_cancels_the_rest() {
    let (_dir, store) = store().await;
    let runner = MemoryRunner::new();
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let size = Resources {
        vcpus: 1,
        memory_mb: 512,
    };
    // Room for two and a half runs of an hour each.
    let hour = Meter::new(Budget::Usd(1.0)).cost(&size, 3600.0);
    let budget = Budget::Usd(hour * 2.5);
    let job = job(&store, 10, size, SizeOrigin::Given, Some(budget)).await;

    assert_eq!(
        supervisor.submit(&job).await.unwrap(),
        1,
        "nothing known of a run's cost: one at a time"
    );
    succeed_submitted(&store, &runner, &job, Duration::hours(1), 100).await;
    settle(&supervisor, &job).await;
    assert_eq!(
        supervisor.submit(&job).await.unwrap(),
        1,
        "one hour spent, room for one more"
    );
    succeed_submitted(&store, &runner, &job, Duration::hours(1), 100).await;
    settle(&supervisor, &job).await;
    assert_eq!(supervisor.submit(&job).await.unwrap(), 0, "half a run left");

    let runs = store.runs(job.id).await.unwrap();
    let done = runs.iter().filter(|r| r.status == RunStatus::Done).count();
    assert_eq!(done, 2);
    for run in runs.iter().filter(|r| r.status != RunStatus::Done) {
        assert_eq!(run.status, RunStatus::Cancelled, "{run:?}");
        assert_eq!(run.status_reason.as_deref(), Some(BUDGET_REACHED));
        assert_eq!(run.attempts, 0);
    }
}
