//! What can go wrong deploying, inspecting or deleting stacks, each error naming the stack and
//! saying what to do next.

use std::time::Duration;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudformation::types::StackStatus;

use crate::project::ProjectError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("CloudFormation refused {operation} for {stack}: {message}")]
    Aws {
        operation: &'static str,
        stack: String,
        message: String,
    },
    #[error(
        "stack {stack} is {status}: CloudFormation cannot update it. Delete it \
         (`fredbatch infra delete` or the console) and deploy again"
    )]
    Stuck { stack: String, status: StackStatus },
    #[error(
        "stack {stack} is {status}: an operation on it has not finished (a stack in \
         REVIEW_IN_PROGRESS waits for its change set to be executed or deleted); deploy again \
         once `fredbatch infra status` shows it complete"
    )]
    Busy { stack: String, status: StackStatus },
    #[error("stack {stack} ended {status}:\n{events}")]
    Failed {
        stack: String,
        status: StackStatus,
        events: String,
    },
    #[error(
        "{what} {stack} did not finish within {} minutes; see `fredbatch infra status` and \
         the stack's events in the CloudFormation console",
        .patience.as_secs() / 60
    )]
    TimedOut {
        /// What was under way, e.g. `creating`.
        what: &'static str,
        stack: String,
        patience: Duration,
    },
    #[error("stack {stack} is not deployed; deploy it with `fredbatch infra deploy --env {env}`")]
    NotDeployed { stack: String, env: String },
    #[error("--param {0}: give KEY=VALUE or STACK_PATH:KEY=VALUE")]
    BadOverride(String),
}

/// CloudFormation's (or the SDK's) objection to `operation` on `stack`: its message when the
/// service sent one, else the whole error chain (a connection failure, a timeout).
pub(crate) fn aws_error<E>(operation: &'static str, stack: &str, error: &E) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    DeployError::Aws {
        operation,
        stack: stack.to_owned(),
        message: error
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| DisplayErrorContext(error).to_string()),
    }
}
