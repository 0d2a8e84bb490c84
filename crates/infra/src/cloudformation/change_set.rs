//! Updating an existing stack through a change set: created, waited for with the SDK's waiter,
//! then either executed or (for a dry run) shown and deleted. "Nothing to change" is not an
//! error: CloudFormation reports it as a failed (or refused) change set, which is deleted.
//!
//! - **change set**: CloudFormation's computed difference between the deployed stack and the
//!   new template and parameters, listed as resource changes before anything is touched.

use aws_sdk_cloudformation::client::Waiters;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType};
use aws_sdk_cloudformation::waiters::change_set_create_complete::WaitUntilChangeSetCreateCompleteError;

use super::Deployer;
use super::deploy::StackRequest;
use super::error::{DeployError, aws_error};
use super::wait::PATIENCE;

/// A change set that would change something: its name and its changes, one line each.
pub(super) struct PendingChanges {
    pub name: String,
    pub lines: Vec<String>,
}

impl Deployer {
    /// Creates an update change set for `request` and waits for it: `None` when there is
    /// nothing to change (the empty change set is deleted), else what it would change.
    pub(super) async fn change_set(
        &self,
        request: &StackRequest,
    ) -> Result<Option<PendingChanges>, DeployError> {
        let stack = request.name.as_str();
        let name = change_set_name();
        let created = self
            .client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .change_set_type(ChangeSetType::Update)
            .template_body(&request.body)
            .set_parameters(Some(request.parameters.clone()))
            .set_tags(Some(request.tags.clone()))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.message().is_some_and(no_changes) => return Ok(None),
            Err(error) => return Err(aws_error("CreateChangeSet", stack, &error)),
        }
        let described = match self.wait_for_change_set(stack, &name).await {
            Ok(described) => described,
            Err(error) => {
                self.delete_change_set(stack, &name).await;
                return Err(error);
            }
        };
        let lines = change_lines(&described);
        if described.status() == Some(&ChangeSetStatus::CreateComplete) && !lines.is_empty() {
            return Ok(Some(PendingChanges { name, lines }));
        }
        self.delete_change_set(stack, &name).await;
        match described.status() {
            Some(ChangeSetStatus::CreateComplete) => Ok(None),
            _ => {
                let reason = described.status_reason().unwrap_or_default();
                // CloudFormation reports "no changes" as a failed change set.
                if no_changes(reason) {
                    return Ok(None);
                }
                Err(DeployError::Aws {
                    operation: "CreateChangeSet",
                    stack: stack.to_owned(),
                    message: reason.to_owned(),
                })
            }
        }
    }

    /// The change set once CloudFormation has finished computing it (complete or failed).
    async fn wait_for_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<DescribeChangeSetOutput, DeployError> {
        let waited = self
            .client
            .wait_until_change_set_create_complete()
            .stack_name(stack)
            .change_set_name(change_set)
            .wait(PATIENCE)
            .await;
        match waited {
            Ok(poll) => poll
                .into_result()
                .map_err(|error| aws_error("DescribeChangeSet", stack, &error)),
            // A FAILED change set (its reason says why, or that nothing would change).
            Err(WaitUntilChangeSetCreateCompleteError::FailureState(failure)) => failure
                .into_final_poll()
                .into_result()
                .map_err(|error| aws_error("DescribeChangeSet", stack, &error)),
            Err(WaitUntilChangeSetCreateCompleteError::ExceededMaxWait(_)) => {
                Err(DeployError::TimedOut {
                    what: "computing the change set of",
                    stack: stack.to_owned(),
                    patience: PATIENCE,
                })
            }
            Err(other) => Err(aws_error("DescribeChangeSet", stack, &other)),
        }
    }

    /// Applies a change set computed by [`Deployer::change_set`].
    pub(super) async fn execute_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<(), DeployError> {
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| aws_error("ExecuteChangeSet", stack, &error))
    }

    /// Deletes a change set no one will execute. A failure is reported as progress, not as an
    /// error: a change set left behind is harmless, and whatever led here matters more.
    pub(super) async fn delete_change_set(&self, stack: &str, change_set: &str) {
        let deleted = self
            .client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await;
        if let Err(error) = deleted {
            let reason = aws_error("DeleteChangeSet", stack, &error);
            (self.progress)(&format!(
                "{stack}: change set {change_set} was left behind ({reason})"
            ));
        }
    }
}

/// A change set name no earlier deploy of the stack used.
fn change_set_name() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    format!("fredbatch-{seconds}")
}

/// A change set's resource changes, one line each: `Add Second (AWS::SQS::Queue)`.
fn change_lines(described: &DescribeChangeSetOutput) -> Vec<String> {
    described
        .changes()
        .iter()
        .filter_map(|change| change.resource_change())
        .map(|resource| {
            format!(
                "{} {} ({})",
                resource.action().map_or("?", |action| action.as_str()),
                resource.logical_resource_id().unwrap_or_default(),
                resource.resource_type().unwrap_or_default()
            )
        })
        .collect()
}

/// How CloudFormation says an update would change nothing (as a failed change set, or as an
/// error of CreateChangeSet itself).
fn no_changes(message: &str) -> bool {
    message.contains("didn't contain changes") || message.contains("No updates are to be performed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_cloudformation_says_nothing_would_change_are_recognised() {
        assert!(no_changes(
            "The submitted information didn't contain changes. Submit different information \
             to create a change set."
        ));
        assert!(no_changes("No updates are to be performed."));
        assert!(!no_changes("Parameters: [Needed] must have values"));
    }
}
