use super::*;

fn size(memory_mb: u64) -> RunSize {
    RunSize {
        resources: Resources {
            vcpus: 1,
            memory_mb,
        },
        timeout_seconds: 600,
    }
}

fn history(counted: u32, interruptions: u32) -> History {
    History {
        counted,
        interruptions,
    }
}

fn grown(next: Next) -> RunSize {
    match next {
        Next::Again { size, .. } => size,
        Next::End(reason) => panic!("expected another attempt, got the end: {reason:?}"),
    }
}

#[test]
fn out_of_memory_doubles_memory_and_only_memory() {
    let policy = RetryPolicy::default();
    let next = next_attempt(
        &policy,
        3,
        FailureClass::OutOfMemory,
        size(100),
        history(1, 0),
        None,
    );
    assert_eq!(grown(next), size(200));
    let slower = RetryPolicy {
        memory_growth: 1.5,
        ..policy
    };
    let next = next_attempt(
        &slower,
        3,
        FailureClass::OutOfMemory,
        size(101),
        history(1, 0),
        None,
    );
    assert_eq!(grown(next).resources.memory_mb, 152, "rounded up");
}

#[test]
fn growth_stops_at_the_lower_cap_and_then_says_which_cap() {
    let policy = RetryPolicy {
        max_memory_mb: Some(32 * 1024),
        ..RetryPolicy::default()
    };
    let ceiling = Ceiling {
        resources: Resources {
            vcpus: 8,
            memory_mb: 16 * 1024,
        },
        source: "the largest instance type in the compute environment".into(),
    };
    let oom = |memory_mb| {
        next_attempt(
            &policy,
            5,
            FailureClass::OutOfMemory,
            size(memory_mb),
            history(1, 0),
            Some(&ceiling),
        )
    };
    assert_eq!(
        grown(oom(12 * 1024)),
        size(16 * 1024),
        "capped, not refused"
    );
    assert_eq!(
        oom(16 * 1024),
        Next::End(Some(
            "out of memory at 16 GiB, and needed more than 16 GiB: the largest instance type in \
             the compute environment"
                .into()
        ))
    );
    let flag_lower = RetryPolicy {
        max_memory_mb: Some(300),
        ..policy
    };
    let next = next_attempt(
        &flag_lower,
        5,
        FailureClass::OutOfMemory,
        size(300),
        history(1, 0),
        Some(&ceiling),
    );
    assert_eq!(
        next,
        Next::End(Some(
            "out of memory at 300 MB, and needed more than 300 MB: --max-memory".into()
        ))
    );
}

#[test]
fn attempts_end_growth_and_interruptions_have_a_budget_of_their_own() {
    let policy = RetryPolicy::default();
    let decide = |failure, history| next_attempt(&policy, 3, failure, size(100), history, None);
    assert_eq!(
        decide(FailureClass::OutOfMemory, history(3, 0)),
        Next::End(None)
    );
    // Interruptions never use up attempts, and attempts never use up interruptions.
    assert_eq!(
        grown(decide(FailureClass::Interrupted, history(3, 3))),
        size(100),
        "the same size again"
    );
    assert_eq!(
        decide(FailureClass::Interrupted, history(0, 4)),
        Next::End(None)
    );
    assert_eq!(
        grown(decide(FailureClass::OutOfMemory, history(2, 3))),
        size(200)
    );
}

#[test]
fn time_grows_only_when_asked_and_model_errors_never_retry() {
    let policy = RetryPolicy::default();
    for failure in [
        FailureClass::OverTime,
        FailureClass::Model,
        FailureClass::Infrastructure,
        FailureClass::Other,
    ] {
        assert_eq!(
            next_attempt(&policy, 3, failure, size(100), history(1, 0), None),
            Next::End(None),
            "{failure}"
        );
    }
    let longer = RetryPolicy {
        time_growth: Some(1.5),
        ..policy
    };
    let next = next_attempt(
        &longer,
        3,
        FailureClass::OverTime,
        size(100),
        history(1, 0),
        None,
    );
    assert_eq!(
        grown(next),
        RunSize {
            timeout_seconds: 900,
            ..size(100)
        }
    );
}

#[test]
fn policies_that_cannot_work_name_their_flag() {
    let start = Resources {
        vcpus: 1,
        memory_mb: 1024,
    };
    let bad = [
        (
            RetryPolicy {
                memory_growth: 1.0,
                ..RetryPolicy::default()
            },
            "--memory-growth",
        ),
        (
            RetryPolicy {
                memory_growth: f64::NAN,
                ..RetryPolicy::default()
            },
            "--memory-growth",
        ),
        (
            RetryPolicy {
                time_growth: Some(0.5),
                ..RetryPolicy::default()
            },
            "--time-growth",
        ),
        (
            RetryPolicy {
                max_memory_mb: Some(512),
                ..RetryPolicy::default()
            },
            "--max-memory",
        ),
    ];
    for (policy, flag) in bad {
        let error = policy.check(&start).unwrap_err().to_string();
        assert!(error.contains(flag), "{error}");
    }
    assert_eq!(RetryPolicy::default().check(&start), Ok(()));
    assert_eq!(megabytes(2048), "2 GiB");
    assert_eq!(megabytes(300), "300 MB");
}
