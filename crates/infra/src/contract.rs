//! The names by which the AWS Batch stack is read: its CloudFormation parameters and outputs.
//!
//! The template generator ([`crate::stacks::batch`]) declares them from here, and every reader
//! (`--stack NAME`, `fredbatch infra env`, `fredbatch doctor`, the tests) looks them up from
//! here, so a renamed output cannot leave a reader asking for the old name.

/// The batch stack's parameters.
pub mod parameter {
    pub const ENVIRONMENT: &str = "Environment";
    pub const VPC_ID: &str = "VpcId";
    pub const SUBNET_IDS: &str = "SubnetIds";
    pub const ECR_REPOSITORY_URI: &str = "ECRRepositoryUri";
    pub const DATABASE_SECRET_ARN: &str = "DatabaseSecretArn";
    /// The bucket runs read their inputs from.
    pub const UPLOAD_BUCKET_NAME: &str = "UploadBucketName";
    /// The bucket runs write their results to.
    pub const RESULTS_BUCKET_NAME: &str = "ResultsBucketName";
    pub const MAX_VCPUS: &str = "MaxvCpus";
    /// [`MAX_VCPUS`]'s default: the design's Spot compute environment scales from 0 to this.
    pub const MAX_VCPUS_DEFAULT: u32 = 256;
    pub const LOG_RETENTION_DAYS: &str = "LogRetentionDays";
    pub const SPOT_BID_PERCENTAGE: &str = "SpotBidPercentage";
    pub const ALLOCATION_STRATEGY: &str = "AllocationStrategy";
    pub const DATABASE_SECURITY_GROUP_ID: &str = "DatabaseSecurityGroupId";
    pub const JOB_VCPUS: &str = "JobVcpus";
    pub const JOB_MEMORY: &str = "JobMemory";
    /// The On-Demand compute environment's instance types (a comma-separated list).
    pub const FALLBACK_INSTANCE_TYPES: &str = "FallbackInstanceTypes";
    /// Most vCPUs the On-Demand compute environment runs at once; 0 creates no fallback.
    pub const FALLBACK_MAX_VCPUS: &str = "FallbackMaxvCpus";
    /// Seconds a run may wait RUNNABLE at the head of a queue that no compute environment can
    /// ever run (too large for every instance type, or for every maxvCpus) before it is
    /// cancelled.
    pub const CANCEL_MISCONFIGURED_AFTER_SECONDS: &str = "CancelMisconfiguredAfterSeconds";
    /// Seconds a run may wait RUNNABLE at the head of a queue for instance capacity AWS does not
    /// have before it is cancelled.
    pub const CANCEL_NO_CAPACITY_AFTER_SECONDS: &str = "CancelNoCapacityAfterSeconds";
}

/// The batch stack's outputs.
pub mod output {
    pub const SERVICE_ROLE_ARN: &str = "BatchServiceRoleArn";
    pub const INSTANCE_ROLE_ARN: &str = "BatchInstanceRoleArn";
    pub const EXECUTION_ROLE_ARN: &str = "BatchExecutionRoleArn";
    pub const JOB_ROLE_ARN: &str = "BatchJobRoleArn";
    pub const SECURITY_GROUP_ID: &str = "BatchSecurityGroupId";
    /// The CloudWatch log group the runs' containers write to.
    pub const LOG_GROUP_NAME: &str = "BatchLogGroupName";
    pub const COMPUTE_ENVIRONMENT_ARN: &str = "BatchComputeEnvironmentArn";
    pub const JOB_QUEUE_ARN: &str = "BatchJobQueueArn";
    /// The queue runs are submitted to (`AWS_BATCH_JOB_QUEUE`).
    pub const JOB_QUEUE_NAME: &str = "BatchJobQueueName";
    /// The stack's default job definition (`AWS_BATCH_JOB_DEFINITION`).
    pub const JOB_DEFINITION_ARN: &str = "BatchJobDefinitionArn";
    /// The On-Demand compute environment (only when the stack has a fallback).
    pub const FALLBACK_COMPUTE_ENVIRONMENT_ARN: &str = "BatchFallbackComputeEnvironmentArn";
    pub const FALLBACK_JOB_QUEUE_ARN: &str = "BatchFallbackJobQueueArn";
    /// The queue runs interrupted too often on Spot go to (`AWS_BATCH_FALLBACK_JOB_QUEUE`);
    /// only when the stack has a fallback.
    pub const FALLBACK_JOB_QUEUE_NAME: &str = "BatchFallbackJobQueueName";
}
