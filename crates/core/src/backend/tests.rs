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
