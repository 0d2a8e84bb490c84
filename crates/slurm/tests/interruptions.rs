//! NODE_FAIL and PREEMPTED: host interruptions, retried by the backend up to the run's
//! attempts. These tests take the whole node (they end every job on it).

use std::time::Duration;

use fredbatch_core::sync::CANCELLED_REASON;
use fredbatch_core::{BackendState, IgnoreProgress, SimulationRunner};
use fredbatch_slurm::SlurmRunner;

use crate::support::*;

/// Attempt 1 runs until it is interrupted; later attempts succeed.
const FIRST_ATTEMPT_HANGS: &str = r#"[ "$FREDBATCH_ATTEMPT" = 1 ] && exec sleep 600; exit 0"#;

#[tokio::test]
async fn a_node_failure_is_an_interruption_retried_while_attempts_remain() {
    let _node = whole_node();
    let dir = tempfile::tempdir().unwrap();
    let (once, twice, cancelled) = (job_id(), job_id(), job_id());
    // Every attempt of `cancelled` hangs, so it is still being retried when it is cancelled.
    let body = format!(
        r#"[ "$FREDBATCH_ATTEMPT" = 1 ] || [ "$job" = {cancelled} ] && exec sleep 600; exit 0"#
    );
    let runner = SlurmRunner::new(config(dir.path(), &worker(dir.path(), &body)));
    let mut ids = runner
        .submit(&spec(once, 1, 1), &runs(once, 1..=1), &IgnoreProgress)
        .await
        .unwrap();
    ids.extend(
        runner
            .submit(&spec(twice, 1, 2), &runs(twice, 1..=1), &IgnoreProgress)
            .await
            .unwrap(),
    );
    ids.extend(
        runner
            .submit(
                &spec(cancelled, 1, 3),
                &runs(cancelled, 1..=1),
                &IgnoreProgress,
            )
            .await
            .unwrap(),
    );
    wait_for(&runner, &ids, Duration::from_secs(30), |job| {
        job.state == BackendState::Running
    })
    .await;
    let down = NodeDown::set("fredbatch-test");
    let jobs = wait_for(&runner, &ids, Duration::from_secs(30), |job| {
        job.attempts
            .first()
            .and_then(|a| a.status_reason.as_deref())
            .is_some_and(|r| r.contains("NODE_FAIL"))
    })
    .await;
    let last_attempt = &jobs[&ids[0]];
    assert_eq!(
        last_attempt.state,
        BackendState::Failed,
        "{last_attempt:#?}"
    );
    assert_eq!(
        last_attempt.status_reason.as_deref(),
        Some("Host slurm: node localhost failed (NODE_FAIL)")
    );
    // The node may be back already (ReturnToService=2) and the next attempts running.
    for id in &ids[1..] {
        assert!(!jobs[id].state.is_final(), "being retried: {:#?}", jobs[id]);
        assert!(
            jobs[id]
                .status_reason
                .as_deref()
                .unwrap_or("")
                .contains("NODE_FAIL")
                || jobs[id].state == BackendState::Running,
            "{:#?}",
            jobs[id]
        );
    }
    // Cancelled while being retried: the next attempt is cancelled too, and no other is sent.
    runner.cancel(&ids[2], CANCELLED_REASON).await.unwrap();
    let jobs = runner.describe(&ids[2..]).await.unwrap();
    assert_eq!(
        jobs[&ids[2]].state,
        BackendState::Failed,
        "{:#?}",
        jobs[&ids[2]]
    );
    assert_eq!(
        jobs[&ids[2]].status_reason.as_deref(),
        Some(CANCELLED_REASON)
    );
    drop(down);

    let jobs = wait_final(&runner, &ids[1..], Duration::from_secs(60)).await;
    let retried = &jobs[&ids[1]];
    assert_eq!(retried.state, BackendState::Succeeded, "{retried:#?}");
    assert_eq!(retried.attempts.len(), 2);
    assert!(
        retried.attempts[0]
            .status_reason
            .as_deref()
            .unwrap()
            .starts_with("Host slurm")
    );
    assert!(
        std::fs::read_to_string(retried.attempts[1].log_ref.as_ref().unwrap())
            .unwrap()
            .contains(&format!("backend {} attempt 2", ids[1])),
        "attempt 2 ran under the run's own backend id"
    );
    // Describing again sends nothing more.
    let sent = runner.calls().sbatch;
    let jobs = runner.describe(&ids).await.unwrap();
    assert_eq!(runner.calls().sbatch, sent);
    assert_eq!(jobs[&ids[2]].state, BackendState::Failed);
    assert!(jobs[&ids[2]].attempts.len() <= 2, "{:#?}", jobs[&ids[2]]);
}

#[tokio::test]
async fn a_preempted_run_is_retried_as_a_new_attempt() {
    let _node = whole_node();
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let runner = SlurmRunner::new(config(dir.path(), &worker(dir.path(), FIRST_ATTEMPT_HANGS)));
    let job = job_id();
    // The run takes the whole node, so a high-priority job can only start by preempting it.
    let ids = runner
        .submit(
            &spec(job, cluster.cpus, 3),
            &runs(job, 1..=1),
            &IgnoreProgress,
        )
        .await
        .unwrap();
    wait_for(&runner, &ids, Duration::from_secs(30), |job| {
        job.state == BackendState::Running
    })
    .await;
    slurm(
        "sbatch",
        &[
            "--parsable",
            &format!("--partition={}", cluster.high_partition),
            &format!("--cpus-per-task={}", cluster.cpus),
            "--mem=100M",
            "--output=/dev/null",
            "--wrap=sleep 1",
        ],
    );
    let jobs = wait_final(&runner, &ids, Duration::from_secs(60)).await;
    let run = &jobs[&ids[0]];
    assert_eq!(run.state, BackendState::Succeeded, "{run:#?}");
    assert_eq!(run.attempts.len(), 2, "{run:#?}");
    let first = run.attempts[0].status_reason.as_deref().unwrap();
    assert!(
        first.starts_with("Host slurm") && first.contains("PREEMPTED"),
        "{first}"
    );
}
