use super::*;

fn project() -> Project {
    Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure"))
        .expect("the committed Sceptre project")
}

#[test]
fn every_environment_deploys_its_dependencies_first() {
    let project = project();
    for env in Environment::ALL {
        let order: Vec<&str> = project
            .deployment_order(env)
            .unwrap()
            .iter()
            .map(|s| s.path.as_str())
            .collect();
        let batch = format!("{env}/batch-infrastructure.yaml");
        let at = |path: &str| order.iter().position(|p| *p == path).unwrap();
        for dependency in [
            "docker-images/simulation-runner-ecr.yaml".to_owned(),
            format!("{env}/database-secrets.yaml"),
            format!("{env}/s3-upload-bucket.yaml"),
            format!("{env}/s3-results-bucket.yaml"),
        ] {
            assert!(at(&dependency) < at(&batch), "{env}: {order:?}");
        }
    }
}

#[test]
fn the_batch_stack_is_wired_to_its_dependencies_outputs_and_the_environment() {
    use crate::contract::parameter;
    let project = project();
    let batch = project.stack("dev/batch-infrastructure.yaml").unwrap();
    let output = |stack: &str, output: &str| ParameterValue::StackOutput {
        stack: stack.into(),
        output: output.into(),
    };
    assert_eq!(
        batch.parameters[parameter::ECR_REPOSITORY_URI],
        output("docker-images/simulation-runner-ecr.yaml", "RepositoryUri")
    );
    assert_eq!(
        batch.parameters[parameter::DATABASE_SECRET_ARN],
        output("dev/database-secrets.yaml", "SecretArn")
    );
    assert_eq!(
        batch.parameters[parameter::UPLOAD_BUCKET_NAME],
        output("dev/s3-upload-bucket.yaml", "BucketName")
    );
    assert_eq!(
        batch.parameters[parameter::VPC_ID],
        ParameterValue::EnvironmentVariable("FREDBATCH_VPC_ID".into())
    );
    assert_eq!(
        batch.parameters[parameter::SUBNET_IDS],
        ParameterValue::EnvironmentVariable("FREDBATCH_SUBNET_IDS".into())
    );
    assert_eq!(batch.template, "batch/batch-infrastructure.json");
    let production = project
        .stack("production/batch-infrastructure.yaml")
        .unwrap();
    assert_eq!(
        production.parameters["MaxvCpus"],
        ParameterValue::Text("256".into())
    );
    assert_ne!(
        batch.parameters[parameter::MAX_VCPUS],
        production.parameters["MaxvCpus"]
    );
    assert_eq!(
        project.stack_name("dev/batch-infrastructure.yaml"),
        "fred-simulations-dev-batch-infrastructure"
    );
}

#[test]
fn unresolved_values_name_what_is_missing_and_how_to_fix_it() {
    let project = project();
    let batch = project.stack("dev/batch-infrastructure.yaml").unwrap();
    let error = project
        .resolve(batch, &mut |_, _| Some("x".into()), &|_| None)
        .unwrap_err();
    assert!(error.to_string().contains("export FREDBATCH_"), "{error}");
    let error = project
        .resolve(batch, &mut |_, _| None, &|_| Some("v".into()))
        .unwrap_err();
    assert!(
        matches!(error, ProjectError::MissingOutput { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("is not deployed"), "{error}");
}
