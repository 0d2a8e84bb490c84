//! Reading a deployed AWS Batch stack: its outputs name the queue, job definition and log
//! group, and its parameters name the buckets runs read from and write to (the names are
//! [`fredbatch_infra::contract`]'s), so `--stack NAME` is all a user has to say. The stack is
//! read by [`fredbatch_infra::cloudformation::read_stack`] and judged by
//! [`fredbatch_infra::health`], as `fredbatch infra deploy` reads and judges it.

use std::collections::HashMap;

use aws_sdk_cloudformation::types::StackStatus;
use fredbatch_infra::cloudformation::read_stack;
use fredbatch_infra::health::{StackHealth, stack_health};

use crate::calls::retrying;
use crate::clients::Clients;
use crate::config::BatchConfig;
use crate::error::BatchError;

/// Where a new job's runs go, and the clients to send them with.
pub struct Connection {
    pub config: BatchConfig,
    pub clients: Clients,
    /// The stack named with `--stack`, if one was.
    pub stack: Option<DeployedStack>,
}

/// Loads the standard AWS configuration and finds the queue and definition: from `stack`'s
/// outputs when given, else from `AWS_BATCH_JOB_QUEUE` / `AWS_BATCH_JOB_DEFINITION`.
pub async fn connect(stack: Option<&str>) -> Result<Connection, BatchError> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let var = |name: &str| std::env::var(name).ok();
    let (config, stack) = match stack {
        Some(name) => {
            let deployed = describe_stack(&sdk, name).await?;
            let config = BatchConfig::from_stack_outputs(name, &deployed.outputs, var)?;
            (config, Some(deployed))
        }
        None => (BatchConfig::from_env()?, None),
    };
    Ok(Connection {
        config,
        clients: Clients::from_sdk_config(&sdk),
        stack,
    })
}

/// What one DescribeStacks says about a stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeployedStack {
    pub name: String,
    pub status: String,
    pub outputs: HashMap<String, String>,
    pub parameters: HashMap<String, String>,
}

impl DeployedStack {
    /// `s3://BUCKET` for the bucket a parameter names, if the stack has it.
    pub fn bucket_url(&self, parameter: &str) -> Option<String> {
        self.parameters
            .get(parameter)
            .filter(|bucket| !bucket.is_empty())
            .map(|bucket| format!("s3://{bucket}"))
    }
}

/// Looks `stack` up; a stack that does not exist, or is not usable, is an error that says so.
pub async fn describe_stack(
    sdk: &aws_config::SdkConfig,
    stack: &str,
) -> Result<DeployedStack, BatchError> {
    let client = aws_sdk_cloudformation::Client::new(sdk);
    let found = retrying("DescribeStacks", || read_stack(&client, stack))
        .await?
        .ok_or_else(|| {
            BatchError::Invalid(format!(
                "stack `{stack}` is not deployed in this account and region; deploy it with \
                 `fredbatch infra deploy`, or check --stack and AWS_REGION"
            ))
        })?;
    usable(stack, found.status.as_str())?;
    Ok(DeployedStack {
        name: found.name,
        status: found.status.as_str().to_owned(),
        outputs: found.outputs.into_iter().collect(),
        parameters: found.parameters.into_iter().collect(),
    })
}

/// Whether jobs can be sent to a stack in `status`; if not, what to do about it.
fn usable(stack: &str, status: &str) -> Result<(), BatchError> {
    match stack_health(&StackStatus::from(status)) {
        StackHealth::Usable => Ok(()),
        StackHealth::Busy => Err(BatchError::Invalid(format!(
            "stack `{stack}` is {status}: an operation on it has not finished; run jobs on it \
             once `fredbatch infra status` shows it complete"
        ))),
        StackHealth::Broken => Err(BatchError::Invalid(format!(
            "stack `{stack}` is {status}: it cannot run jobs; see its events in the \
             CloudFormation console, fix the cause and deploy again"
        ))),
    }
}

#[cfg(test)]
mod tests;
