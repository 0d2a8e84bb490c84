//! Benchmark of the local executor (`cargo bench -p fredbatch --bench local_executor`).
//!
//! 1. 500 runs of a trivial engine through `fredbatch run`, beside the same 500 engine
//!    invocations through `xargs -P <cores>`, in the same process and on the same machine;
//!    prints both wall times and their ratio (target: at most 1.2x). Then the same with an
//!    engine that works for 100 ms per run, closer to any real model (FRED's smallest example
//!    takes 1.5 s), where the per-run bookkeeping is measured against real work.
//! 2. A 10,000-run job through `fredbatch run`, printing the peak resident memory of the
//!    `fredbatch run` process (target: under 100 MB), read from /proc while it runs.
//!
//! Set FREDBATCH_BENCH_RUNS / FREDBATCH_BENCH_BIG_RUNS to change the sizes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fredbatch_testkit::bench::{env_number, run_measured};

/// The trivial engine: honours FRED's command line and writes the one file a success needs.
const TRIVIAL_FRED: &str =
    "#!/bin/sh\nmkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"\n";
/// An engine that works (sleeps) 100 ms, then writes the same output.
const WORKING_FRED: &str =
    "#!/bin/sh\nsleep 0.1\nmkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"\n";
const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 1\n";

fn main() {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 500);
    let big_runs = env_number("FREDBATCH_BENCH_BIG_RUNS", 10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let fred_home = engine(dir.path(), "trivial", TRIVIAL_FRED);
    let working_home = engine(dir.path(), "working", WORKING_FRED);
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("main.fred"), MODEL).unwrap();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let engines = [
        ("a trivial engine", &fred_home, runs),
        ("a 100 ms engine", &working_home, runs / 5),
    ];
    for (name, home, count) in engines {
        let label = format!("home-{}", name.replace(' ', "-"));
        let (fredbatch, _) = time_fredbatch(dir.path(), &label, home, &model, count);
        let xargs = time_xargs(dir.path(), home, &model, count, cores);
        let per_run = |elapsed: Duration| ms_per(elapsed, count);
        println!("local executor, {count} runs of {name} on {cores} cores:");
        println!(
            "  fredbatch run : {:>8.2} s  ({:.1} ms per run)",
            fredbatch.as_secs_f64(),
            per_run(fredbatch)
        );
        println!(
            "  xargs -P {cores}    : {:>8.2} s  ({:.1} ms per run)",
            xargs.as_secs_f64(),
            per_run(xargs)
        );
        println!(
            "  ratio         : {:>8.2}x  (target <= 1.2x)",
            fredbatch.as_secs_f64() / xargs.as_secs_f64()
        );
    }

    let (elapsed, peak_kb) = time_fredbatch(dir.path(), "home-b", &fred_home, &model, big_runs);
    println!(
        "{big_runs}-run job: {:.1} s, peak RSS of `fredbatch run`: {:.1} MB (target < 100 MB)",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
}

fn ms_per(elapsed: Duration, runs: u32) -> f64 {
    elapsed.as_secs_f64() * 1000.0 / f64::from(runs)
}

fn engine(dir: &Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join(name);
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let fred = home.join("bin/FRED");
    std::fs::write(&fred, script).unwrap();
    std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
    home
}

/// Runs a job to the end; returns its wall time and the peak RSS (kB) of the run process.
fn time_fredbatch(
    dir: &Path,
    home: &str,
    fred_home: &Path,
    model: &Path,
    runs: u32,
) -> (Duration, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
    command
        .args(["--output", "json", "run"])
        .arg(model)
        .args(["--runs", &runs.to_string()])
        .env("FREDBATCH_HOME", dir.join(home))
        .env("FRED_HOME", fred_home)
        .env_remove("AWS_BATCH_JOB_DEFINITION")
        .env_remove("AWS_BATCH_JOB_QUEUE")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    run_measured(&mut command)
}

fn time_xargs(dir: &Path, fred_home: &Path, model: &Path, runs: u32, cores: usize) -> Duration {
    let out = dir.join("xargs-out");
    let script = format!(
        "rm -rf {out}; seq 1 {runs} | xargs -P {cores} -I RUN {fred} -p {program} -r RUN -d {out}/RUN",
        fred = fred_home.join("bin/FRED").display(),
        program = model.join("main.fred").display(),
        out = out.display(),
    );
    let started = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("run xargs");
    assert!(status.success());
    started.elapsed()
}
