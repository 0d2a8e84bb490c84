//! Runs sent again at another size: each attempt keeps the size it ran with, and the new
//! backend job's attempts are numbered after the earlier ones.

use chrono::Utc;
use fredbatch_core::{
    AttemptStatus, BackendAttempt, BackendJob, BackendJobId, BackendState, FailureClass, Resources,
    RunSize, RunStatus,
};
use fredbatch_store::{BeginAttempt, Store};

use super::{end, new_job};

fn out_of_memory(id: &str) -> BackendJob {
    BackendJob {
        id: BackendJobId::from(id),
        name: "fred-job-1-run-1".into(),
        state: BackendState::Failed,
        status_reason: None,
        attempts: vec![BackendAttempt {
            exit_code: Some(137),
            // AWS's words: the class is in the container's reason, not the status reason.
            status_reason: Some("Essential container in task exited".into()),
            reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
            started_at: Some(Utc::now()),
            stopped_at: Some(Utc::now()),
            log_ref: None,
        }],
        started_at: None,
        stopped_at: None,
    }
}

pub async fn requeued_runs_keep_each_attempts_size_and_number_on(store: Store) {
    let job = store
        .create_job(new_job(2), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let runs = store.runs(job.id).await.unwrap();
    let (grown, done) = (runs[0].id, runs[1].id);
    assert_eq!(runs[0].size, None, "a new run has its job's size");
    // Attempt 1 died of its memory before its worker could record anything.
    store
        .record_backend_attempts(&[(grown, &out_of_memory("b-1"))])
        .await
        .unwrap();
    let bigger = RunSize {
        resources: Resources {
            vcpus: 1,
            memory_mb: 4096,
        },
        timeout_seconds: 4 * 3600,
    };
    assert!(store.requeue_resized(grown, &bigger).await.unwrap());
    let run = store.run(grown).await.unwrap();
    assert_eq!(
        (run.status, run.size, run.retries, run.backend_job_id),
        (RunStatus::Queued, Some(bigger), 1, None)
    );
    assert_eq!(
        run.status_reason, None,
        "the next attempt's end is told in its own words"
    );
    // The new backend job's first attempt is the run's second, for its worker and its backend.
    let begun = store
        .begin_attempt(grown, Some(&BackendJobId::from("b-2")), Some(1), Utc::now())
        .await
        .unwrap();
    assert_eq!(begun, BeginAttempt::Started { number: 2 });
    store
        .record_backend_attempts(&[(grown, &out_of_memory("b-2"))])
        .await
        .unwrap();
    let attempts = store.attempts(grown).await.unwrap();
    let sizes: Vec<u64> = attempts
        .iter()
        .map(|a| a.size.unwrap().resources.memory_mb)
        .collect();
    assert_eq!(sizes, [2048, 4096]);
    assert_eq!(attempts[0].failure(), Some(FailureClass::OutOfMemory));
    assert_eq!(attempts[1].failure(), Some(FailureClass::OutOfMemory));
    assert_eq!(attempts[0].size.unwrap().timeout_seconds, 4 * 3600);

    // A run that ended meanwhile is not sent again.
    store
        .begin_attempt(done, None, None, Utc::now())
        .await
        .unwrap();
    store
        .finish_attempt(done, 1, &end(AttemptStatus::Succeeded, None))
        .await
        .unwrap();
    assert!(!store.requeue_resized(done, &bigger).await.unwrap());
    assert_eq!(store.run(done).await.unwrap().status, RunStatus::Done);
}
