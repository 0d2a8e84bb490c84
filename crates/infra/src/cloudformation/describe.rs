//! Reading deployed stacks: one DescribeStacks gives a stack's status, outputs and parameters,
//! for the deployer and for every other reader (`fredbatch run --stack`, `fredbatch doctor`).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::types::{Stack, StackStatus};

use super::Deployer;
use super::error::{DeployError, aws_error};
use crate::project::batch_stack_path;
use crate::stacks::Environment;

/// A deployed stack as CloudFormation describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    pub name: String,
    pub status: StackStatus,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
}

/// The one reader of a stack: its status, outputs and parameters from one DescribeStacks, or
/// `None` when it does not exist (or was deleted). What the status allows is
/// [`crate::health::stack_health`]'s to say.
pub async fn read_stack(
    client: &Client,
    stack: &str,
) -> Result<Option<Deployed>, SdkError<DescribeStacksError>> {
    match client.describe_stacks().stack_name(stack).send().await {
        Ok(answer) => Ok(deployed(stack, &answer)),
        Err(error) if is_missing_stack(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The stack `answer` describes, unless it is gone (deleted stacks are still described when
/// asked for by id).
pub(super) fn deployed(stack: &str, answer: &DescribeStacksOutput) -> Option<Deployed> {
    let found = answer.stacks().first()?;
    let status = found.stack_status()?.clone();
    (status != StackStatus::DeleteComplete).then(|| Deployed {
        name: stack.to_owned(),
        status,
        outputs: outputs(found),
        parameters: parameters(found),
    })
}

/// Whether DescribeStacks answered that the stack does not exist: CloudFormation says "Stack
/// with id NAME does not exist" as a ValidationError, the same code as a malformed request.
pub(super) fn is_missing_stack(error: &impl ProvideErrorMetadata) -> bool {
    error
        .message()
        .is_some_and(|message| message.contains("does not exist"))
}

fn outputs(stack: &Stack) -> BTreeMap<String, String> {
    stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect()
}

fn parameters(stack: &Stack) -> BTreeMap<String, String> {
    stack
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value()?.to_owned(),
            ))
        })
        .collect()
}

impl Deployer {
    /// A stack by name, or `None` when it does not exist.
    pub async fn describe(&self, stack: &str) -> Result<Option<Deployed>, DeployError> {
        read_stack(&self.client, stack)
            .await
            .map_err(|error| aws_error("DescribeStacks", stack, &error))
    }

    /// Every stack of an environment, deployed or not, in deployment order.
    pub async fn status(
        &self,
        env: Environment,
    ) -> Result<Vec<(String, Option<Deployed>)>, DeployError> {
        let mut found = Vec::new();
        for stack in self.project.deployment_order(env)? {
            let name = self.project.stack_name(&stack.path);
            found.push((stack.path.clone(), self.describe(&name).await?));
        }
        Ok(found)
    }

    /// The deployed batch stack of an environment.
    pub async fn batch_stack(&self, env: Environment) -> Result<Deployed, DeployError> {
        let name = self.project.stack_name(&batch_stack_path(env));
        self.describe(&name)
            .await?
            .ok_or_else(|| DeployError::NotDeployed {
                stack: name,
                env: env.to_string(),
            })
    }
}
