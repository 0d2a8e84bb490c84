//! Status names inside SQL text, always taken from the domain's enums (a renamed status cannot
//! leave a statement behind). Statements bind values as parameters; only these enum names and
//! integers are formatted into their text.

use std::fmt::Display;

use fredbatch_core::RunStatus;

/// `'A', 'B'`: SQL literals of the given names.
fn literals<T: Display>(names: impl IntoIterator<Item = T>) -> String {
    names
        .into_iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `'DONE'`: the literal of one run status.
pub fn run_status(status: RunStatus) -> String {
    literals([status])
}

/// `<column> IN ('ERROR', 'CANCELLED')`.
pub fn run_status_in(column: &str, statuses: &[RunStatus]) -> String {
    format!("{column} IN ({})", literals(statuses))
}

/// `<column> NOT IN (<every terminal status>)`: the run has not ended. Every update of an open
/// run says so, and leaves ended runs alone.
pub fn run_is_open(column: &str) -> String {
    let terminal = RunStatus::ALL.into_iter().filter(|s| s.is_terminal());
    format!("{column} NOT IN ({})", literals(terminal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_the_literals_stored_rows_hold() {
        assert_eq!(run_status(RunStatus::Queued), "'QUEUED'");
        assert_eq!(
            run_is_open("runs.status"),
            "runs.status NOT IN ('DONE', 'ERROR', 'CANCELLED')"
        );
        assert_eq!(
            run_status_in("status", &[RunStatus::Error, RunStatus::Cancelled]),
            "status IN ('ERROR', 'CANCELLED')"
        );
    }
}
