use std::time::Duration;

use fredbatch_core::sync::TIMEOUT_REASON;
use fredbatch_core::{BackendJobId, BackendState, IgnoreProgress, LogRequest, SimulationRunner};
use fredbatch_slurm::SlurmRunner;

use crate::support::*;

#[tokio::test]
async fn completed_and_failed_runs() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let program = worker(
        dir.path(),
        r#"echo "FRED said no" >&2; [ "$run" = 1 ] || exit 3"#,
    );
    let runner = SlurmRunner::new(config(dir.path(), &program));
    let job = job_id();
    let ids = runner
        .submit(&spec(job, 1, 3), &runs(job, 1..=2), &IgnoreProgress)
        .await
        .unwrap();
    let jobs = wait_final(&runner, &ids, Duration::from_secs(60)).await;
    let done = &jobs[&ids[0]];
    assert_eq!(done.state, BackendState::Succeeded);
    assert!(done.started_at.is_some() && done.stopped_at.is_some());
    let failed = &jobs[&ids[1]];
    assert_eq!(failed.state, BackendState::Failed, "{failed:#?}");
    assert_eq!(
        failed.status_reason.as_deref(),
        Some("the worker failed (exit code 3)")
    );
    assert_eq!(failed.attempts.len(), 1, "a failure is not an interruption");
    assert_eq!(failed.attempts[0].exit_code, Some(3));
    let log = failed.attempts[0].log_ref.clone().unwrap();
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("FRED said no")
    );
    let tail = runner
        .logs(
            &ids[1],
            &LogRequest {
                limit: 1,
                tail: true,
                ..LogRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tail.lines, ["FRED said no"], "stderr goes to the same log");
    assert_eq!(tail.attempt, Some(1));
}

/// Slurm's limits have one-minute granularity and are checked every 30 s or so: this takes
/// about 90 s.
#[tokio::test]
async fn a_run_past_its_time_limit_fails_as_a_timeout() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let runner = SlurmRunner::new(config(dir.path(), &worker(dir.path(), "exec sleep 600")));
    let job = job_id();
    let mut spec = spec(job, 1, 3);
    spec.attempt_timeout = Duration::from_secs(20);
    let ids = runner
        .submit(&spec, &runs(job, 1..=1), &IgnoreProgress)
        .await
        .unwrap();
    let jobs = wait_final(&runner, &ids, Duration::from_secs(180)).await;
    let timed_out = &jobs[&ids[0]];
    assert_eq!(timed_out.state, BackendState::Failed);
    let reason = timed_out.status_reason.clone().unwrap();
    assert!(reason.starts_with(TIMEOUT_REASON), "{reason}");
    assert!(
        reason.contains("1 min"),
        "20 s rounds up to Slurm's minute: {reason}"
    );
    assert_eq!(timed_out.attempts.len(), 1, "a timeout is never retried");
}

/// slurmctld forgets finished jobs after `MinJobAge`; the job-completion log still has them.
#[tokio::test]
async fn jobs_slurmctld_forgot_are_read_from_the_completion_log() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let job = job_id();
    let log = dir.path().join("jobcomp.log");
    // Ids far above any this cluster has given out, as a past cluster's would be.
    std::fs::write(
        &log,
        format!(
            "JobId=900000001 UserId=root(0) Name=fred-job-{job}-runs-1-2 JobState=COMPLETED \
             Partition=fredbatch TimeLimit=10 StartTime=2026-01-01T10:00:00 \
             EndTime=2026-01-01T10:05:00 NodeList=localhost ArrayJobId=900000000 ArrayTaskId=1 \
             ExitCode=0:0\n\
             JobId=900000002 UserId=root(0) Name=fred-job-{job}-run-3 JobState=FAILED \
             TimeLimit=10 StartTime=2026-01-01T10:00:00 EndTime=2026-01-01T10:01:00 \
             NodeList=localhost ExitCode=2:0\n"
        ),
    )
    .unwrap();
    let mut config = config(dir.path(), &worker(dir.path(), "exit 0"));
    config.jobcomp_log = Some(log);
    let runner = SlurmRunner::new(config);
    let ids: Vec<BackendJobId> = ["900000000_1", "900000002", "900000000_0"]
        .map(BackendJobId::from)
        .into();
    let jobs = runner.describe(&ids).await.unwrap();
    let done = &jobs[&ids[0]];
    assert_eq!(done.state, BackendState::Succeeded);
    assert_eq!(
        done.name,
        format!("fred-job-{job}-run-2"),
        "task 1 holds run 2"
    );
    assert!(done.stopped_at.is_some());
    let failed = &jobs[&ids[1]];
    assert_eq!(failed.state, BackendState::Failed);
    assert_eq!(failed.attempts[0].exit_code, Some(2));
    assert!(!jobs.contains_key(&ids[2]), "unknown everywhere: absent");
    assert_eq!(runner.calls().squeue, 1);
}
