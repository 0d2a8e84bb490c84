use std::time::Duration;

use fredbatch_core::{BackendState, IgnoreProgress, LogRequest, SimulationRunner};
use fredbatch_slurm::SlurmRunner;

use crate::support::*;

#[tokio::test]
async fn contiguous_runs_go_out_as_arrays_one_sbatch_each_and_progress_hears_each() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &worker(dir.path(), "exit 0"));
    config.max_array_size = Some(3);
    let runner = SlurmRunner::new(config);
    let job = job_id();
    let runs = runs(job, 1..=7);
    let progress = Recorder::default();
    let ids = runner
        .submit(&spec(job, 1, 1), &runs, &progress)
        .await
        .unwrap();
    assert_eq!(runner.calls().sbatch, 3, "runs 1-3, 4-6, then 7 alone");
    let parts = progress.parts();
    assert_eq!(parts.len(), 3, "progress hears each sbatch: {parts:?}");
    let reported: Vec<_> = parts.concat();
    assert_eq!(
        reported,
        runs.iter()
            .map(|r| r.run_id)
            .zip(ids.iter().cloned())
            .collect::<Vec<_>>()
    );
    let first_array = ids[0].0.split('_').next().unwrap().to_owned();
    assert_eq!(ids[2].0, format!("{first_array}_2"));
    assert!(ids[3].0.ends_with("_0") && !ids[3].0.starts_with(&format!("{first_array}_")));
    assert!(
        !ids[6].0.contains('_'),
        "a lone run is a plain job: {}",
        ids[6]
    );

    let before = runner.calls();
    let jobs = wait_final(&runner, &ids, Duration::from_secs(60)).await;
    let after = runner.calls();
    for (run, id) in runs.iter().zip(&ids) {
        let job = &jobs[id];
        assert_eq!(job.state, BackendState::Succeeded, "{job:#?}");
        assert_eq!(job.name, run.name, "the run's natural key");
        assert_eq!(job.attempts.len(), 1);
        assert_eq!(job.attempts[0].exit_code, Some(0));
        let page = runner
            .logs(
                id,
                &LogRequest {
                    limit: 10,
                    ..LogRequest::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            page.lines,
            [format!("run {} backend {id} attempt 1", run.run_number)],
            "each task ran its own run and knew its backend id"
        );
    }
    assert!(after.squeue > before.squeue);
    runner.describe(&ids).await.unwrap();
    assert_eq!(
        runner.calls().squeue,
        after.squeue + 1,
        "one squeue for every run at once"
    );
    assert_eq!(after.sbatch, before.sbatch, "describing submits nothing");
    assert_eq!(
        after.scontrol + after.sinfo + after.scancel,
        before.scontrol + before.sinfo + before.scancel,
        "one squeue per describe, nothing else"
    );
}

#[tokio::test]
async fn a_submission_repeated_after_a_crash_sends_nothing_twice() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let program = worker(dir.path(), "exit 0");
    let job = job_id();
    let spec = spec(job, 1, 1);
    let all = runs(job, 1..=6);
    // The first process sent runs 1-3 and 5, then died.
    let first = SlurmRunner::new(config(dir.path(), &program));
    let mut sent = first
        .submit(&spec, &all[..3], &IgnoreProgress)
        .await
        .unwrap();
    sent.extend(
        first
            .submit(&spec, &all[4..5], &IgnoreProgress)
            .await
            .unwrap(),
    );
    // The next one is asked for everything again.
    let second = SlurmRunner::new(config(dir.path(), &program));
    let progress = Recorder::default();
    let ids = second.submit(&spec, &all, &progress).await.unwrap();
    assert_eq!(&ids[..3], &sent[..3]);
    assert_eq!(ids[4], sent[3]);
    assert_eq!(
        second.calls().sbatch,
        2,
        "only run 4 and run 6 are sent, each alone: {ids:?}"
    );
    let parts = progress.parts();
    assert_eq!(parts[0].len(), 4, "the runs found again are reported first");
    let again = SlurmRunner::new(config(dir.path(), &program));
    assert_eq!(
        again.submit(&spec, &all, &IgnoreProgress).await.unwrap(),
        ids
    );
    assert_eq!(again.calls().sbatch, 0);
    wait_final(&second, &ids, Duration::from_secs(60)).await;
}
