//! What a deploy or delete did to each stack, as reported to the user (text or JSON).

use std::fmt;

/// What happened (or, in a dry run, would happen) to one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum StackAction {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "updated")]
    Updated,
    /// Deployed already with this template and these parameters.
    #[serde(rename = "unchanged")]
    Unchanged,
    #[serde(rename = "would create")]
    WouldCreate,
    #[serde(rename = "would update")]
    WouldUpdate,
    #[serde(rename = "deleted")]
    Deleted,
    /// Asked to delete a stack that was not deployed.
    #[serde(rename = "absent")]
    Absent,
}

impl StackAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StackAction::Created => "created",
            StackAction::Updated => "updated",
            StackAction::Unchanged => "unchanged",
            StackAction::WouldCreate => "would create",
            StackAction::WouldUpdate => "would update",
            StackAction::Deleted => "deleted",
            StackAction::Absent => "absent",
        }
    }
}

impl fmt::Display for StackAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so a table can align actions with `{:<14}`.
        f.pad(self.as_str())
    }
}

/// What happened to one stack.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StackChange {
    /// The stack file under `config/`, e.g. `dev/batch-infrastructure.yaml`.
    pub path: String,
    /// The CloudFormation stack name.
    pub name: String,
    pub action: StackAction,
    /// For dry runs and updates: the changes, one line each.
    pub changes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_the_same_in_text_and_json() {
        for action in [
            StackAction::Created,
            StackAction::Updated,
            StackAction::Unchanged,
            StackAction::WouldCreate,
            StackAction::WouldUpdate,
            StackAction::Deleted,
            StackAction::Absent,
        ] {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
        assert_eq!(
            format!("{:<14}|", StackAction::WouldCreate),
            "would create  |"
        );
    }
}
