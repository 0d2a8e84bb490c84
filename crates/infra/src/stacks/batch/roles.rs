//! The batch stack's four IAM roles, each with least privilege: AWS Batch's service role, the
//! instances' role (and its profile), the execution role that starts a run's container, and
//! the job role the run itself works with.

use serde_json::{Value, json};

use crate::contract::parameter;
use crate::contract::parameter::{RESULTS_BUCKET_NAME, UPLOAD_BUCKET_NAME};
use crate::stacks::common::{assumed_by, managed_policy, tag_list};
use crate::template::{Resource, Template, func};

fn role(service: &str, managed: &[&str], policies: Vec<Value>) -> Resource {
    let mut properties = json!({
        "AssumeRolePolicyDocument": assumed_by(service),
        "Tags": tag_list(),
    });
    if !managed.is_empty() {
        properties["ManagedPolicyArns"] = managed.iter().map(|p| managed_policy(p)).collect();
    }
    if !policies.is_empty() {
        properties["Policies"] = Value::Array(policies);
    }
    Resource::new("AWS::IAM::Role", properties)
}

fn policy(name: &str, statements: Value) -> Value {
    json!({
        "PolicyName": name,
        "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
    })
}

pub(super) fn roles(t: &mut Template) {
    let r = &mut t.resources;
    // AWS Batch's own permissions to run the compute environment: AWS's managed policy, nothing
    // added on top.
    r.add(
        "BatchServiceRole",
        role(
            "batch.amazonaws.com",
            &["service-role/AWSBatchServiceRole"],
            vec![],
        ),
    );
    // The ECS agent on each instance: AWS's managed policy for container instances.
    r.add(
        "BatchInstanceRole",
        role(
            "ec2.amazonaws.com",
            &["service-role/AmazonEC2ContainerServiceforEC2Role"],
            vec![],
        ),
    );
    r.add(
        "BatchInstanceProfile",
        Resource::new(
            "AWS::IAM::InstanceProfile",
            json!({ "Roles": [func::reference("BatchInstanceRole")] }),
        ),
    );
    // The repository's ARN from its URI, ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG].
    let uri = func::reference(parameter::ECR_REPOSITORY_URI);
    let host_part = |index| func::select(index, func::split(".", uri.clone()));
    let name = func::select(
        0,
        func::split(":", func::select(1, func::split("/", uri.clone()))),
    );
    let repository = json!({
        "Fn::Sub": [
            "arn:${AWS::Partition}:ecr:${Region}:${Account}:repository/${Name}",
            { "Account": host_part(0), "Region": host_part(3), "Name": name },
        ],
    });
    r.add(
        "BatchExecutionRole",
        role(
            "ecs-tasks.amazonaws.com",
            &[],
            vec![policy(
                "pull-image-write-logs-read-secret",
                json!([
                    {
                        "Sid": "RegistryToken",
                        "Effect": "Allow",
                        "Action": "ecr:GetAuthorizationToken",
                        "Resource": "*",
                    },
                    {
                        "Sid": "PullTheImage",
                        "Effect": "Allow",
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:BatchGetImage",
                            "ecr:GetDownloadUrlForLayer",
                        ],
                        "Resource": repository,
                    },
                    {
                        "Sid": "WriteThisStacksLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": func::get_att("BatchLogGroup", "Arn"),
                    },
                    {
                        "Sid": "InjectTheDatabaseSecret",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": func::reference(parameter::DATABASE_SECRET_ARN),
                    },
                ]),
            )],
        ),
    );
    r.add(
        "BatchJobRole",
        role(
            "ecs-tasks.amazonaws.com",
            &[],
            vec![policy(
                "read-inputs-write-results-read-secret",
                json!([
                    {
                        "Sid": "ListTheUploads",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": func::sub(&format!("arn:${{AWS::Partition}}:s3:::${{{UPLOAD_BUCKET_NAME}}}")),
                    },
                    {
                        "Sid": "ReadTheInputs",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": func::sub(&format!("arn:${{AWS::Partition}}:s3:::${{{UPLOAD_BUCKET_NAME}}}/*")),
                    },
                    {
                        "Sid": "WriteTheResults",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                        "Resource": func::sub(&format!("arn:${{AWS::Partition}}:s3:::${{{RESULTS_BUCKET_NAME}}}/*")),
                    },
                    {
                        "Sid": "ReadTheDatabaseSecret",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": func::reference(parameter::DATABASE_SECRET_ARN),
                    },
                ]),
            )],
        ),
    );
}
