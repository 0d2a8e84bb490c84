//! Running the engine (FRED, or the demo engine) as a child process: its output streamed to a
//! log file and to our stdout, its last lines kept for judging, and its resource use read from
//! the kernel when it is reaped.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fredbatch_core::judge::EngineExit;
use fredbatch_core::model::Measurements;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::measure::{Reaped, wait_and_measure};

/// How many of the engine's last lines are kept for the failure reason.
const TAIL_LINES: usize = 40;

/// The engine program and any arguments that come before FRED's own.
#[derive(Clone, Debug)]
pub struct Engine {
    pub program: PathBuf,
    pub leading_args: Vec<OsString>,
    /// What tells one build of it from another, for runs' fingerprints.
    pub build: EngineBuild,
}

/// What identifies an engine's build: what it computes depends on nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineBuild {
    /// FRED: its executable and its defaults file, by content (a missing file counts as such).
    Files(Vec<PathBuf>),
    /// The demo engine of this fredbatch release.
    BuiltIn(String),
}

impl Engine {
    /// Real FRED from an installation directory.
    pub fn fred(fred_home: &Path) -> Engine {
        let program = fred_home.join("bin/FRED");
        Engine {
            build: EngineBuild::Files(vec![program.clone(), fred_home.join("data/config.fred")]),
            program,
            leading_args: Vec::new(),
        }
    }

    /// The demo engine built into the `fredbatch` executable.
    pub fn demo(fredbatch: PathBuf) -> Engine {
        Engine {
            program: fredbatch,
            leading_args: vec!["demo-fred".into()],
            build: EngineBuild::BuiltIn(format!(
                "the demo engine of fredbatch {}",
                env!("CARGO_PKG_VERSION")
            )),
        }
    }

    pub fn describe(&self) -> String {
        let mut text = self.program.display().to_string();
        for arg in &self.leading_args {
            text.push(' ');
            text.push_str(&arg.to_string_lossy());
        }
        text
    }
}

/// What one engine invocation did.
#[derive(Debug)]
pub struct EngineRun {
    pub exit: EngineExit,
    pub measurements: Measurements,
    pub last_lines: Vec<String>,
}

/// A running engine. Its stdout and stderr go to `log` and to our stdout.
pub struct RunningEngine {
    pid: Pid,
    started: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
    reaper: tokio::task::JoinHandle<std::io::Result<Reaped>>,
    pump: std::thread::JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot start the engine {engine}: {source}. Check FRED_HOME (FRED must be at $FRED_HOME/bin/FRED)"
)]
pub struct SpawnError {
    engine: String,
    #[source]
    source: std::io::Error,
}

pub fn start(
    engine: &Engine,
    program: &Path,
    run_number: u32,
    out_dir: &Path,
    cwd: &Path,
    log: File,
) -> Result<RunningEngine, SpawnError> {
    let spawn_error = |source| SpawnError {
        engine: engine.describe(),
        source,
    };
    let mut command = Command::new(&engine.program);
    command
        .args(&engine.leading_args)
        .arg("-p")
        .arg(program)
        .arg("-r")
        .arg(run_number.to_string())
        .arg("-d")
        .arg(out_dir)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log.try_clone().map_err(spawn_error)?);
    // If the worker is killed outright, the engine must not run on unsupervised.
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(spawn_error)?;
    let pid = Pid::from_raw(child.id() as i32);
    let stdout = child.stdout.take().expect("stdout is piped");
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
    let pump = {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || pump_output(stdout, log, &tail))
    };
    // The child is reaped with wait4 (for its rusage), never through `Child::wait`.
    drop(child);
    let reaper = tokio::task::spawn_blocking(move || wait_and_measure(pid));
    Ok(RunningEngine {
        pid,
        started,
        tail,
        reaper,
        pump,
    })
}

impl RunningEngine {
    /// Waits for the engine to end.
    pub async fn wait(self) -> std::io::Result<EngineRun> {
        let reaped = self.reaper.await.map_err(std::io::Error::other)??;
        let wall_seconds = self.started.elapsed().as_secs_f64();
        let _ = self.pump.join();
        let last_lines = self
            .tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        Ok(EngineRun {
            exit: reaped.exit,
            measurements: Measurements {
                wall_seconds,
                cpu_seconds: reaped.cpu_seconds,
                peak_rss_kb: reaped.peak_rss_kb,
                output_bytes: 0,
            },
            last_lines,
        })
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }
}

/// Asks the engine `pid` to stop (SIGTERM), forces it (SIGKILL) after `grace`, and finishes
/// `wait`, the engine's pending [`RunningEngine::wait`].
pub async fn stop(
    pid: Pid,
    grace: Duration,
    wait: impl std::future::Future<Output = std::io::Result<EngineRun>>,
) -> std::io::Result<EngineRun> {
    let _ = kill(pid, Signal::SIGTERM);
    let force = tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        let _ = kill(pid, Signal::SIGKILL);
    });
    let run = wait.await;
    force.abort();
    run
}

/// Copies the engine's stdout line by line to the log, to our stdout, and into the tail.
fn pump_output(stdout: std::process::ChildStdout, mut log: File, tail: &Mutex<VecDeque<String>>) {
    let mut reader = BufReader::new(stdout);
    let mut ours = std::io::stdout().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let _ = log.write_all(&line);
        let _ = ours.write_all(&line);
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(text);
        }
    }
    let _ = ours.flush();
    let _ = log.flush();
}
