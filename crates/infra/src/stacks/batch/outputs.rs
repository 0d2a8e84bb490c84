//! The batch stack's outputs (each also exported), named in [`crate::contract::output`]; the
//! fallback's only when the stack has one.

use super::fallback::{FALLBACK_QUEUE_NAME, HAS_FALLBACK};
use crate::contract::output;
use crate::template::{Output, Template, func};

pub(super) fn outputs(t: &mut Template) {
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
    // Only a stack with a fallback has these.
    let fallback = [
        (
            output::FALLBACK_COMPUTE_ENVIRONMENT_ARN,
            "On-Demand fallback compute environment ARN",
            func::reference("BatchFallbackComputeEnvironment"),
            "FallbackComputeEnvironmentArn",
        ),
        (
            output::FALLBACK_JOB_QUEUE_ARN,
            "On-Demand fallback job queue ARN",
            func::reference("BatchFallbackJobQueue"),
            "FallbackJobQueueArn",
        ),
        (
            output::FALLBACK_JOB_QUEUE_NAME,
            "On-Demand fallback job queue name",
            func::sub(FALLBACK_QUEUE_NAME),
            "FallbackJobQueueName",
        ),
    ];
    for (name, description, value, export) in fallback {
        t.outputs.add(
            name,
            Output::exported(description, value, export).when(HAS_FALLBACK),
        );
    }
}
