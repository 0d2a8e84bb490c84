//! Running Slurm's tools: one process per call, counted (the benchmark reports how many calls a
//! submission and a refresh take), with stdout kept and a failure classified from stderr.

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::config::SlurmTools;
use crate::error::{FailureKind, SlurmError};

/// How many times each tool ran.
#[derive(Debug, Default)]
pub struct CallCounter {
    pub sbatch: AtomicU64,
    pub squeue: AtomicU64,
    pub scancel: AtomicU64,
    pub scontrol: AtomicU64,
    pub sinfo: AtomicU64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub sbatch: u64,
    pub squeue: u64,
    pub scancel: u64,
    pub scontrol: u64,
    pub sinfo: u64,
}

impl CallCounter {
    pub fn snapshot(&self) -> CallCounts {
        CallCounts {
            sbatch: self.sbatch.load(Ordering::Relaxed),
            squeue: self.squeue.load(Ordering::Relaxed),
            scancel: self.scancel.load(Ordering::Relaxed),
            scontrol: self.scontrol.load(Ordering::Relaxed),
            sinfo: self.sinfo.load(Ordering::Relaxed),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Sbatch,
    Squeue,
    Scancel,
    Scontrol,
    Sinfo,
}

/// The tools and their counter.
#[derive(Debug)]
pub struct Slurm {
    pub tools: SlurmTools,
    pub calls: CallCounter,
}

impl Slurm {
    pub fn new(tools: SlurmTools) -> Slurm {
        Slurm {
            tools,
            calls: CallCounter::default(),
        }
    }

    fn program(&self, tool: Tool) -> (&Path, &AtomicU64) {
        let (path, counter) = match tool {
            Tool::Sbatch => (&self.tools.sbatch, &self.calls.sbatch),
            Tool::Squeue => (&self.tools.squeue, &self.calls.squeue),
            Tool::Scancel => (&self.tools.scancel, &self.calls.scancel),
            Tool::Scontrol => (&self.tools.scontrol, &self.calls.scontrol),
            Tool::Sinfo => (&self.tools.sinfo, &self.calls.sinfo),
        };
        (path.as_path(), counter)
    }

    /// Runs `tool args`, returning its stdout; a non-zero exit is an error with its stderr.
    pub async fn run(&self, tool: Tool, args: &[String]) -> Result<String, SlurmError> {
        self.run_with(tool, args, &[], None).await
    }

    /// Runs `tool args` with extra environment `env` and `stdin` fed to it.
    pub async fn run_with(
        &self,
        tool: Tool,
        args: &[String],
        env: &[(String, String)],
        stdin: Option<&str>,
    ) -> Result<String, SlurmError> {
        let (program, counter) = self.program(tool);
        counter.fetch_add(1, Ordering::Relaxed);
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawn_error = |source| SlurmError::Spawn {
            program: program.display().to_string(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).await.map_err(spawn_error)?;
            // Dropping the pipe closes it: sbatch reads the script until end of input.
        }
        let output = child.wait_with_output().await.map_err(spawn_error)?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(SlurmError::Command {
            command: describe(program, args),
            status: output.status.to_string(),
            kind: FailureKind::classify(&stderr),
            stderr,
        })
    }
}

/// A command as the user would type it, for messages (long argument lists shortened).
fn describe(program: &Path, args: &[String]) -> String {
    let mut text = program.display().to_string();
    for arg in args.iter().take(12) {
        text.push(' ');
        text.push_str(arg);
    }
    if args.len() > 12 {
        text.push_str(" ...");
    }
    text
}
