use fredbatch_core::{IgnoreProgress, Resources, RunnerError, SimulationRunner};
use fredbatch_slurm::SlurmRunner;

use crate::support::*;

#[tokio::test]
async fn a_run_larger_than_any_node_of_the_partition_is_refused_before_sbatch() {
    let cluster = cluster();
    let dir = tempfile::tempdir().unwrap();
    let runner = SlurmRunner::new(config(dir.path(), &worker(dir.path(), "exit 0")));
    let job = job_id();
    for asked in [
        Resources {
            vcpus: cluster.cpus + 1,
            memory_mb: 100,
        },
        Resources {
            vcpus: 1,
            memory_mb: 100_000_000,
        },
    ] {
        let mut spec = spec(job, 1, 1);
        spec.resources = asked;
        let refused = runner
            .submit(&spec, &runs(job, 1..=2), &IgnoreProgress)
            .await;
        match refused {
            Err(RunnerError::TooLarge {
                asked: what_it_asked,
                available,
                ..
            }) => {
                assert_eq!(what_it_asked, asked);
                assert_eq!(available.vcpus, cluster.cpus);
                assert!(available.memory_mb > 0 && available.memory_mb < 100_000_000);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
    assert_eq!(runner.calls().sbatch, 0, "nothing was sent");
    assert_eq!(
        runner.calls().squeue,
        0,
        "refused before looking for existing runs"
    );
}

#[tokio::test]
async fn an_unknown_partition_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &worker(dir.path(), "exit 0"));
    config.partition = Some("no-such-partition".into());
    let runner = SlurmRunner::new(config);
    let job = job_id();
    let refused = runner
        .submit(&spec(job, 1, 1), &runs(job, 1..=1), &IgnoreProgress)
        .await;
    match refused {
        Err(RunnerError::Rejected { message }) => assert!(message.contains("no-such-partition")),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
