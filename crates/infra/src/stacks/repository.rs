//! The ECR repository of the simulation-runner image (`docker/simulation-runner.Dockerfile`):
//! scanned on push, encrypted, and pruned to the most recent images.

use serde_json::json;

use super::Environment;
use super::common::{environment_parameter, tag_list};
use crate::template::{Output, Parameter, Resource, Template, func};

pub const PATH: &str = "ecr/simulation-runner-ecr.json";

pub fn template(env: Environment) -> Template {
    let mut t = Template::new("FRED simulations: the simulation-runner image repository");
    t.parameters.add("Environment", environment_parameter(env));
    t.parameters.add(
        "ImagesKept",
        Parameter::number("How many of the most recent images to keep")
            .with_default(20)
            .range(1, 1000),
    );
    let lifecycle = func::sub(
        r#"{"rules": [{"rulePriority": 1, "description": "Keep the most recent images", "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": ${ImagesKept}}, "action": {"type": "expire"}}]}"#,
    );
    t.resources.add(
        "SimulationRunnerRepository",
        Resource::new(
            "AWS::ECR::Repository",
            json!({
                // Named after the stack: unique in the account, and lower case as ECR requires.
                "RepositoryName": func::sub("${AWS::StackName}"),
                "ImageScanningConfiguration": { "ScanOnPush": true },
                "ImageTagMutability": "MUTABLE",
                "EncryptionConfiguration": { "EncryptionType": "AES256" },
                "LifecyclePolicy": { "LifecyclePolicyText": lifecycle },
                "Tags": tag_list(),
            }),
        )
        .skip_checks(&[
            (
                "CKV_AWS_51",
                "the job definition runs the repository's latest image, so its tag must move \
                 when a new image is pushed",
            ),
            (
                "CKV_AWS_136",
                "images are encrypted with AES-256 by ECR; a customer managed key adds cost \
                 and key administration the deployment does not need",
            ),
        ]),
    );
    t.outputs.add(
        "RepositoryUri",
        Output::exported(
            "URI of the repository (the batch stack's ECRRepositoryUri)",
            func::get_att("SimulationRunnerRepository", "RepositoryUri"),
            "RepositoryUri",
        ),
    );
    t.outputs.add(
        "RepositoryArn",
        Output::exported(
            "ARN of the repository",
            func::get_att("SimulationRunnerRepository", "Arn"),
            "RepositoryArn",
        ),
    );
    t
}
