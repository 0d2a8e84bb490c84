use super::*;
use fredbatch_infra::contract::parameter;

#[test]
fn buckets_come_from_the_stacks_parameters() {
    let stack = DeployedStack {
        parameters: [
            (
                parameter::UPLOAD_BUCKET_NAME.to_owned(),
                "fred-uploads".to_owned(),
            ),
            (parameter::RESULTS_BUCKET_NAME.to_owned(), String::new()),
        ]
        .into(),
        ..DeployedStack::default()
    };
    assert_eq!(
        stack.bucket_url(parameter::UPLOAD_BUCKET_NAME).as_deref(),
        Some("s3://fred-uploads")
    );
    assert_eq!(stack.bucket_url(parameter::RESULTS_BUCKET_NAME), None);
    assert_eq!(stack.bucket_url("Missing"), None);
}

#[test]
fn a_rolled_back_update_still_runs_jobs_but_a_busy_or_broken_stack_does_not() {
    assert!(usable("s", "UPDATE_ROLLBACK_COMPLETE").is_ok());
    assert!(usable("s", "CREATE_COMPLETE").is_ok());
    let busy = usable("s", "UPDATE_IN_PROGRESS").unwrap_err().to_string();
    assert!(busy.contains("has not finished"), "{busy}");
    let broken = usable("s", "ROLLBACK_COMPLETE").unwrap_err().to_string();
    assert!(broken.contains("cannot run jobs"), "{broken}");
}
