//! The AWS Batch stack of the design this project implements (`docs/design.md`): a managed
//! EC2 Spot compute environment that scales from 0 to `MaxvCpus`, a job queue, a job
//! definition (4 vCPUs and 8192 MB by default, retried only when Spot takes the instance away,
//! 4 h per attempt, logs to CloudWatch), the four IAM roles with least privilege, a security
//! group, and the log group. Its parameter and output names are [`crate::contract`]'s.
//!
//! Least privilege, concretely: the job role reads the upload bucket, writes the results bucket
//! and reads the one database secret; the execution role pulls the image, writes this stack's
//! log group and reads that secret; no Allow statement has a wildcard action; the one `*`
//! resource is `ecr:GetAuthorizationToken`, which AWS defines on no narrower resource (stated in
//! the template's metadata).

use fredbatch_core::Resources;
use fredbatch_core::limits::SPOT_INTERRUPTION_PATTERN;
use serde_json::{Value, json};

use super::Environment;
use super::common::{assumed_by, environment_parameter, managed_policy, tag_list, tag_map};
use crate::contract::parameter::{ENVIRONMENT, RESULTS_BUCKET_NAME, UPLOAD_BUCKET_NAME};
use crate::contract::{output, parameter};
use crate::template::{Output, Parameter, Resource, Template, func};

pub const PATH: &str = "batch/batch-infrastructure.json";

/// The instance types of the compute environment.
pub const INSTANCE_TYPES: [&str; 2] = ["c5.xlarge", "c5.2xlarge"];
pub const ATTEMPTS: u32 = 3;
pub const ATTEMPT_TIMEOUT_SECONDS: u32 = 4 * 3600;
/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Why the one wildcard resource is there (also in the template's metadata).
pub const WILDCARD_REASON: &str = "ecr:GetAuthorizationToken is granted on `*`: AWS defines it on \
     no resource narrower than the account (the token it returns is for the registry, not a \
     repository). Image pulls themselves are limited to the one repository.";

pub fn template(env: Environment) -> Template {
    let mut t = Template::new(
        "FRED simulations on AWS Batch: a Spot compute environment scaling from 0, a job queue, \
         a job definition that retries only Spot interruptions, least-privilege IAM roles, a \
         security group and a log group",
    );
    t.metadata = json!({
        "fredbatch": {
            "WildcardResources": [{
                "Resource": "BatchExecutionRole",
                "Action": "ecr:GetAuthorizationToken",
                "Reason": WILDCARD_REASON,
            }],
        },
    });
    parameters(&mut t, env);
    t.conditions.add(
        "HasDatabaseSecurityGroup",
        func::not(func::equals(
            func::reference(parameter::DATABASE_SECURITY_GROUP_ID),
            json!(""),
        )),
    );
    roles(&mut t);
    network_and_logs(&mut t);
    batch(&mut t);
    outputs(&mut t);
    t
}

fn parameters(t: &mut Template, env: Environment) {
    let p = &mut t.parameters;
    p.add(parameter::ENVIRONMENT, environment_parameter(env));
    p.add(
        parameter::VPC_ID,
        Parameter::of_type(
            "AWS::EC2::VPC::Id",
            "VPC the compute environment launches in",
        ),
    );
    p.add(
        parameter::SUBNET_IDS,
        Parameter::of_type(
            "List<AWS::EC2::Subnet::Id>",
            "Private subnets for the instances; they need a NAT gateway (or VPC endpoints) to \
             reach ECR, S3, Secrets Manager and CloudWatch Logs",
        ),
    );
    p.add(
        parameter::ECR_REPOSITORY_URI,
        Parameter::string("URI of the simulation-runner image repository, optionally with :tag")
            .pattern(
                r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._-]+(:[A-Za-z0-9._-]+)?$",
                "an ECR repository URI: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG]",
            ),
    );
    p.add(
        parameter::DATABASE_SECRET_ARN,
        Parameter::string("ARN of the Secrets Manager secret with the database credentials")
            .pattern(
                r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
                "a Secrets Manager secret ARN",
            ),
    );
    let bucket_name = |what: &str| {
        Parameter::string(what).pattern(
            r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "an S3 bucket name: 3 to 63 lower-case letters, digits, dots and dashes",
        )
    };
    p.add(
        parameter::UPLOAD_BUCKET_NAME,
        bucket_name("S3 bucket with each job's inputs"),
    );
    p.add(
        parameter::RESULTS_BUCKET_NAME,
        bucket_name("S3 bucket the runs write their results to"),
    );
    p.add(
        parameter::MAX_VCPUS,
        Parameter::number(
            "Most vCPUs the compute environment runs at once (256 is about 64 c5.xlarge runs)",
        )
        .with_default(256)
        .range(4, 10_000),
    );
    p.add(
        parameter::LOG_RETENTION_DAYS,
        Parameter::number("Days CloudWatch keeps the runs' logs")
            .with_default(7)
            .allowed(LOG_RETENTION_DAYS),
    );
    p.add(
        parameter::SPOT_BID_PERCENTAGE,
        Parameter::number(
            "Highest Spot price to pay, in percent of On-Demand (100: Spot whenever available)",
        )
        .with_default(100)
        .range(1, 100),
    );
    p.add(
        parameter::ALLOCATION_STRATEGY,
        Parameter::string(
            "How Spot capacity is chosen. SPOT_CAPACITY_OPTIMIZED (the default) picks the \
             pools least likely to be interrupted; SPOT_PRICE_CAPACITY_OPTIMIZED, AWS's current \
             recommendation, also weighs price and is usually the better choice",
        )
        .with_default("SPOT_CAPACITY_OPTIMIZED")
        .allowed(["SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED"]),
    );
    p.add(
        parameter::DATABASE_SECURITY_GROUP_ID,
        Parameter::string(
            "Security group of the database; runs may reach port 5432 only there. Empty: no \
             database traffic leaves the instances",
        )
        .with_default("")
        .pattern(
            "^(sg-[0-9a-f]{8,17})?$",
            "a security group id (sg-...) or empty",
        ),
    );
    p.add(
        parameter::JOB_VCPUS,
        Parameter::number("vCPUs each run reserves (`fredbatch profile` recommends a size)")
            .with_default(Resources::AWS_DEFAULT.vcpus)
            .range(1, 256),
    );
    p.add(
        parameter::JOB_MEMORY,
        Parameter::number("Memory each run reserves, in MiB")
            .with_default(Resources::AWS_DEFAULT.memory_mb)
            .range(256, 1_048_576),
    );
}

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

fn roles(t: &mut Template) {
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

fn network_and_logs(t: &mut Template) {
    let r = &mut t.resources;
    r.add(
        "BatchSecurityGroup",
        Resource::new(
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": "FRED simulation instances: HTTPS to AWS services and the image registry; PostgreSQL to the database only",
                "VpcId": func::reference(parameter::VPC_ID),
                "SecurityGroupEgress": [{
                    "Description": "HTTPS to AWS APIs, S3 and the image registry",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": "0.0.0.0/0",
                }],
                "Tags": tag_list(),
            }),
        ),
    );
    r.add(
        "BatchDatabaseEgress",
        Resource::new(
            "AWS::EC2::SecurityGroupEgress",
            json!({
                "Description": "PostgreSQL to the database's security group",
                "GroupId": func::get_att("BatchSecurityGroup", "GroupId"),
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "DestinationSecurityGroupId": func::reference(parameter::DATABASE_SECURITY_GROUP_ID),
            }),
        )
        .when("HasDatabaseSecurityGroup"),
    );
    r.add(
        "BatchLogGroup",
        Resource::new(
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": func::sub(&format!("/aws/batch/fred-simulations-${{{ENVIRONMENT}}}")),
                "RetentionInDays": func::reference(parameter::LOG_RETENTION_DAYS),
                "Tags": tag_list(),
            }),
        )
        .skip_checks(&[(
            "CKV_AWS_158",
            "CloudWatch Logs encrypts log data at rest; a customer managed KMS key adds cost \
             and key administration the runs' logs do not need",
        )]),
    );
}

fn batch(t: &mut Template) {
    let r = &mut t.resources;
    r.add(
        "BatchComputeEnvironment",
        Resource::new(
            "AWS::Batch::ComputeEnvironment",
            json!({
                "Type": "MANAGED",
                "State": "ENABLED",
                "ServiceRole": func::get_att("BatchServiceRole", "Arn"),
                "ComputeResources": {
                    "Type": "SPOT",
                    "AllocationStrategy": func::reference(parameter::ALLOCATION_STRATEGY),
                    "BidPercentage": func::reference(parameter::SPOT_BID_PERCENTAGE),
                    "MinvCpus": 0,
                    "DesiredvCpus": 0,
                    "MaxvCpus": func::reference(parameter::MAX_VCPUS),
                    "InstanceTypes": INSTANCE_TYPES,
                    "Subnets": func::reference(parameter::SUBNET_IDS),
                    "SecurityGroupIds": [func::reference("BatchSecurityGroup")],
                    "InstanceRole": func::get_att("BatchInstanceProfile", "Arn"),
                    "Tags": tag_map(),
                },
                "Tags": tag_map(),
            }),
        ),
    );
    r.add(
        "BatchJobQueue",
        Resource::new(
            "AWS::Batch::JobQueue",
            json!({
                // Named, so the name output is the name (and not the ARN `Ref` gives).
                "JobQueueName": func::sub("${AWS::StackName}-queue"),
                "Priority": 1,
                "State": "ENABLED",
                "ComputeEnvironmentOrder": [{
                    "Order": 1,
                    "ComputeEnvironment": func::reference("BatchComputeEnvironment"),
                }],
                "Tags": tag_map(),
            }),
        ),
    );
    r.add(
        "BatchJobDefinition",
        Resource::new(
            "AWS::Batch::JobDefinition",
            json!({
                "Type": "container",
                "PlatformCapabilities": ["EC2"],
                "PropagateTags": true,
                "ContainerProperties": {
                    "Image": func::reference(parameter::ECR_REPOSITORY_URI),
                    "ResourceRequirements": [
                        { "Type": "VCPU", "Value": func::reference(parameter::JOB_VCPUS) },
                        { "Type": "MEMORY", "Value": func::reference(parameter::JOB_MEMORY) },
                    ],
                    "JobRoleArn": func::get_att("BatchJobRole", "Arn"),
                    "ExecutionRoleArn": func::get_att("BatchExecutionRole", "Arn"),
                    // Credentials are injected from Secrets Manager, never plain values.
                    "Secrets": [{
                        "Name": "DATABASE_SECRET",
                        "ValueFrom": func::reference(parameter::DATABASE_SECRET_ARN),
                    }],
                    "Environment": [
                        { "Name": "FREDBATCH_UPLOADS", "Value": func::sub(&format!("s3://${{{UPLOAD_BUCKET_NAME}}}")) },
                        { "Name": "FREDBATCH_RESULTS", "Value": func::sub(&format!("s3://${{{RESULTS_BUCKET_NAME}}}")) },
                    ],
                    "LogConfiguration": {
                        "LogDriver": "awslogs",
                        "Options": {
                            "awslogs-group": func::reference("BatchLogGroup"),
                            "awslogs-region": func::reference("AWS::Region"),
                            "awslogs-stream-prefix": "fred",
                        },
                    },
                },
                "RetryStrategy": {
                    "Attempts": ATTEMPTS,
                    // Batch retries every failure no rule matches: the catch-all EXIT keeps a
                    // model error from running three times.
                    "EvaluateOnExit": [
                        { "OnStatusReason": SPOT_INTERRUPTION_PATTERN, "Action": "RETRY" },
                        { "OnReason": "*", "Action": "EXIT" },
                    ],
                },
                "Timeout": { "AttemptDurationSeconds": ATTEMPT_TIMEOUT_SECONDS },
                "Tags": tag_map(),
            }),
        ),
    );
}

fn outputs(t: &mut Template) {
    let outputs = [
        (
            output::SERVICE_ROLE_ARN,
            "Service role ARN",
            func::get_att("BatchServiceRole", "Arn"),
            "ServiceRoleArn",
        ),
        (
            output::INSTANCE_ROLE_ARN,
            "Instance role ARN",
            func::get_att("BatchInstanceRole", "Arn"),
            "InstanceRoleArn",
        ),
        (
            output::EXECUTION_ROLE_ARN,
            "Execution role ARN",
            func::get_att("BatchExecutionRole", "Arn"),
            "ExecutionRoleArn",
        ),
        (
            output::JOB_ROLE_ARN,
            "Job role ARN",
            func::get_att("BatchJobRole", "Arn"),
            "JobRoleArn",
        ),
        (
            output::SECURITY_GROUP_ID,
            "Security group ID",
            func::get_att("BatchSecurityGroup", "GroupId"),
            "SecurityGroupId",
        ),
        (
            output::LOG_GROUP_NAME,
            "CloudWatch log group",
            func::reference("BatchLogGroup"),
            "LogGroupName",
        ),
        (
            output::COMPUTE_ENVIRONMENT_ARN,
            "Compute environment ARN",
            func::reference("BatchComputeEnvironment"),
            "ComputeEnvironmentArn",
        ),
        (
            output::JOB_QUEUE_ARN,
            "Job queue ARN",
            func::reference("BatchJobQueue"),
            "JobQueueArn",
        ),
        (
            output::JOB_QUEUE_NAME,
            "Job queue name",
            func::sub("${AWS::StackName}-queue"),
            "JobQueueName",
        ),
        (
            output::JOB_DEFINITION_ARN,
            "Job definition ARN",
            func::reference("BatchJobDefinition"),
            "JobDefinitionArn",
        ),
    ];
    for (name, description, value, export) in outputs {
        t.outputs
            .add(name, Output::exported(description, value, export));
    }
}
