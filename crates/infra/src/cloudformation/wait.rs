//! Waiting for CloudFormation to finish creating, updating or deleting a stack, with the SDK's
//! waiters (DescribeStacks polled with backoff until the stack settles), then judging where it
//! settled: only the status the operation aims for is success; any other is a failure shown
//! with the events that explain it.
//!
//! The waiters' own verdicts are not trusted alone: the create waiter, for one, accepts every
//! `UPDATE_*` status (AWS's waiter model), and a failure state carries no reason.

use std::time::Duration;

use aws_sdk_cloudformation::client::Waiters;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::types::{ResourceStatus, StackEvent, StackStatus};
use aws_sdk_cloudformation::waiters::stack_create_complete::{
    StackCreateCompleteFinalPoll, WaitUntilStackCreateCompleteError,
};

use super::Deployer;
use super::describe::{deployed, is_missing_stack};
use super::error::{DeployError, aws_error};

/// How long a stack may take to create, update or delete.
pub(super) const PATIENCE: Duration = Duration::from_secs(3600);

/// What every stack waiter answers: they all poll DescribeStacks, so the create waiter's types
/// are the update and delete waiters' too.
type Waited = Result<StackCreateCompleteFinalPoll, WaitUntilStackCreateCompleteError>;

/// A stack operation CloudFormation carries out on its own after the request is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    fn describe(self) -> &'static str {
        match self {
            Operation::Create => "creating",
            Operation::Update => "updating",
            Operation::Delete => "deleting",
        }
    }

    /// Whether a stack in `status` (`None`: gone) is where this operation was headed.
    fn reached(self, status: Option<&StackStatus>) -> bool {
        match self {
            Operation::Create => status == Some(&StackStatus::CreateComplete),
            Operation::Update => status == Some(&StackStatus::UpdateComplete),
            Operation::Delete => status.is_none(),
        }
    }
}

impl Deployer {
    /// Waits until CloudFormation has finished `operation` on `stack`: `Ok` when the stack
    /// reached the operation's goal, else why not.
    pub(super) async fn wait_for(
        &self,
        stack: &str,
        operation: Operation,
    ) -> Result<(), DeployError> {
        let waited = match operation {
            Operation::Create => {
                let waiter = self.client.wait_until_stack_create_complete();
                waiter.stack_name(stack).wait(PATIENCE).await
            }
            Operation::Update => {
                let waiter = self.client.wait_until_stack_update_complete();
                waiter.stack_name(stack).wait(PATIENCE).await
            }
            Operation::Delete => {
                let waiter = self.client.wait_until_stack_delete_complete();
                waiter.stack_name(stack).wait(PATIENCE).await
            }
        };
        let status = settled_status(stack, operation, waited)?;
        if operation.reached(status.as_ref()) {
            return Ok(());
        }
        Err(DeployError::Failed {
            stack: stack.to_owned(),
            // A stack that vanished while it was being created or updated was deleted.
            status: status.unwrap_or(StackStatus::DeleteComplete),
            events: self.failure_events(stack).await,
        })
    }

    /// The events that say why a stack failed, one line each.
    async fn failure_events(&self, stack: &str) -> String {
        let answer = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await;
        let events = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let reason = aws_error("DescribeStackEvents", stack, &error);
                return format!("(its events could not be read: {reason})");
            }
        };
        let lines: Vec<String> = events
            .stack_events()
            .iter()
            .filter(|e| e.resource_status().is_some_and(is_failure))
            .map(event_line)
            .collect();
        if lines.is_empty() {
            "(no failed resource events)".into()
        } else {
            lines.join("\n")
        }
    }
}

/// Where the stack settled when the waiter stopped: its status, or `None` when it is gone.
fn settled_status(
    stack: &str,
    operation: Operation,
    waited: Waited,
) -> Result<Option<StackStatus>, DeployError> {
    match waited {
        // The waiter's goal or one of its failure states: either way, its last DescribeStacks.
        Ok(poll) => status_in(stack, poll.as_result()),
        Err(WaitUntilStackCreateCompleteError::FailureState(failure)) => {
            status_in(stack, failure.final_poll().as_result())
        }
        Err(WaitUntilStackCreateCompleteError::ExceededMaxWait(_)) => Err(DeployError::TimedOut {
            what: operation.describe(),
            stack: stack.to_owned(),
            patience: PATIENCE,
        }),
        Err(other) => Err(aws_error("DescribeStacks", stack, &other)),
    }
}

/// The status one DescribeStacks answer gives, `None` for a stack that does not exist.
fn status_in<E>(
    stack: &str,
    answer: Result<&DescribeStacksOutput, &E>,
) -> Result<Option<StackStatus>, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(answer) => Ok(deployed(stack, answer).map(|found| found.status)),
        Err(error) if is_missing_stack(error) => Ok(None),
        Err(error) => Err(aws_error("DescribeStacks", stack, error)),
    }
}

/// Whether a resource event reports a failure (the events that explain a failed stack).
fn is_failure(status: &ResourceStatus) -> bool {
    use ResourceStatus as R;
    match status {
        R::CreateFailed
        | R::DeleteFailed
        | R::ExportFailed
        | R::ExportRollbackFailed
        | R::ImportFailed
        | R::ImportRollbackFailed
        | R::RollbackFailed
        | R::UpdateFailed
        | R::UpdateRollbackFailed => true,
        newer => newer.as_str().ends_with("FAILED"),
    }
}

fn event_line(event: &StackEvent) -> String {
    format!(
        "  {} {}: {}",
        event.logical_resource_id().unwrap_or_default(),
        event.resource_status().map_or("", |s| s.as_str()),
        event.resource_status_reason().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_status_an_operation_aims_for_counts_as_reaching_it() {
        let create = Operation::Create;
        assert!(create.reached(Some(&StackStatus::CreateComplete)));
        // The SDK's create waiter stops happily here; a deploy must not.
        assert!(!create.reached(Some(&StackStatus::UpdateFailed)));
        assert!(!create.reached(Some(&StackStatus::RollbackComplete)));
        assert!(!create.reached(None));
        let update = Operation::Update;
        assert!(update.reached(Some(&StackStatus::UpdateComplete)));
        assert!(!update.reached(Some(&StackStatus::UpdateRollbackComplete)));
        let delete = Operation::Delete;
        assert!(delete.reached(None));
        assert!(!delete.reached(Some(&StackStatus::DeleteFailed)));
    }

    #[test]
    fn failed_resource_events_are_the_ones_shown() {
        assert!(is_failure(&ResourceStatus::CreateFailed));
        assert!(is_failure(&ResourceStatus::UpdateRollbackFailed));
        assert!(!is_failure(&ResourceStatus::CreateComplete));
        assert!(!is_failure(&ResourceStatus::DeleteSkipped));
        assert!(is_failure(&ResourceStatus::from("REFACTOR_FAILED")));
    }
}
