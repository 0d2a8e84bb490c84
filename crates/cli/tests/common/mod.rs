//! Running the real `fredbatch` binary against a throwaway home folder.

#![allow(dead_code)]

pub mod batch_stack;
pub mod epx;
pub mod serve;
pub mod services;
pub mod store;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// The `fredbatch` its commands run: this build's, unless a benchmark measures another
    /// build beside it.
    pub binary: PathBuf,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::with_binary(PathBuf::from(env!("CARGO_BIN_EXE_fredbatch")))
    }

    /// A sandbox whose commands run `binary` (another build of fredbatch).
    pub fn with_binary(binary: PathBuf) -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            binary,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `fredbatch` with this sandbox's home and none of the caller's configuration.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        for name in [
            "FRED_HOME",
            "DATABASE_URL",
            "FREDBATCH_UPLOADS",
            "FREDBATCH_RESULTS",
            "FREDBATCH_OUTPUT",
            "AWS_BATCH_JOB_DEFINITION",
            "AWS_BATCH_JOB_QUEUE",
            "FREDBATCH_STACK",
        ] {
            command.env_remove(name);
        }
        command
            .env("FREDBATCH_HOME", self.home())
            .current_dir(self.path());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run fredbatch")
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fredbatch")
    }

    /// `fredbatch --output json ARGS`, parsed; panics with stderr when it fails.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                text(&output.stdout),
                text(&output.stderr)
            )
        })
    }

    /// A model directory with a tiny, fast model.
    pub fn model(&self, name: &str, main: &str) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.fred"), main).unwrap();
        dir
    }

    pub fn tiny_model(&self) -> PathBuf {
        self.model("tiny", TINY_MODEL)
    }

    /// A FRED installation whose `bin/FRED` is the given shell script, to provoke what the demo
    /// engine never does (hanging, being killed, writing nothing). The script may call the
    /// functions of [`FAKE_FRED_WAITS`]; FRED's check mode finds nothing to say.
    pub fn fake_fred(&self, script: &str) -> PathBuf {
        self.fred_script(&format!(
            "{FAKE_FRED_WAITS}{FAKE_FRED_CHECKS_NOTHING}{script}"
        ))
    }

    /// A FRED installation whose `bin/FRED` is `script` alone, check mode included; it may
    /// call the functions of [`FAKE_FRED_WAITS`].
    pub fn fred_script(&self, script: &str) -> PathBuf {
        let home = self.path().join("fake-fred");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let fred = home.join("bin/FRED");
        std::fs::write(&fred, format!("#!/bin/sh\n{script}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    /// A FRED installation whose `bin/FRED` is the demo engine, contract and all (its check
    /// mode included, unlike [`Sandbox::fake_fred`]'s).
    pub fn demo_fred_home(&self) -> PathBuf {
        let home = self.path().join("fake-fred");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let fred = home.join("bin/FRED");
        let script = format!(
            "#!/bin/sh\nexec {} demo-fred \"$@\"\n",
            env!("CARGO_BIN_EXE_fredbatch")
        );
        std::fs::write(&fred, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    /// The store of this sandbox's home, read directly.
    pub fn store(&self) -> store::StoreProbe {
        store::StoreProbe::sqlite(&self.home())
    }
}

/// How a fake FRED's check mode (`-c`, run before a job is stored) finds nothing to say,
/// whatever the script does in a run.
pub const FAKE_FRED_CHECKS_NOTHING: &str = "if [ \"$7\" = \"-c\" ]; then exit 0; fi\n";

/// Shell functions for fake FREDs, so that no fake depends on how long anything takes:
/// `await_file PATH` waits until PATH exists (a gate the test opens when it is ready);
/// `until_killed` waits for the signal that ends the process (a hanging FRED). Both give up
/// after two minutes and fail the run, so a test that went wrong leaves nothing running.
pub const FAKE_FRED_WAITS: &str = r#"await_file() {
    waited=0
    while [ ! -e "$1" ]; do
        if [ "$waited" -ge 2400 ]; then echo "fake FRED: $1 never appeared" >&2; exit 1; fi
        sleep 0.05
        waited=$((waited + 1))
    done
}
until_killed() { await_file "$0.never-created"; }
"#;

/// `fredbatch run` of the tiny model with `runs` runs, one at a time, with `fred_home`'s
/// FRED, in the background (stderr kept for [`wait_for_status`]).
pub fn spawn_job(sandbox: &Sandbox, fred_home: &Path, runs: u32) -> Child {
    let model = sandbox.tiny_model();
    sandbox
        .command()
        .env("FRED_HOME", fred_home)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            &runs.to_string(),
            "--max-vcpus",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fredbatch run")
}

/// Kills a process outright, as `kill -9` does, and reaps it.
pub fn kill_9(child: &mut Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    child.wait().expect("reap");
}

/// A FRED whose first attempt kills its worker outright (as the OOM killer or a reclaimed
/// machine would) and whose later attempts run `then` and succeed.
pub fn fred_killing_its_first_worker(sandbox: &Sandbox, then: &str) -> PathBuf {
    let marker = sandbox.path().join("attempted");
    sandbox.fake_fred(&format!(
        "if [ ! -e {m} ]; then touch {m}; kill -9 $PPID; until_killed; fi\n\
         {then}mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"",
        m = marker.display()
    ))
}

/// A sweep of two configurations (`INF.transmissibility=0.5,2.5`) of two runs each, one run at
/// a time, on the demo engine, whose very first attempt kills its worker (an interruption,
/// retried): job 1 of `sandbox`, 5 attempts in all, one of them interrupted.
pub fn sweep_with_an_interruption(sandbox: &Sandbox) {
    let demo = format!(
        "exec {} demo-fred \"$@\"\n",
        env!("CARGO_BIN_EXE_fredbatch")
    );
    let fred_home = fred_killing_its_first_worker(sandbox, &demo);
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            "2",
            "--sweep",
            "INF.transmissibility=0.5,2.5",
            "--max-vcpus",
            "1",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// A FRED that waits until `gate` exists, then succeeds.
pub fn gated_fred(sandbox: &Sandbox, gate: &Path) -> PathBuf {
    sandbox.fake_fred(&format!(
        "await_file {}; mkdir -p \"$6/RUN$4\" && echo 'Day' > \"$6/RUN$4/out.csv\"",
        gate.display()
    ))
}

/// A FRED whose check finds nothing but whose runs fail with a model error, as FRED reports
/// one: `errors.txt`, an empty `RUN<r>/`, exit 0 (what only a full run finds).
pub fn fred_failing_in_runs(sandbox: &Sandbox) -> PathBuf {
    sandbox.fake_fred(
        "mkdir -p \"$6/RUN$4\"; echo 'FRED Error (file main.fred) No locations specified' > \"$6/errors.txt\"",
    )
}

/// A FRED that runs until it is killed (cancelled, timed out, interrupted).
pub fn hanging_fred(sandbox: &Sandbox) -> PathBuf {
    sandbox.fake_fred("until_killed")
}

pub const TINY_MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 10\n";

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The command lines of the live processes started for `sandbox`: those whose environment
/// holds its `FREDBATCH_HOME` (fredbatch, its workers, their FRED and what FRED started all
/// inherit it), read from /proc, so other tests' processes on the machine never count.
pub fn sandbox_processes(sandbox: &Sandbox) -> Vec<String> {
    let marker = format!("FREDBATCH_HOME={}", sandbox.home().display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| {
            // A process may end while it is read: it is then not live, and not listed.
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == marker.as_bytes())
                .then_some(())?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            Some(
                cmdline
                    .split(|byte| *byte == 0)
                    .map(|part| String::from_utf8_lossy(part).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim()
                    .to_owned(),
            )
        })
        .collect()
}

/// Polls `check` until it returns Some, or panics after `limit` with `what`. The pause between
/// checks grows from 20 ms to half a second: quick answers come quickly, and a long wait does
/// not spend the machine on checks that start a process.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// Waits until the latest job has a run in `status`, failing with the supervising process's
/// own output if it exits first.
pub fn wait_for_status(
    sandbox: &Sandbox,
    child: &mut Child,
    status: &str,
    at_least: usize,
) -> usize {
    let mut store = sandbox.store();
    wait_for(
        &format!("{at_least} {status} run(s)"),
        Duration::from_secs(60),
        || {
            if let Some(exit) = child.try_wait().expect("poll the child") {
                let mut output = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut stderr, &mut output).ok();
                }
                panic!(
                    "fredbatch exited ({exit}) before {at_least} run(s) were {status}:\n{output}"
                );
            }
            let count = count_in(&mut store, status);
            (count >= at_least).then_some(count)
        },
    )
}

/// How many runs of the latest job are in `status`, or 0 while there is no job yet.
pub fn count_in(store: &mut store::StoreProbe, status: &str) -> usize {
    store.latest_runs().map_or(0, |runs| {
        runs.iter()
            .filter(|run| run.status.as_str() == status)
            .count()
    })
}

/// Runs of a status document by run number: (status, attempts, reason).
pub fn runs(status: &Value) -> Vec<(String, u64, String)> {
    status["runs"]
        .as_array()
        .expect("runs array")
        .iter()
        .map(|run| {
            (
                run["status"].as_str().unwrap().to_owned(),
                run["attempts"].as_u64().unwrap(),
                run["status_reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
