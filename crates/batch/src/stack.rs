//! Reading a deployed AWS Batch stack: its outputs name the queue, job definition and log
//! group (`BatchJobQueueName`, `BatchJobDefinitionArn`, `BatchLogGroupName`), and its
//! parameters name the buckets runs read from and write to (`UploadBucketName`,
//! `ResultsBucketName`), so `--stack NAME` is all a user has to say.

use std::collections::HashMap;

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

/// Looks `stack` up; a stack that does not exist, or was rolled back, is an error that says so.
pub async fn describe_stack(
    sdk: &aws_config::SdkConfig,
    stack: &str,
) -> Result<DeployedStack, BatchError> {
    let client = aws_sdk_cloudformation::Client::new(sdk);
    let answer = retrying("DescribeStacks", || {
        client.describe_stacks().stack_name(stack).send()
    })
    .await
    .map_err(|error| match error {
        // CloudFormation says "Stack with id NAME does not exist" as a ValidationError.
        BatchError::Rejected { message, .. } if message.contains("does not exist") => {
            BatchError::Invalid(format!(
                "stack `{stack}` is not deployed in this account and region; deploy it with \
                 `fredbatch infra deploy`, or check --stack and AWS_REGION"
            ))
        }
        other => other,
    })?;
    let Some(found) = answer.stacks().first() else {
        return Err(BatchError::Malformed {
            operation: "DescribeStacks",
            field: "the stack",
        });
    };
    let status = found
        .stack_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    if status.contains("ROLLBACK") || status.ends_with("FAILED") || status == "DELETE_COMPLETE" {
        return Err(BatchError::Invalid(format!(
            "stack `{stack}` is {status}: it cannot run jobs; see its events in the \
             CloudFormation console, fix the cause and deploy again"
        )));
    }
    let pairs = |items: Vec<(Option<&str>, Option<&str>)>| {
        items
            .into_iter()
            .filter_map(|(k, v)| Some((k?.to_owned(), v?.to_owned())))
            .collect::<HashMap<_, _>>()
    };
    Ok(DeployedStack {
        name: stack.to_owned(),
        status,
        outputs: pairs(
            found
                .outputs()
                .iter()
                .map(|o| (o.output_key(), o.output_value()))
                .collect(),
        ),
        parameters: pairs(
            found
                .parameters()
                .iter()
                .map(|p| (p.parameter_key(), p.parameter_value()))
                .collect(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_come_from_the_stacks_parameters() {
        let stack = DeployedStack {
            parameters: [
                ("UploadBucketName".to_owned(), "fred-uploads".to_owned()),
                ("ResultsBucketName".to_owned(), String::new()),
            ]
            .into(),
            ..DeployedStack::default()
        };
        assert_eq!(
            stack.bucket_url("UploadBucketName").as_deref(),
            Some("s3://fred-uploads")
        );
        assert_eq!(stack.bucket_url("ResultsBucketName"), None);
        assert_eq!(stack.bucket_url("Missing"), None);
    }
}
