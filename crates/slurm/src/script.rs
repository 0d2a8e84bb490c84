//! One sbatch call: its arguments and the batch script it reads on stdin.
//!
//! The script only names the task's backend id and attempt for the worker and `exec`s the
//! worker, so the worker is the job's process and Slurm's signals (cancel, time limit) reach it
//! directly. Every task writes its output to `<log dir>/<backend id>.attempt-<n>.log`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fredbatch_core::worker_command::backend_env;
use fredbatch_core::{JobSpec, Resources, WorkerCommand};

use crate::config::{Export, SlurmConfig};

/// What fredbatch records in each Slurm job's comment, so the job alone says how to retry it
/// (a process that describes it later may never have seen its JobSpec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub attempts: u32,
    pub resources: Resources,
    pub minutes: u64,
}

const COMMENT_PREFIX: &str = "fredbatch:";

/// Whether a job belongs to the fredbatch store tagged `tag`: jobs of other stores (another
/// user's, another FREDBATCH_HOME's) reuse the same names, since every store numbers its jobs
/// from 1, and must never be taken for ours. Jobs without fredbatch's comment, or written
/// before comments carried the store, are kept.
pub fn belongs_to(comment: Option<&str>, tag: &str) -> bool {
    let Some(fields) = comment.and_then(|c| c.strip_prefix(COMMENT_PREFIX)) else {
        return true;
    };
    fields
        .split(',')
        .find_map(|pair| pair.strip_prefix("store="))
        .is_none_or(|store| store == tag)
}

impl Recorded {
    pub fn of(job: &JobSpec) -> Recorded {
        Recorded {
            attempts: job.retry.attempts.max(1),
            resources: job.resources,
            minutes: minutes(job.attempt_timeout),
        }
    }

    pub fn comment(&self) -> String {
        format!(
            "{COMMENT_PREFIX}attempts={},cpus={},mem={},minutes={}",
            self.attempts, self.resources.vcpus, self.resources.memory_mb, self.minutes
        )
    }

    pub fn parse(comment: &str) -> Option<Recorded> {
        let fields = comment.strip_prefix(COMMENT_PREFIX)?;
        let value = |key: &str| {
            fields
                .split(',')
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                .and_then(|value| value.parse::<u64>().ok())
        };
        Some(Recorded {
            attempts: value("attempts")? as u32,
            resources: Resources {
                vcpus: value("cpus")? as u32,
                memory_mb: value("mem")?,
            },
            minutes: value("minutes")?,
        })
    }
}

/// `--time` in whole minutes: Slurm's granularity; rounded up, at least one.
pub fn minutes(timeout: Duration) -> u64 {
    timeout.as_secs().div_ceil(60).max(1)
}

/// The task log of attempt `attempt` of backend job `id`.
pub fn log_path(log_dir: &Path, id: &str, attempt: u32) -> PathBuf {
    log_dir.join(format!("{id}.attempt-{attempt}.log"))
}

/// Which tasks one sbatch call makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One run as a plain job; its backend id is the job id.
    Plain,
    /// An array of `tasks` tasks; backend ids `<array id>_<index>`.
    Array { tasks: usize },
    /// Attempt `attempt` of backend job `of`: a one-task array.
    Retry { of: String, attempt: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub args: Vec<String>,
    pub script: String,
    /// Set on sbatch's environment (and exported to the tasks).
    pub env: Vec<(String, String)>,
}

pub fn submission(
    config: &SlurmConfig,
    name: &str,
    shape: &Shape,
    recorded: &Recorded,
    worker: &WorkerCommand,
) -> Submission {
    let log_dir = config.log_dir.display();
    let (array, output, backend_id, attempt) = match shape {
        Shape::Plain => (
            None,
            format!("{log_dir}/%j.attempt-1.log"),
            "$SLURM_JOB_ID".to_owned(),
            1,
        ),
        Shape::Array { tasks } => (
            Some(format!("0-{}", tasks.saturating_sub(1))),
            format!("{log_dir}/%A_%a.attempt-1.log"),
            "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}".to_owned(),
            1,
        ),
        Shape::Retry { of, attempt } => (
            Some("0-0".to_owned()),
            log_path(&config.log_dir, of, *attempt)
                .display()
                .to_string(),
            quote(of),
            *attempt,
        ),
    };
    let mut args: Vec<String> = vec![
        "--parsable".into(),
        format!("--job-name={name}"),
        // Slurm must not requeue an interrupted run itself: this backend retries it as a new
        // attempt, counted against the run's attempts (see crate::retry).
        "--no-requeue".into(),
        format!("--cpus-per-task={}", recorded.resources.vcpus),
        format!("--mem={}M", recorded.resources.memory_mb),
        format!("--time={}", recorded.minutes),
        format!("--output={output}"),
        format!(
            "--comment={},store={}",
            recorded.comment(),
            config.store_tag()
        ),
    ];
    if let Some(array) = array {
        args.push(format!("--array={array}"));
    }
    for (flag, value) in [
        ("--partition", &config.partition),
        ("--account", &config.account),
        ("--qos", &config.qos),
    ] {
        if let Some(value) = value {
            args.push(format!("{flag}={value}"));
        }
    }
    let env = config.env.clone();
    args.push(match &config.export {
        Export::All => "--export=ALL".to_owned(),
        Export::Only(names) => {
            let mut exported: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|name| std::env::var_os(name).is_some())
                .chain(env.iter().map(|(name, _)| name.as_str()))
                .collect();
            exported.sort_unstable();
            exported.dedup();
            if exported.is_empty() {
                "--export=NONE".to_owned()
            } else {
                format!("--export={}", exported.join(","))
            }
        }
    });
    args.extend(config.extra_args.iter().cloned());
    let mut script = format!("#!/bin/sh\n# fredbatch: {name}\n");
    // The values are shell words: the backend id of an array task is Slurm's variables.
    for (variable, value) in backend_env(&backend_id, &attempt.to_string()) {
        script.push_str(&format!("export {variable}={value}\n"));
    }
    script.push_str("exec ");
    script.push_str(&quote(&config.program.display().to_string()));
    for arg in worker.args() {
        script.push(' ');
        script.push_str(&quote(&arg));
    }
    script.push('\n');
    Submission { args, script, env }
}

/// `text` as one shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests;
