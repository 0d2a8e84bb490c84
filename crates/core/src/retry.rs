//! Retry strategy with AWS Batch's semantics, so the local executor retries exactly what the job
//! definition would.
//!
//! AWS Batch evaluates `evaluateOnExit` rules in order; the first rule whose every condition
//! matches decides (RETRY or EXIT). A failure no rule matches is *retried* while attempts remain,
//! which is why a strategy that means "retry only interruptions" must end with a catch-all EXIT.
//! A pattern matches exactly, or by prefix when it ends with `*`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryAction {
    Retry,
    Exit,
}

/// One `evaluateOnExit` entry. Absent conditions match anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryRule {
    pub on_status_reason: Option<String>,
    pub on_reason: Option<String>,
    pub on_exit_code: Option<String>,
    pub action: RetryAction,
}

/// How an attempt ended, in the terms the rules look at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttemptExit<'a> {
    /// The container's (locally: the worker process's) exit code, if it exited.
    pub exit_code: Option<i32>,
    /// The backend's reason for the attempt's end, e.g. `Host EC2 (instance i-0ab) terminated.`
    pub status_reason: Option<&'a str>,
    /// The container's own reason, e.g. `OutOfMemoryError: Container killed due to memory usage`.
    pub reason: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryStrategy {
    /// Total attempts allowed, including the first (AWS allows 1 to 10).
    pub attempts: u32,
    pub evaluate_on_exit: Vec<RetryRule>,
}

impl RetryStrategy {
    /// Retry only failures whose status reason starts with `interruption_prefix` (for AWS the
    /// job definition's `Host EC2*`, a reclaimed Spot instance); every other failure ends the run.
    pub fn interruptions_only(attempts: u32, interruption_pattern: &str) -> Self {
        RetryStrategy {
            attempts,
            evaluate_on_exit: vec![
                RetryRule {
                    on_status_reason: Some(interruption_pattern.to_owned()),
                    on_reason: None,
                    on_exit_code: None,
                    action: RetryAction::Retry,
                },
                RetryRule {
                    on_status_reason: None,
                    on_reason: Some("*".to_owned()),
                    on_exit_code: None,
                    action: RetryAction::Exit,
                },
            ],
        }
    }

    /// What to do after attempt number `attempt` (1-based) ended as `exit`.
    pub fn decide(&self, attempt: u32, exit: &AttemptExit<'_>) -> RetryAction {
        if attempt >= self.attempts {
            return RetryAction::Exit;
        }
        self.evaluate_on_exit
            .iter()
            .find(|rule| rule.matches(exit))
            .map_or(RetryAction::Retry, |rule| rule.action)
    }
}

impl RetryRule {
    fn matches(&self, exit: &AttemptExit<'_>) -> bool {
        let exit_code = exit.exit_code.map(|code| code.to_string());
        condition(&self.on_status_reason, exit.status_reason)
            && condition(&self.on_reason, exit.reason)
            && condition(&self.on_exit_code, exit_code.as_deref())
    }
}

fn condition(pattern: &Option<String>, value: Option<&str>) -> bool {
    match pattern {
        None => true,
        Some(pattern) => pattern_matches(pattern, value.unwrap_or("")),
    }
}

/// AWS Batch's pattern: exact, or a prefix match when the pattern ends with `*`.
pub fn pattern_matches(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => value == pattern,
    }
}

#[cfg(test)]
mod tests;
