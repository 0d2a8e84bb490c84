use super::*;

#[test]
fn exit_codes_are_wait_statuses() {
    assert_eq!(
        WaitStatus::from_raw(768),
        WaitStatus {
            code: 3,
            signal: None
        }
    );
    assert_eq!(
        WaitStatus::from_raw(15),
        WaitStatus {
            code: 0,
            signal: Some(15)
        }
    );
    assert_eq!(
        WaitStatus::from_raw(0),
        WaitStatus {
            code: 0,
            signal: None
        }
    );
}

#[test]
fn task_sets_read_as_slurm_writes_them() {
    assert!(task_set_contains("2-5%1", 2));
    assert!(task_set_contains("2-5%1", 5));
    assert!(!task_set_contains("2-5%1", 1));
    assert!(task_set_contains("1,3,5-7", 6));
    assert!(!task_set_contains("1,3,5-7", 4));
    assert!(task_set_contains("0-10:2", 4));
    assert!(!task_set_contains("0-10:2", 5));
    assert!(task_set_contains("7", 7));
    assert!(!task_set_contains("", 0));
    assert_eq!(task_set_len("2-5%1"), 4);
    assert_eq!(task_set_len("1,3,5-7"), 5);
    assert_eq!(task_set_len("0-10:2"), 6);
}

#[test]
fn a_pending_remainder_covers_its_pending_tasks_only() {
    let remainder = JobRecord {
        job_id: 10,
        array_job_id: Some(10),
        pending_tasks: Some("3-9".into()),
        ..JobRecord::default()
    };
    assert!(remainder.covers(&SlurmId::Task {
        array: 10,
        index: 3
    }));
    assert!(!remainder.covers(&SlurmId::Task {
        array: 10,
        index: 2
    }));
    assert!(!remainder.covers(&SlurmId::Plain(10)));
    assert_eq!(remainder.id(), None);
}
