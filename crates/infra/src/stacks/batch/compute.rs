//! Where the runs execute: the security group and log group, then the Spot compute
//! environment, the job queue and the job definition. (The On-Demand fallback is
//! [`super::fallback`]'s.)

use serde_json::json;

use fredbatch_core::limits::SPOT_INTERRUPTION_PATTERN;

use super::fallback::stuck_runnable_actions;
use super::{ATTEMPT_TIMEOUT_SECONDS, ATTEMPTS, INSTANCE_TYPES};
use crate::contract::parameter;
use crate::contract::parameter::{ENVIRONMENT, RESULTS_BUCKET_NAME, UPLOAD_BUCKET_NAME};
use crate::stacks::common::{tag_list, tag_map};
use crate::template::{Resource, Template, func};

pub(super) fn network_and_logs(t: &mut Template) {
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

pub(super) fn batch(t: &mut Template) {
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
                "JobStateTimeLimitActions": stuck_runnable_actions(),
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
