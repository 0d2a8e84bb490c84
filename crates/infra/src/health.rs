//! One policy for what a CloudFormation stack's status means, shared by everything that reads a
//! stack: `fredbatch run --stack` submits only to a usable stack, and `fredbatch infra deploy`
//! updates only a usable one.

use aws_sdk_cloudformation::types::StackStatus;

/// What a stack in a given status can be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackHealth {
    /// Its resources are in place: jobs can run on it and it can be updated. This includes
    /// UPDATE_ROLLBACK_COMPLETE: a failed update was undone and the previous resources stand.
    Usable,
    /// CloudFormation is working on it (`*_IN_PROGRESS`): wait until it finishes.
    Busy,
    /// A failed creation, rollback or deletion: it needs deleting (or fixing by hand).
    Broken,
}

/// The health of a stack CloudFormation reports in `status`. Every status this SDK knows is
/// named, so a reviewer sees where each one goes; a status added to CloudFormation later is
/// judged by its name (busy while `_IN_PROGRESS`, else broken until someone looks).
pub fn stack_health(status: &StackStatus) -> StackHealth {
    use StackStatus as S;
    match status {
        S::CreateComplete
        | S::UpdateComplete
        | S::UpdateRollbackComplete
        | S::ImportComplete
        | S::ImportRollbackComplete => StackHealth::Usable,
        S::CreateInProgress
        | S::DeleteInProgress
        | S::ImportInProgress
        | S::ImportRollbackInProgress
        | S::ReviewInProgress
        | S::RollbackInProgress
        | S::UpdateCompleteCleanupInProgress
        | S::UpdateInProgress
        | S::UpdateRollbackCompleteCleanupInProgress
        | S::UpdateRollbackInProgress => StackHealth::Busy,
        S::CreateFailed
        | S::DeleteComplete
        | S::DeleteFailed
        | S::ImportRollbackFailed
        | S::RollbackComplete
        | S::RollbackFailed
        | S::UpdateFailed
        | S::UpdateRollbackFailed => StackHealth::Broken,
        newer if newer.as_str().ends_with("_IN_PROGRESS") => StackHealth::Busy,
        _ => StackHealth::Broken,
    }
}

#[cfg(test)]
mod tests;
