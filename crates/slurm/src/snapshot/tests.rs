use super::*;

#[test]
fn tasks_are_found_started_or_pending() {
    let snapshot = Snapshot::new(vec![
        JobRecord {
            job_id: 11,
            array_job_id: Some(10),
            array_task_id: Some(0),
            name: "a".into(),
            state: "RUNNING".into(),
            ..JobRecord::default()
        },
        JobRecord {
            job_id: 10,
            array_job_id: Some(10),
            pending_tasks: Some("1-4".into()),
            name: "a".into(),
            state: "PENDING".into(),
            ..JobRecord::default()
        },
        JobRecord {
            job_id: 12,
            name: "b".into(),
            state: "COMPLETED".into(),
            ..JobRecord::default()
        },
    ]);
    let task = |index| SlurmId::Task { array: 10, index };
    assert_eq!(snapshot.find(&task(0)).unwrap().state, "RUNNING");
    assert_eq!(snapshot.find(&task(3)).unwrap().state, "PENDING");
    assert!(snapshot.find(&task(5)).is_none());
    assert_eq!(snapshot.find(&SlurmId::Plain(12)).unwrap().name, "b");
    assert!(snapshot.find(&SlurmId::Plain(10)).is_none());
    assert_eq!(snapshot.named("a").len(), 2);
}
