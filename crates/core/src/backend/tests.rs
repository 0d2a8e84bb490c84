use super::*;

#[test]
fn kinds_round_trip_through_their_recorded_names() {
    for kind in BackendKind::ALL {
        assert_eq!(kind.as_str().parse::<BackendKind>(), Ok(kind));
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
    }
    assert_eq!(
        "aws".parse::<BackendKind>(),
        Err(UnknownBackend("aws".into()))
    );
}

/// The stored form: a kind tag, and the target (absent for the local executor). The
/// migration of older rows writes exactly this shape.
#[test]
fn targets_are_stored_tagged_by_kind() {
    assert_eq!(
        serde_json::to_string(&BackendTarget::Local).unwrap(),
        r#"{"backend":"local"}"#
    );
    let slurm = BackendTarget::Slurm(SlurmTarget {
        partition: Some("compute".into()),
        account: None,
        qos: None,
        extra_args: vec!["--constraint=avx2".into()],
        log_dir: "/shared/logs".into(),
    });
    let text = serde_json::to_string(&slurm).unwrap();
    assert!(
        text.starts_with(r#"{"backend":"slurm","backend_target":{"partition":"compute""#),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<BackendTarget>(&text).unwrap(), slurm);
    let batch: BackendTarget = serde_json::from_str(
        r#"{"backend":"aws-batch","backend_target":{"job_queue":"q","job_definition":"d:1","log_group":null}}"#,
    )
    .unwrap();
    assert_eq!(batch.kind(), BackendKind::AwsBatch);
    let BackendTarget::AwsBatch(target) = batch else {
        unreachable!()
    };
    assert!(
        target.environment.is_empty(),
        "targets recorded before it default to none"
    );
}

fn target(fallback: Option<&str>) -> AwsBatchTarget {
    AwsBatchTarget {
        job_queue: "spot".into(),
        job_definition: "d:1".into(),
        log_group: None,
        environment: Vec::new(),
        fallback_queue: fallback.map(str::to_owned),
    }
}

#[test]
fn a_run_goes_to_the_fallback_once_spot_interrupted_every_attempt_it_was_allowed() {
    let with = target(Some("on-demand"));
    // --interruptions 2: three attempts, two of them on Spot.
    let allowed = with.spot_attempts(3);
    assert_eq!(allowed, 2, "the last attempt is On-Demand's");
    assert_eq!(with.next_queue(allowed, allowed), BatchQueue::Fallback);
    assert_eq!(with.queue(BatchQueue::Fallback), "on-demand");
    // A last attempt that failed otherwise is the run's own failure, not Spot's.
    assert_eq!(with.next_queue(2, 1), BatchQueue::Main);
    assert_eq!(
        with.next_queue(0, 0),
        BatchQueue::Main,
        "cancelled before it started"
    );
    assert_eq!(with.spot_attempts(1), 1, "Spot gets at least one attempt");

    let without = target(None);
    assert_eq!(without.spot_attempts(3), 3);
    assert_eq!(without.next_queue(3, 3), BatchQueue::Main);
    assert_eq!(without.queue(BatchQueue::Fallback), "spot");
}

#[test]
fn a_target_without_a_fallback_is_stored_as_before() {
    let text = serde_json::to_string(&BackendTarget::AwsBatch(target(None))).unwrap();
    assert!(!text.contains("fallback"), "{text}");
    let with = BackendTarget::AwsBatch(target(Some("on-demand")));
    let text = serde_json::to_string(&with).unwrap();
    assert!(text.contains(r#""fallback_queue":"on-demand""#), "{text}");
    assert_eq!(serde_json::from_str::<BackendTarget>(&text).unwrap(), with);
}
