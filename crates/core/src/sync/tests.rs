use super::*;
use crate::ids::{BackendJobId, JobId};
use crate::runner::BackendAttempt;

fn run(status: RunStatus) -> Run {
    Run {
        id: RunId(7),
        job_id: JobId(1),
        run_number: 3,
        config: 1,
        replicate: 3,
        status,
        status_reason: None,
        attempts: 0,
        backend_job_id: Some(BackendJobId::from("b-1")),
        backend_state: Some(BackendState::Submitted),
        cancel_requested: false,
        retries: 0,
        results_key: None,
        started_at: None,
        finished_at: None,
        warnings: Vec::new(),
        fred_run: 1,
        reused_from: None,
    }
}

fn backend(state: BackendState, reasons: &[&str]) -> BackendJob {
    BackendJob {
        id: BackendJobId::from("b-1"),
        name: "fred-job-1-run-3".into(),
        state,
        status_reason: reasons.last().map(|r| r.to_string()),
        attempts: reasons
            .iter()
            .map(|r| BackendAttempt {
                exit_code: None,
                status_reason: Some(r.to_string()),
                reason: None,
                started_at: None,
                stopped_at: None,
                log_ref: None,
            })
            .collect(),
        started_at: None,
        stopped_at: None,
    }
}

#[test]
fn live_states_become_queued_or_running() {
    let now = Utc::now();
    let change = reconcile(
        &run(RunStatus::Queued),
        &backend(BackendState::Running, &[]),
        now,
    );
    assert_eq!(change.unwrap().status, RunStatus::Running);
    let same = reconcile(
        &run(RunStatus::Queued),
        &backend(BackendState::Submitted, &[]),
        now,
    );
    assert_eq!(same, None, "nothing moved, nothing to write");
}

#[test]
fn finished_runs_never_change() {
    let now = Utc::now();
    for status in [RunStatus::Done, RunStatus::Error, RunStatus::Cancelled] {
        assert_eq!(
            reconcile(&run(status), &backend(BackendState::Failed, &[]), now),
            None
        );
    }
}

#[test]
fn failure_shows_freds_reason_recorded_by_the_worker() {
    let mut failed = run(RunStatus::Running);
    failed.status_reason = Some("FRED Error (file main.fred) No locations specified".into());
    let change = reconcile(
        &failed,
        &backend(
            BackendState::Failed,
            &["Essential container in task exited"],
        ),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(change.status, RunStatus::Error);
    assert_eq!(
        change.status_reason.unwrap(),
        "FRED Error (file main.fred) No locations specified"
    );
}

#[test]
fn spot_interruptions_are_explained_in_plain_words() {
    let reason = "Host EC2 (instance i-0abc) terminated.";
    let change = reconcile(
        &run(RunStatus::Running),
        &backend(BackendState::Failed, &[reason, reason, reason]),
        Utc::now(),
    )
    .unwrap();
    let text = change.status_reason.unwrap();
    assert!(text.starts_with("interrupted on all 3 attempts: AWS reclaimed the Spot instance"));
    assert!(text.contains(reason));
    assert_eq!(change.attempts, 3);
}

#[test]
fn timeouts_win_over_the_workers_interruption_note() {
    let mut timed_out = run(RunStatus::Running);
    timed_out.status_reason = Some("interrupted by SIGTERM".into());
    let change = reconcile(
        &timed_out,
        &backend(BackendState::Failed, &[TIMEOUT_REASON]),
        Utc::now(),
    );
    assert!(
        change
            .unwrap()
            .status_reason
            .unwrap()
            .starts_with("timed out")
    );
}

#[test]
fn cancelled_runs_end_cancelled() {
    let mut cancelled = run(RunStatus::Running);
    cancelled.cancel_requested = true;
    let change = reconcile(
        &cancelled,
        &backend(BackendState::Failed, &[CANCELLED_REASON]),
        Utc::now(),
    );
    assert_eq!(change.unwrap().status, RunStatus::Cancelled);
}

#[test]
fn success_without_a_commit_is_an_error() {
    let change = reconcile(
        &run(RunStatus::Running),
        &backend(BackendState::Succeeded, &[]),
        Utc::now(),
    );
    assert_eq!(change.unwrap().status, RunStatus::Error);
}
