//! What supervision counts for operators, through the `metrics` facade: nothing is kept unless
//! a front end installs a recorder, as `fredbatch serve` does for its `/metrics`.

use std::time::Duration;

/// One call to the backend (`describe`, `submit`), and whether it failed.
pub(crate) fn backend_call<T, E>(call: &'static str, result: &Result<T, E>) {
    metrics::counter!("fredbatch_backend_requests_total", "call" => call).increment(1);
    if result.is_err() {
        metrics::counter!("fredbatch_backend_errors_total", "call" => call).increment(1);
    }
}

/// How long one supervision round took.
pub(crate) fn round_took(elapsed: Duration) {
    metrics::histogram!("fredbatch_supervision_round_seconds").record(elapsed.as_secs_f64());
}

/// One inputs check's outcome: `passed`, `refused`, `configs_refused` (FRED's check refused
/// some configurations) or `failed` (it could not be made).
pub(crate) fn inputs_check(outcome: &'static str) {
    metrics::counter!("fredbatch_inputs_checks_total", "outcome" => outcome).increment(1);
}
