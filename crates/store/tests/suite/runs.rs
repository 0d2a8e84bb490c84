//! Runs and attempts: applying backend news, committing results once, cancelling, and what
//! the backend knows of attempts the worker could not record.

use chrono::Utc;
use fredbatch_core::sync::RunChange;
use fredbatch_core::{
    AttemptStatus, BackendAttempt, BackendJob, BackendJobId, BackendState, RunStatus,
};
use fredbatch_store::{BeginAttempt, CommitOutcome, Store};

use super::{end, new_job};

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
