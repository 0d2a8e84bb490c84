use super::*;
use crate::record::JobRecord;

#[test]
fn pending_runs_are_grouped_by_reason_with_advice() {
    let pending = |name: &str, reason: &str, tasks: Option<&str>| JobRecord {
        job_id: 1,
        array_job_id: tasks.map(|_| 1),
        pending_tasks: tasks.map(str::to_owned),
        name: name.into(),
        state: "PENDING".into(),
        reason: Some(reason.into()),
        ..JobRecord::default()
    };
    let snapshot = Snapshot::new(vec![
        pending("fred-job-3-runs-1-10", "Resources", Some("2-9")),
        pending("fred-job-3-run-11", "QOSMaxJobsPerUserLimit", None),
        pending("fred-job-4-run-1", "Priority", None),
    ]);
    let groups = pending_groups(&snapshot, JobId(3));
    assert_eq!(groups.len(), 2);
    assert_eq!(
        (groups[0].reason.as_str(), groups[0].runs),
        ("Resources", 8)
    );
    assert!(groups[1].advice.contains("QOS"));
}

#[test]
fn node_states_are_grouped() {
    let node = |name: &str, state: &str| Node {
        name: name.into(),
        cpus: 1,
        memory_mb: 1,
        state: state.into(),
    };
    let groups = group_nodes(&[node("a", "idle"), node("b", "down*"), node("c", "idle")]);
    assert_eq!(groups[0].kind, NodeKind::Idle);
    assert_eq!(groups[0].nodes, ["a", "c"]);
    assert_eq!(groups[1].kind, NodeKind::Unavailable);
}
