use super::*;

#[test]
fn a_job_without_runs_is_queued_never_done() {
    assert_eq!(StatusCounts::default().job_status(), JobStatus::Queued);
}

#[test]
fn a_job_is_queued_until_a_run_starts_and_done_only_when_all_are() {
    let mut counts = StatusCounts::default();
    counts.add(RunStatus::Queued, 2);
    assert_eq!(counts.job_status(), JobStatus::Queued);
    counts.add(RunStatus::Done, 2);
    assert_eq!(
        counts.job_status(),
        JobStatus::Running,
        "some ended, some wait"
    );
    assert_eq!(counts.summary(), "queued 2 · running 0 · done 2");
    counts.remove(RunStatus::Queued, 2);
    assert_eq!(counts.job_status(), JobStatus::Done);
    counts.add(RunStatus::Running, 1);
    assert_eq!(counts.job_status(), JobStatus::Running);
    let mut ended = StatusCounts::default();
    ended.add(RunStatus::Cancelled, 1);
    assert_eq!(ended.job_status(), JobStatus::Cancelled);
    ended.add(RunStatus::Error, 1);
    assert_eq!(ended.job_status(), JobStatus::Failed);
}
