use std::time::Duration;

use fredbatch_core::sync::CANCELLED_REASON;
use fredbatch_core::{BackendJobId, BackendState, IgnoreProgress, RunnerError, SimulationRunner};
use fredbatch_slurm::SlurmRunner;

use crate::support::*;

#[tokio::test]
async fn cancel_stops_running_and_pending_runs_and_is_confirmed() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let program = worker(dir.path(), "exec sleep 600");
    let runner = SlurmRunner::new(config(dir.path(), &program));
    let mut later = config(dir.path(), &program);
    later.extra_args = vec!["--begin=now+3600".into()];
    let later = SlurmRunner::new(later);
    let job = job_id();
    let spec = spec(job, 1, 3);
    let running = runner
        .submit(&spec, &runs(job, 1..=1), &IgnoreProgress)
        .await
        .unwrap();
    let pending = later
        .submit(&spec, &runs(job, 2..=4), &IgnoreProgress)
        .await
        .unwrap();
    wait_for(&runner, &running, Duration::from_secs(30), |job| {
        job.state == BackendState::Running
    })
    .await;
    let jobs = runner.describe(&pending).await.unwrap();
    assert_eq!(jobs[&pending[1]].state, BackendState::Runnable);
    assert_eq!(
        jobs[&pending[1]].status_reason.as_deref(),
        Some("pending in Slurm (BeginTime)")
    );

    for id in [&running[0], &pending[1]] {
        runner.cancel(id, CANCELLED_REASON).await.unwrap();
    }
    // Confirmed: cancel returned only once Slurm had ended them.
    let jobs = runner
        .describe(&[running.clone(), pending.clone()].concat())
        .await
        .unwrap();
    for id in [&running[0], &pending[1]] {
        assert_eq!(jobs[id].state, BackendState::Failed, "{:#?}", jobs[id]);
        assert_eq!(jobs[id].status_reason.as_deref(), Some(CANCELLED_REASON));
    }
    assert_eq!(
        jobs[&pending[0]].state,
        BackendState::Runnable,
        "its neighbours wait on"
    );
    assert_eq!(jobs[&running[0]].attempts.len(), 1);
    assert!(jobs[&pending[1]].attempts.is_empty(), "it never started");

    runner.cancel(&running[0], "again").await.unwrap();
    let unknown = runner.cancel(&BackendJobId::from("987654321"), "x").await;
    assert!(
        matches!(unknown, Err(RunnerError::UnknownJob(_))),
        "{unknown:?}"
    );
    for id in [&pending[0], &pending[2]] {
        runner.cancel(id, CANCELLED_REASON).await.unwrap();
    }
}
