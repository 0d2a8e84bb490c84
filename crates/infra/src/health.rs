//! One policy for what a CloudFormation stack's status means, shared by everything that reads a
//! stack: `fredbatch run --stack` submits only to a usable stack, and `fredbatch infra deploy`
//! updates only a usable one.

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

/// The health of a stack whose status CloudFormation reports as `status`.
pub fn stack_health(status: &str) -> StackHealth {
    match status {
        "CREATE_COMPLETE"
        | "UPDATE_COMPLETE"
        | "UPDATE_ROLLBACK_COMPLETE"
        | "IMPORT_COMPLETE"
        | "IMPORT_ROLLBACK_COMPLETE" => StackHealth::Usable,
        _ if status.ends_with("_IN_PROGRESS") => StackHealth::Busy,
        _ => StackHealth::Broken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_stacks_are_usable_including_a_rolled_back_update() {
        for status in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
            "IMPORT_COMPLETE",
            "IMPORT_ROLLBACK_COMPLETE",
        ] {
            assert_eq!(stack_health(status), StackHealth::Usable, "{status}");
        }
    }

    #[test]
    fn stacks_cloudformation_is_working_on_are_busy() {
        for status in [
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "ROLLBACK_IN_PROGRESS",
            "DELETE_IN_PROGRESS",
            "REVIEW_IN_PROGRESS",
        ] {
            assert_eq!(stack_health(status), StackHealth::Busy, "{status}");
        }
    }

    #[test]
    fn failed_and_rolled_back_creations_are_broken() {
        for status in [
            "ROLLBACK_COMPLETE",
            "ROLLBACK_FAILED",
            "CREATE_FAILED",
            "UPDATE_FAILED",
            "UPDATE_ROLLBACK_FAILED",
            "DELETE_FAILED",
            "DELETE_COMPLETE",
            "IMPORT_ROLLBACK_FAILED",
            "",
        ] {
            assert_eq!(stack_health(status), StackHealth::Broken, "{status:?}");
        }
    }
}
