use fredbatch_core::{IgnoreProgress, SimulationRunner};
use fredbatch_slurm::SlurmRunner;
use fredbatch_slurm::doctor::NodeKind;

use crate::support::*;

#[tokio::test]
async fn doctor_checks_the_partition_and_groups_pending_runs_by_reason() {
    let _node = shared_node();
    let dir = tempfile::tempdir().unwrap();
    let program = worker(dir.path(), "exit 0");
    let mut later = config(dir.path(), &program);
    later.extra_args = vec!["--begin=now+3600".into()];
    let runner = SlurmRunner::new(later);
    let job = job_id();
    let ids = runner
        .submit(&spec(job, 1, 1), &runs(job, 1..=5), &IgnoreProgress)
        .await
        .unwrap();
    // Slurm gives pending jobs their reason on its next scheduling pass.
    let started = std::time::Instant::now();
    let report = loop {
        let report = runner.doctor(Some(job)).await.unwrap();
        if report.pending.iter().all(|group| group.reason != "None")
            || started.elapsed().as_secs() > 10
        {
            break report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(report.partition.exists);
    assert_eq!(report.partition.state, "UP");
    assert_eq!(report.partition.problem, None);
    assert!(
        report
            .nodes
            .iter()
            .any(|group| group.nodes == ["localhost"] && group.kind != NodeKind::Unavailable),
        "{:?}",
        report.nodes
    );
    assert_eq!(report.pending.len(), 1, "{:?}", report.pending);
    assert_eq!(report.pending[0].reason, "BeginTime");
    assert_eq!(report.pending[0].runs, 5);
    assert!(report.pending[0].advice.contains("start time"));
    for id in &ids {
        runner.cancel(id, "test over").await.unwrap();
    }

    let mut elsewhere = config(dir.path(), &program);
    elsewhere.partition = Some("no-such-partition".into());
    let report = SlurmRunner::new(elsewhere).doctor(None).await.unwrap();
    assert!(!report.partition.exists);
    assert!(report.partition.problem.unwrap().contains("sinfo"));
}
