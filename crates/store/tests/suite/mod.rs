//! The store's behaviour, run against each database (see sqlite.rs and postgres.rs).

use chrono::Utc;
use fredbatch_core::model::Measurements;
use fredbatch_core::sync::RunChange;
use fredbatch_core::{
    AttemptStatus, BackendAttempt, BackendJob, BackendJobId, BackendState, JobId, Resources,
    RunStatus,
};
use fredbatch_store::{
    AttemptEnd, BeginAttempt, CommitOutcome, InputsCheck, LockError, LockHolder, NewApiJob,
    NewApiRun, NewConfig, NewJob, Store, StoreError,
};

/// Every test of the suite, for the backend files to instantiate.
#[macro_export]
macro_rules! store_suite {
    ($open:path) => {
        $crate::store_suite!(@tests $open; jobs_get_sequential_ids_and_numbered_runs, changes_never_overwrite_a_committed_run, one_commit_per_run_even_when_attempts_race, failures_are_recorded_and_cancellation_is_requested_then_applied, concurrent_workers_update_different_runs_of_one_job, the_backends_ended_attempts_fill_in_what_workers_could_not_record, sweeps_keep_each_configuration_and_number_replicates_within_it, api_jobs_take_runs_after_registration_and_keep_requests_verbatim, accounts_are_found_by_token_hash_until_revoked, retries_reset_only_ended_runs_and_inputs_checks_end_unstarted_runs, one_server_holds_the_lock_until_it_is_gone);
    };
    (@tests $open:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_guard, store) = $open().await;
                suite::$name(store).await;
            }
        )*
    };
}

pub fn new_job(runs: u32) -> NewJob {
    NewJob {
        name: "influenza".into(),
        model_dir: "examples/influenza".into(),
        program: "main.fred".into(),
        params: vec!["days=30".parse().unwrap()],
        configs: NewConfig::each(vec![Vec::new()], runs),
        resources: Resources::LOCAL_DEFAULT,
        max_attempts: 3,
        attempt_timeout_seconds: 4 * 3600,
        backend: "local".into(),
        backend_target: Some(r#"{"queue":"fred-q"}"#.into()),
        created_at: Utc::now(),
    }
}

fn end(status: AttemptStatus, reason: Option<&str>) -> AttemptEnd {
    AttemptEnd {
        status,
        reason: reason.map(str::to_owned),
        exit_code: Some(0),
        finished_at: Utc::now(),
        measurements: Some(Measurements {
            wall_seconds: 1.5,
            cpu_seconds: 1.4,
            peak_rss_kb: 137_000,
            output_bytes: 4_900_000,
        }),
        results_key: Some("results/1/1/attempt-1".into()),
    }
}

pub async fn jobs_get_sequential_ids_and_numbered_runs(store: Store) {
    let first = store
        .create_job(new_job(3), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let second = store
        .create_job(new_job(1200), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert_eq!((first.id, second.id), (JobId(1), JobId(2)));
    assert_eq!(second.inputs_key, "jobs/2");
    let runs = store.runs(second.id).await.unwrap();
    assert_eq!(runs.len(), 1200);
    assert_eq!(runs[0].run_number, 1);
    assert_eq!(runs[1199].run_number, 1200);
    assert!(runs.iter().all(|r| r.status == RunStatus::Queued));
    assert_eq!(
        runs[0].id.0, 4,
        "run ids continue after the first job's three"
    );
    let reread = store.job(second.id).await.unwrap();
    assert_eq!(reread, second);
    assert_eq!(store.latest_job().await.unwrap().unwrap().id, second.id);
    assert_eq!(store.status_counts(second.id).await.unwrap().queued, 1200);
    assert!(matches!(
        store.job(JobId(99)).await,
        Err(fredbatch_store::StoreError::NoSuchJob(_))
    ));
}

pub async fn changes_never_overwrite_a_committed_run(store: Store) {
    let job = store
        .create_job(new_job(2), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let runs = store.runs(job.id).await.unwrap();
    store
        .record_submissions(&[
            (runs[0].id, BackendJobId::from("b-1")),
            (runs[1].id, BackendJobId::from("b-2")),
        ])
        .await
        .unwrap();
    let BeginAttempt::Started { number } = store
        .begin_attempt(runs[0].id, None, None, Utc::now())
        .await
        .unwrap()
    else {
        panic!("run is open")
    };
    assert_eq!(
        store
            .finish_attempt(runs[0].id, number, &end(AttemptStatus::Succeeded, None))
            .await
            .unwrap(),
        CommitOutcome::Committed
    );
    let change = |run: &fredbatch_core::Run, status| RunChange {
        run_id: run.id,
        status,
        backend_state: BackendState::Failed,
        status_reason: Some("late news".into()),
        attempts: 1,
        started_at: None,
        finished_at: Some(Utc::now()),
    };
    let changed = store
        .apply_changes(&[
            change(&runs[0], RunStatus::Error),
            change(&runs[1], RunStatus::Error),
        ])
        .await
        .unwrap();
    assert_eq!(changed, 1, "only the open run changes");
    let after = store.runs(job.id).await.unwrap();
    assert_eq!(after[0].status, RunStatus::Done);
    assert_eq!(
        after[0].results_key.as_deref(),
        Some("results/1/1/attempt-1")
    );
    assert_eq!(after[1].status, RunStatus::Error);
    assert_eq!(after[1].status_reason.as_deref(), Some("late news"));
    assert_eq!(after[1].backend_job_id, Some(BackendJobId::from("b-2")));
}

pub async fn one_commit_per_run_even_when_attempts_race(store: Store) {
    let job = store
        .create_job(new_job(1), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let run = store.runs(job.id).await.unwrap()[0].id;
    let a = store
        .begin_attempt(run, None, None, Utc::now())
        .await
        .unwrap();
    let b = store
        .begin_attempt(run, None, None, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (a.clone(), b.clone()),
        (
            BeginAttempt::Started { number: 1 },
            BeginAttempt::Started { number: 2 }
        )
    );
    let success = end(AttemptStatus::Succeeded, None);
    let (first, second) = tokio::join!(
        store.finish_attempt(run, 1, &success),
        store.finish_attempt(run, 2, &success)
    );
    let mut outcomes = [first.unwrap(), second.unwrap()];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        outcomes,
        [CommitOutcome::AlreadyCommitted, CommitOutcome::Committed]
    );
    assert_eq!(
        store
            .begin_attempt(run, None, None, Utc::now())
            .await
            .unwrap(),
        BeginAttempt::AlreadyEnded {
            status: RunStatus::Done
        },
        "a DONE run is not run again"
    );
    let late_failure = store
        .finish_attempt(run, 2, &end(AttemptStatus::Failed, Some("boom")))
        .await
        .unwrap();
    assert_eq!(late_failure, CommitOutcome::Recorded);
    let run_row = store.run(run).await.unwrap();
    assert_eq!(run_row.status, RunStatus::Done);
    assert_eq!(
        run_row.status_reason, None,
        "a later failure does not touch a committed run"
    );
    let attempts = store.attempts(run).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].measurements.unwrap().peak_rss_kb, 137_000);
}

pub async fn failures_are_recorded_and_cancellation_is_requested_then_applied(store: Store) {
    let job = store
        .create_job(new_job(3), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let runs = store.runs(job.id).await.unwrap();
    store
        .begin_attempt(runs[0].id, None, None, Utc::now())
        .await
        .unwrap();
    let outcome = store
        .finish_attempt(
            runs[0].id,
            1,
            &end(
                AttemptStatus::Failed,
                Some("FRED Error (file main.fred) No locations specified"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(outcome, CommitOutcome::Recorded);
    let failed = store.run(runs[0].id).await.unwrap();
    assert_eq!(
        failed.status,
        RunStatus::Running,
        "the backend decides whether to retry"
    );
    assert_eq!(
        failed.status_reason.as_deref(),
        Some("FRED Error (file main.fred) No locations specified")
    );
    // A stale attempt ending after a newer one began (an orphaned worker stopping late)
    // leaves the reason of the newer attempt.
    store
        .begin_attempt(runs[0].id, None, None, Utc::now())
        .await
        .unwrap();
    store
        .finish_attempt(
            runs[0].id,
            2,
            &end(AttemptStatus::Failed, Some("inputs missing")),
        )
        .await
        .unwrap();
    store
        .finish_attempt(
            runs[0].id,
            1,
            &end(AttemptStatus::Interrupted, Some("SIGTERM")),
        )
        .await
        .unwrap();
    let latest = store.run(runs[0].id).await.unwrap();
    assert_eq!(latest.status_reason.as_deref(), Some("inputs missing"));

    let one = store
        .request_cancel(job.id, Some(runs[1].id))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(one[0].cancel_requested);
    let all = store.request_cancel(job.id, None).await.unwrap();
    assert_eq!(all.len(), 3);
    store
        .mark_cancelled(&[runs[1].id, runs[2].id], Utc::now())
        .await
        .unwrap();
    let counts = store.status_counts(job.id).await.unwrap();
    assert_eq!((counts.cancelled, counts.running), (2, 1));
    assert_eq!(store.open_runs(job.id).await.unwrap().len(), 1);
    assert_eq!(
        store
            .begin_attempt(runs[2].id, None, None, Utc::now())
            .await
            .unwrap(),
        BeginAttempt::AlreadyEnded {
            status: RunStatus::Cancelled
        }
    );
}

pub async fn concurrent_workers_update_different_runs_of_one_job(store: Store) {
    let job = store
        .create_job(new_job(24), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let runs = store.runs(job.id).await.unwrap();
    let workers = runs.iter().map(|run| {
        let store = store.clone();
        let run = run.id;
        tokio::spawn(async move {
            let BeginAttempt::Started { number } = store
                .begin_attempt(run, None, None, Utc::now())
                .await
                .unwrap()
            else {
                panic!("open run")
            };
            store
                .finish_attempt(run, number, &end(AttemptStatus::Succeeded, None))
                .await
                .unwrap()
        })
    });
    for worker in workers.collect::<Vec<_>>() {
        assert_eq!(worker.await.unwrap(), CommitOutcome::Committed);
    }
    let counts = store.status_counts(job.id).await.unwrap();
    assert_eq!((counts.done, counts.total()), (24, 24));
}

pub async fn the_backends_ended_attempts_fill_in_what_workers_could_not_record(store: Store) {
    let job = store
        .create_job(new_job(2), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let runs = store.runs(job.id).await.unwrap();
    let (reclaimed, committed) = (runs[0].id, runs[1].id);
    // Run 1: the worker of attempt 1 vanished with its Spot instance; attempt 2's container
    // died before its worker started; attempt 3 is running.
    store
        .begin_attempt(reclaimed, None, Some(1), Utc::now())
        .await
        .unwrap();
    let ended = |reason: &str, exit: Option<i32>, stream: &str| BackendAttempt {
        exit_code: exit,
        status_reason: Some(reason.to_owned()),
        reason: None,
        started_at: Some(Utc::now()),
        stopped_at: Some(Utc::now()),
        log_ref: Some(stream.to_owned()),
    };
    let backend = BackendJob {
        id: BackendJobId::from("b-1"),
        name: "fred-job-1-run-1".into(),
        state: BackendState::Running,
        status_reason: None,
        attempts: vec![
            ended(
                "Host EC2 (instance i-0abc) terminated.",
                None,
                "fred/default/a1",
            ),
            ended(
                "Essential container in task exited",
                Some(137),
                "fred/default/a2",
            ),
            BackendAttempt {
                stopped_at: None,
                ..ended("", None, "fred/default/a3")
            },
        ],
        started_at: None,
        stopped_at: None,
    };
    // Run 2: its worker recorded a success; the backend adds only where the log is.
    store
        .begin_attempt(committed, None, None, Utc::now())
        .await
        .unwrap();
    store
        .finish_attempt(committed, 1, &end(AttemptStatus::Succeeded, None))
        .await
        .unwrap();
    let succeeded = BackendJob {
        id: BackendJobId::from("b-2"),
        attempts: vec![BackendAttempt {
            exit_code: Some(0),
            status_reason: Some("Essential container in task exited".into()),
            ..ended("", Some(0), "fred/default/b1")
        }],
        ..backend.clone()
    };
    for _ in 0..2 {
        // Recording twice changes nothing the first time did not.
        store
            .record_backend_attempts(&[(reclaimed, &backend), (committed, &succeeded)])
            .await
            .unwrap();
    }

    let attempts = store.attempts(reclaimed).await.unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].status, AttemptStatus::Interrupted);
    assert_eq!(
        attempts[0].reason.as_deref(),
        Some("Host EC2 (instance i-0abc) terminated.")
    );
    assert_eq!(attempts[0].log_ref.as_deref(), Some("fred/default/a1"));
    assert!(attempts[0].finished_at.is_some());
    assert_eq!(attempts[1].status, AttemptStatus::Failed);
    assert_eq!(attempts[1].exit_code, Some(137));
    assert_eq!(attempts[1].backend_job_id, Some(BackendJobId::from("b-1")));
    assert_eq!(
        store
            .begin_attempt(reclaimed, None, None, Utc::now())
            .await
            .unwrap(),
        BeginAttempt::Started { number: 3 },
        "the next worker numbers its attempt after the backend's"
    );
    assert_eq!(
        store
            .begin_attempt(reclaimed, None, Some(5), Utc::now())
            .await
            .unwrap(),
        BeginAttempt::Started { number: 5 },
        "the backend's own attempt number wins when higher"
    );

    let kept = store.attempts(committed).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].status,
        AttemptStatus::Succeeded,
        "the worker's record stands"
    );
    assert_eq!(kept[0].reason, None);
    assert_eq!(kept[0].log_ref.as_deref(), Some("fred/default/b1"));
    assert_eq!(store.run(committed).await.unwrap().status, RunStatus::Done);
}

pub async fn sweeps_keep_each_configuration_and_number_replicates_within_it(store: Store) {
    let mut new = new_job(0);
    let configs = vec![
        vec!["INF.transmissibility=1.2".parse().unwrap()],
        vec!["INF.transmissibility=1.5".parse().unwrap()],
        vec!["INF.transmissibility=1.8".parse().unwrap()],
    ];
    new.configs = NewConfig::each(configs.clone(), 2);
    let job = store
        .create_job(new, |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert_eq!((job.run_count, job.config_count), (6, 3));
    assert!(job.is_sweep());
    assert_eq!(
        store.job(job.id).await.unwrap(),
        job,
        "read back as written"
    );
    let stored = store.configs(job.id).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].number, 2);
    assert_eq!(stored[1].params, configs[1]);
    assert_eq!(store.config(job.id, 3).await.unwrap().params, configs[2]);
    assert!(store.config(job.id, 4).await.is_err());
    let runs = store.runs(job.id).await.unwrap();
    let shape: Vec<(u32, u32, u32)> = runs
        .iter()
        .map(|r| (r.run_number, r.config, r.replicate))
        .collect();
    assert_eq!(
        shape,
        [
            (1, 1, 1),
            (2, 1, 2),
            (3, 2, 1),
            (4, 2, 2),
            (5, 3, 1),
            (6, 3, 2)
        ]
    );
    assert_eq!(runs[3].results_dir(true), "config-2/run-2");

    // A job that could not store its inputs leaves nothing, configurations included.
    store.delete_unstarted_job(job.id).await.unwrap();
    assert!(store.configs(job.id).await.unwrap().is_empty());
    let mut empty = new_job(0);
    empty.configs.clear();
    assert!(
        store
            .create_job(empty, |id| format!("jobs/{id}"))
            .await
            .is_err()
    );
}

/// What a database written before sweeps existed must read as once upgraded: its jobs and
/// runs as they were, each job one configuration with no overrides of its own.
pub async fn upgraded_release_reads_as_it_was_written(store: Store) {
    let jobs = store.jobs(10).await.unwrap();
    assert!(!jobs.is_empty(), "the fixture holds jobs");
    for summary in &jobs {
        let job = &summary.job;
        assert_eq!(job.config_count, 1);
        let configs = store.configs(job.id).await.unwrap();
        assert_eq!(configs.len(), 1);
        assert!(configs[0].params.is_empty());
        let runs = store.runs(job.id).await.unwrap();
        assert_eq!(runs.len() as u32, job.run_count);
        for run in &runs {
            assert_eq!((run.config, run.replicate), (1, run.run_number));
        }
        assert_eq!(summary.counts.total(), job.run_count);
    }
    let done = jobs.iter().map(|j| j.counts.done).sum::<u32>();
    assert!(done > 0, "the fixture's finished runs are still DONE");
    // The upgraded database takes new sweeps.
    let mut new = new_job(0);
    new.configs = NewConfig::each(vec![vec!["days=5".parse().unwrap()], vec![]], 2);
    let job = store
        .create_job(new, |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert!(job.id.0 > jobs[0].job.id.0);
    assert_eq!(store.runs(job.id).await.unwrap().len(), 4);
}

fn new_api_job(owner: i64) -> NewApiJob {
    NewApiJob {
        owner,
        tags: vec!["flu".into(), "b".into()],
        resources: Resources::LOCAL_DEFAULT,
        max_attempts: 3,
        attempt_timeout_seconds: 60,
        backend: "local".into(),
        backend_target: None,
        created_at: Utc::now(),
    }
}

fn api_run(seed: u64, request: &str) -> NewApiRun {
    NewApiRun {
        params: vec![format!("seed={seed}").parse().unwrap()],
        request: request.into(),
        seed: Some(seed),
    }
}

pub async fn api_jobs_take_runs_after_registration_and_keep_requests_verbatim(store: Store) {
    let user = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let job = store.register_api_job(new_api_job(user.id)).await.unwrap();
    assert!(job.id.0 > 0);
    assert_eq!((job.run_count, job.config_count), (0, 0));
    assert!(
        store.open_api_jobs().await.unwrap().is_empty(),
        "no runs yet"
    );
    let request = r#"{"jobId": 1,  "fredArgs": [{"flag": "-s", "value": "18446744073709551615"}]}"#;
    let first = store
        .add_runs(
            job.id,
            &[api_run(u64::MAX, request), api_run(3, "{}")],
            Utc::now(),
        )
        .await
        .unwrap();
    let second = store
        .add_runs(job.id, &[api_run(4, "{}")], Utc::now())
        .await
        .unwrap();
    let numbers: Vec<(u32, u32, u32)> = first
        .iter()
        .chain(&second)
        .map(|r| (r.run_number, r.config, r.replicate))
        .collect();
    assert_eq!(numbers, [(1, 1, 1), (2, 2, 1), (3, 3, 1)]);
    let runs = store.api_runs(job.id).await.unwrap();
    assert_eq!(
        runs[0].request.as_deref(),
        Some(request),
        "verbatim, spacing included"
    );
    assert_eq!(runs[0].seed, Some(u64::MAX));
    assert!(
        runs.iter()
            .all(|r| r.created_at.is_some() && r.results_zip.is_none())
    );
    assert_eq!(
        store.config(job.id, 2).await.unwrap().params[0].to_string(),
        "seed = 3"
    );
    let read = store.api_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (read.owner, read.tags.clone(), read.deleted),
        (user.id, vec!["flu".into(), "b".into()], false)
    );
    assert_eq!(read.inputs, InputsCheck::Pending);
    assert_eq!((read.job.run_count, read.job.config_count), (3, 3));
    assert_eq!(store.open_api_jobs().await.unwrap().len(), 1);
    assert!(store.api_job(JobId(999)).await.unwrap().is_none());
    store.delete_api_job(job.id, Utc::now()).await.unwrap();
    assert!(store.api_job(job.id).await.unwrap().unwrap().deleted);
    assert!(store.api_jobs_of(user.id).await.unwrap().is_empty());
    assert_eq!(store.cancel_requests(job.id).await.unwrap().len(), 3);
    assert!(matches!(
        store
            .add_runs(JobId(999), &[api_run(1, "{}")], Utc::now())
            .await,
        Err(StoreError::NoSuchJob(_))
    ));
}

pub async fn accounts_are_found_by_token_hash_until_revoked(store: Store) {
    let alice = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let bob = store.add_user("bob", "hash-b", Utc::now()).await.unwrap();
    assert_ne!(alice.id, bob.id);
    assert!(matches!(
        store.add_user("alice", "hash-c", Utc::now()).await,
        Err(StoreError::UserExists(_))
    ));
    assert_eq!(
        store
            .user_by_token_hash("hash-b")
            .await
            .unwrap()
            .unwrap()
            .name,
        "bob"
    );
    assert!(store.user_by_token_hash("nope").await.unwrap().is_none());
    store.revoke_user("bob", Utc::now()).await.unwrap();
    assert!(store.user_by_token_hash("hash-b").await.unwrap().is_none());
    assert!(matches!(
        store.revoke_user("carol", Utc::now()).await,
        Err(StoreError::NoSuchUser(_))
    ));
    let users = store.users().await.unwrap();
    assert_eq!(users.len(), 2);
    assert!(users[1].revoked_at.is_some());
    // The signing key is made once, whoever asks first.
    let key = store.server_secret("k", || "first".into()).await.unwrap();
    assert_eq!(key, "first");
    assert_eq!(
        store.server_secret("k", || "second".into()).await.unwrap(),
        "first"
    );
}

pub async fn retries_reset_only_ended_runs_and_inputs_checks_end_unstarted_runs(store: Store) {
    let user = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let job = store.register_api_job(new_api_job(user.id)).await.unwrap();
    let runs = store
        .add_runs(job.id, &[api_run(1, "{}"), api_run(2, "{}")], Utc::now())
        .await
        .unwrap();
    store
        .record_inputs_check(job.id, Err("the archive is bad".into()), Utc::now())
        .await
        .unwrap();
    let read = store.api_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        read.inputs,
        InputsCheck::Refused("the archive is bad".into())
    );
    for run in store.runs(job.id).await.unwrap() {
        assert_eq!(run.status, RunStatus::Error);
        assert_eq!(run.status_reason.as_deref(), Some("the archive is bad"));
    }
    let ids: Vec<_> = runs.iter().map(|r| r.id).collect();
    assert_eq!(store.retry_runs(&ids[..1]).await.unwrap(), ids[..1]);
    let retried = store.run(ids[0]).await.unwrap();
    assert_eq!(
        (retried.status, retried.retries, retried.status_reason),
        (RunStatus::Queued, 1, None)
    );
    assert!(
        store.retry_runs(&ids[..1]).await.unwrap().is_empty(),
        "a QUEUED run is left alone"
    );
    let other = store.register_api_job(new_api_job(user.id)).await.unwrap();
    store
        .add_runs(other.id, &[api_run(1, "{}")], Utc::now())
        .await
        .unwrap();
    store
        .record_inputs_check(other.id, Ok(()), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.api_job(other.id).await.unwrap().unwrap().inputs,
        InputsCheck::Passed
    );
    assert_eq!(
        store.runs(other.id).await.unwrap()[0].status,
        RunStatus::Queued
    );
}

pub async fn one_server_holds_the_lock_until_it_is_gone(store: Store) {
    let holder = |name: &str| LockHolder {
        holder: name.into(),
        host: "host-a".into(),
        pid: 42,
        listen: "127.0.0.1:8787".into(),
    };
    let stale = chrono::Duration::seconds(30);
    let now = Utc::now();
    store
        .acquire_server_lock("serve", &holder("first"), stale, |_| false, now)
        .await
        .unwrap();
    let refused = store
        .acquire_server_lock("serve", &holder("second"), stale, |_| false, now)
        .await
        .unwrap_err();
    assert!(matches!(&refused, LockError::Held { holder, .. } if holder.holder == "first"));
    assert!(
        refused
            .to_string()
            .contains("pid 42 on host-a, listening on 127.0.0.1:8787"),
        "{refused}"
    );
    assert!(
        store
            .heartbeat_server_lock("serve", "first", now)
            .await
            .unwrap()
    );
    // A holder that is gone is taken over; a stale heartbeat too.
    store
        .acquire_server_lock(
            "serve",
            &holder("second"),
            stale,
            |h| h.holder == "first",
            now,
        )
        .await
        .unwrap();
    assert!(
        !store
            .heartbeat_server_lock("serve", "first", now)
            .await
            .unwrap()
    );
    let later = now + chrono::Duration::seconds(31);
    store
        .acquire_server_lock("serve", &holder("third"), stale, |_| false, later)
        .await
        .unwrap();
    store.release_server_lock("serve", "third").await.unwrap();
    store
        .acquire_server_lock("serve", &holder("fourth"), stale, |_| false, later)
        .await
        .unwrap();
}
