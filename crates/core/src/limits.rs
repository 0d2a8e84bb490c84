//! Limits and defaults every front end and backend shares: how large a job may be, and which
//! backend reason means the machine went away under a run (the only failure retried).

/// Runs one job may hold, across every configuration: on the command line, in a sweep, and
/// through the platform API.
pub const MAX_RUNS_PER_JOB: u32 = 100_000;

/// AWS Batch's status reason for an attempt whose Spot instance was reclaimed starts with
/// this (`Host EC2 (instance i-...) terminated.`), as a retry strategy's `onStatusReason`
/// pattern: the stack's job definition and the AWS Batch backend's submissions retry on it.
pub const SPOT_INTERRUPTION_PATTERN: &str = "Host EC2*";

/// Whether a status reason says AWS reclaimed the Spot instance running the attempt.
pub fn is_spot_interruption(status_reason: &str) -> bool {
    status_reason.starts_with(SPOT_INTERRUPTION_PATTERN.trim_end_matches('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spot_pattern_matches_a_reclaimed_instance() {
        assert!(is_spot_interruption(
            "Host EC2 (instance i-0abc) terminated."
        ));
        assert!(!is_spot_interruption("Host killed the worker"));
        assert!(crate::sync::is_interruption(
            "Host EC2 (instance i-0abc) terminated."
        ));
    }
}
