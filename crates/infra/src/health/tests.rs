use super::*;

fn health(status: &str) -> StackHealth {
    stack_health(&StackStatus::from(status))
}

#[test]
fn complete_stacks_are_usable_including_a_rolled_back_update() {
    for status in [
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    ] {
        assert_eq!(health(status), StackHealth::Usable, "{status}");
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
        assert_eq!(health(status), StackHealth::Busy, "{status}");
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
        assert_eq!(health(status), StackHealth::Broken, "{status:?}");
    }
}

#[test]
fn every_status_this_sdk_knows_is_judged_by_name_as_its_suffix_says() {
    for status in StackStatus::values() {
        let expected = match *status {
            s if s.ends_with("_IN_PROGRESS") => StackHealth::Busy,
            "CREATE_COMPLETE"
            | "UPDATE_COMPLETE"
            | "UPDATE_ROLLBACK_COMPLETE"
            | "IMPORT_COMPLETE"
            | "IMPORT_ROLLBACK_COMPLETE" => StackHealth::Usable,
            _ => StackHealth::Broken,
        };
        assert_eq!(health(status), expected, "{status}");
    }
}

#[test]
fn a_status_newer_than_this_sdk_is_busy_while_in_progress_else_broken() {
    assert_eq!(health("REFACTOR_IN_PROGRESS"), StackHealth::Busy);
    assert_eq!(health("REFACTOR_FAILED"), StackHealth::Broken);
}
