//! One attempt: spawn the worker in its own process group, wait for it (or for its timeout),
//! judge how it ended, and either finish the job or queue another attempt.

use std::os::unix::process::CommandExt as _;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::retry::{AttemptExit, RetryAction};
use fredbatch_core::sync::TIMEOUT_REASON;
use fredbatch_core::worker_command::backend_env;
use fredbatch_core::{BackendAttempt, BackendJobId, BackendState};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tracing::warn;

use crate::Inner;
use crate::logs::attempt_log;
use crate::memory;
use crate::state::StopCause;

pub async fn run(inner: Arc<Inner>, id: BackendJobId, number: u32) {
    let (args, spec) = {
        let state = inner.state.lock().expect("state lock");
        let entry = &state.jobs[&id];
        (entry.args.clone(), Arc::clone(&entry.spec))
    };
    let log_path = attempt_log(&inner.config.log_dir.join(&id.0), number);
    let outcome = match spawn(&inner, &id, number, &args, &log_path) {
        Ok(child) => {
            let limit_mb = spec.resources.memory_mb;
            supervise(&inner, &id, child, spec.attempt_timeout, limit_mb).await
        }
        Err(error) => Ended::CouldNotStart(error.to_string()),
    };
    finish(&inner, &id, number, outcome);
    let mut state = inner.state.lock().expect("state lock");
    state.release(spec.resources);
    drop(state);
    inner.wake.notify_one();
}

enum Ended {
    Exited(ExitStatus),
    Stopped(StopCause),
    CouldNotStart(String),
}

fn spawn(
    inner: &Inner,
    id: &BackendJobId,
    number: u32,
    args: &[String],
    log_path: &std::path::Path,
) -> std::io::Result<tokio::process::Child> {
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    let mut command = std::process::Command::new(&inner.config.program);
    command
        .args(args)
        .envs(inner.config.env.iter().map(|(k, v)| (k, v)))
        .envs(backend_env(&id.0, &number.to_string()))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own group, so a timeout or cancel reaches the worker and everything it started.
        .process_group(0);
    // The worker must not outlive the process that supervises it (a `kill -9` of
    // `fredbatch run`): the kernel sends it SIGTERM when the thread that spawned it ends.
    // Attempts are spawned from the runtime's worker threads, which live as long as it does.
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)
        });
    }
    let child = tokio::process::Command::from(command)
        .kill_on_drop(false)
        .spawn()?;
    let group = Pid::from_raw(child.id().expect("a spawned child has an id") as i32);
    let mut state = inner.state.lock().expect("state lock");
    let entry = state.jobs.get_mut(id).expect("job exists");
    let now = Utc::now();
    entry.state = BackendState::Running;
    entry.process_group = Some(group);
    entry.started_at.get_or_insert(now);
    entry.attempts.push(BackendAttempt {
        exit_code: None,
        status_reason: None,
        reason: None,
        started_at: Some(now),
        stopped_at: None,
        log_ref: Some(log_path.display().to_string()),
    });
    // A cancel that arrived while spawning.
    if entry.stop_cause.is_some() {
        terminate_group(group, inner.config.kill_grace);
    }
    Ok(child)
}

async fn supervise(
    inner: &Inner,
    id: &BackendJobId,
    mut child: tokio::process::Child,
    timeout: Duration,
    limit_mb: u64,
) -> Ended {
    let root = Pid::from_raw(child.id().expect("a running child has an id") as i32);
    let stop = |cause: StopCause| {
        let mut state = inner.state.lock().expect("state lock");
        let entry = state.jobs.get_mut(id).expect("job exists");
        entry.stop_cause.get_or_insert(cause);
        entry.process_group
    };
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut measure = tokio::time::interval(memory::MEASURE_EVERY);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = &mut deadline => {
                if let Some(group) = stop(StopCause::TimedOut) {
                    terminate_group(group, inner.config.kill_grace);
                }
                break child.wait().await;
            }
            _ = measure.tick() => {
                let used_kb = memory::tree_rss_kb(root);
                if used_kb > limit_mb * 1024 {
                    // As a container over its limit: killed at once, no grace.
                    if let Some(group) = stop(StopCause::OutOfMemory { peak_kb: used_kb, limit_mb }) {
                        let _ = killpg(group, Signal::SIGKILL);
                    }
                    break child.wait().await;
                }
            }
        }
    };
    let cause = inner.state.lock().expect("state lock").jobs[id]
        .stop_cause
        .clone();
    match (status, cause) {
        (_, Some(cause)) => Ended::Stopped(cause),
        (Ok(status), None) => Ended::Exited(status),
        (Err(error), None) => Ended::CouldNotStart(format!("lost track of the worker: {error}")),
    }
}

/// Records how the attempt ended and moves the job on: SUCCEEDED, FAILED, or RUNNABLE again.
fn finish(inner: &Inner, id: &BackendJobId, number: u32, ended: Ended) {
    let mut state = inner.state.lock().expect("state lock");
    let entry = state.jobs.get_mut(id).expect("job exists");
    entry.process_group = None;
    let now = Utc::now();
    let (exit_code, reason, retryable) = match &ended {
        Ended::Exited(status) if status.success() => (Some(0), None, false),
        Ended::Exited(status) => match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(status),
        ) {
            (Some(code), _) => (
                Some(code),
                Some(format!("Worker exited with status {code}")),
                true,
            ),
            (None, Some(signal)) => (None, Some(interruption(signal)), true),
            (None, None) => (None, Some("Worker ended without a status".to_owned()), true),
        },
        Ended::Stopped(StopCause::TimedOut) => (None, Some(TIMEOUT_REASON.to_owned()), false),
        Ended::Stopped(StopCause::OutOfMemory { peak_kb, limit_mb }) => (
            None,
            Some(memory::out_of_memory_reason(*peak_kb, *limit_mb)),
            false,
        ),
        Ended::Stopped(StopCause::Cancelled(reason)) => (None, Some(reason.clone()), false),
        Ended::CouldNotStart(error) => (
            None,
            Some(format!("Cannot start the worker: {error}")),
            false,
        ),
    };
    if let Some(attempt) = entry.attempts.last_mut() {
        attempt.exit_code = exit_code;
        attempt.status_reason.clone_from(&reason);
        attempt.stopped_at = Some(now);
    }
    let Some(reason) = reason else {
        entry.state = BackendState::Succeeded;
        entry.status_reason = None;
        entry.stopped_at = Some(now);
        return;
    };
    let action = if retryable {
        entry.spec.retry.decide(
            number,
            &AttemptExit {
                exit_code,
                status_reason: Some(&reason),
                reason: None,
            },
        )
    } else {
        RetryAction::Exit
    };
    match action {
        RetryAction::Retry => {
            warn!(job = %id, attempt = number, %reason, "attempt failed; retrying");
            entry.state = BackendState::Runnable;
            entry.status_reason = Some(reason);
            state.queue.push_back(id.clone());
        }
        RetryAction::Exit => entry.fail(reason),
    }
}

/// The local twin of AWS's `Host EC2 (instance …) terminated.`: the worker was killed by a
/// signal the executor did not send (the OOM killer, a `kill -9`, a shutdown).
fn interruption(signal: i32) -> String {
    let name = Signal::try_from(signal)
        .map(|s| s.as_str())
        .unwrap_or("unknown signal");
    format!("Host local: worker killed by signal {signal} ({name})")
}

/// SIGTERM to the whole group now, SIGKILL after `grace` to whatever is left of it.
pub fn terminate_group(group: Pid, grace: Duration) {
    let _ = killpg(group, Signal::SIGTERM);
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        let _ = killpg(group, Signal::SIGKILL);
    });
}
