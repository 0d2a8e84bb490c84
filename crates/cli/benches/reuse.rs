//! What reusing identical runs saves (`cargo bench -p fredbatch --bench reuse`): a sweep run
//! twice, and a job of N runs extended to 2N, each measured with reuse (the default) and with
//! `--no-reuse` (every run computed again, as before runs were reused), in the same process.
//! The engine is FRED when `FRED_HOME` is set, the demo engine otherwise. Prints figures;
//! asserts only that reuse did what it says.
//!
//! FREDBATCH_BENCH_RUNS sets N, the replicates per configuration (10); the sweep has three
//! configurations.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fredbatch_testkit::bench::env_number;
use serde_json::Value;

const MODEL: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\n\
                     start_date = 2020-Jan-01\ndays = 100\n";
const SWEEP: &str = "INF.transmissibility=0.8,1.0,1.3";

fn main() {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 10);
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("main.fred"), MODEL).unwrap();
    let model = model.to_str().unwrap();
    let n = runs.to_string();
    let twice_n = (2 * runs).to_string();

    println!("reuse of identical runs ({runs} replicates per configuration):");
    println!(
        "  {:<38} {:>14} {:>10} {:>14} {:>10}",
        "", "no reuse: ran", "seconds", "reuse: ran", "seconds"
    );
    let sweep = ["run", model, "--runs", &n, "--sweep", SWEEP];
    let (before, after) = both(dir.path(), "sweep", &sweep, &sweep);
    row(
        &format!("the same sweep again ({} runs)", 3 * runs),
        before,
        after,
    );
    let first = ["run", model, "--runs", &n];
    let extended = ["run", model, "--runs", &twice_n];
    let (before, after) = both(dir.path(), "extend", &first, &extended);
    row(
        &format!("{runs} runs extended to {}", 2 * runs),
        before,
        after,
    );
}

/// Runs `first` then `second` in two fresh homes, the second time with `--no-reuse` in one
/// and as given in the other: (runs computed, seconds) of the second job, without then with
/// reuse.
fn both(dir: &Path, name: &str, first: &[&str], second: &[&str]) -> ((usize, f64), (usize, f64)) {
    let measure = |label: &str, extra: &[&str]| {
        let home = dir.join(format!("{name}-{label}"));
        fredbatch(&home, first);
        let started = Instant::now();
        let mut args = second.to_vec();
        args.extend_from_slice(extra);
        fredbatch(&home, &args);
        let seconds = started.elapsed();
        (computed(&home, 2), seconds)
    };
    let before = measure("no-reuse", &["--no-reuse"]);
    let after = measure("reuse", &[]);
    (
        (before.0, before.1.as_secs_f64()),
        (after.0, after.1.as_secs_f64()),
    )
}

fn row(what: &str, before: (usize, f64), after: (usize, f64)) {
    println!(
        "  {what:<38} {:>14} {:>10.2} {:>14} {:>10.2}   ({:.1}x faster)",
        before.0,
        before.1,
        after.0,
        after.1,
        before.1 / after.1.max(f64::EPSILON)
    );
}

/// Runs of `job` that computed their results (did not take another run's).
fn computed(home: &Path, job: u32) -> usize {
    let output = command(home)
        .args(["--output", "json", "status", &job.to_string()])
        .output()
        .expect("run fredbatch status");
    let status: Value = serde_json::from_slice(&output.stdout).expect("status JSON");
    let runs = status["runs"].as_array().expect("runs");
    assert!(runs.iter().all(|run| run["status"] == "DONE"), "{status}");
    runs.iter()
        .filter(|run| run["reused_from"].is_null())
        .count()
}

fn fredbatch(home: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = command(home).args(args).output().expect("run fredbatch");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

/// `fredbatch` with its home in `home` and the caller's FRED_HOME.
fn command(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
    command
        .env("FREDBATCH_HOME", home)
        .current_dir(home.parent().unwrap())
        .stdin(Stdio::null());
    command
}
