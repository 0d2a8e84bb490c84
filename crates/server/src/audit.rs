//! The audit log: one line per state change made through the server (who, what, which job),
//! under its own tracing target (`fredbatch::audit`) so an operator can keep it apart:
//! `RUST_LOG=fredbatch::audit=info`.

use fredbatch_store::User;

/// Records that `user` did `action` to `job` (`detail`: what else the line needs).
pub fn record(user: &User, action: &'static str, job: i64, detail: &str) {
    tracing::info!(
        target: "fredbatch::audit",
        user = %user.name,
        action,
        job,
        detail,
        "audit"
    );
}
