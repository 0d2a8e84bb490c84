//! `fredbatch serve` as epx uses it (`cargo bench -p fredbatch --bench serve`; `scripts/bench`
//! installs wrk and the epx client). Prints figures beside their goals; asserts nothing.
//!
//! 1. Polling: the poll epx makes while a job runs (`GET /runs?job_id=J`) for a job of 1,000
//!    runs, under wrk with 50 connections: throughput and p50/p99 latency (goals: at least 200
//!    polls/s, p99 under 100 ms). The job's inputs are never uploaded, so its runs stay QUEUED
//!    and every poll reads the same 1,000 runs: a stable target.
//! 2. A whole epx job: 100 demo-engine runs through the real epx client and `serve`, beside the
//!    same 100 runs through `fredbatch run` on the same capacity, measured in the same run:
//!    the wall-time ratio.
//!
//! FREDBATCH_BENCH_RUNS, FREDBATCH_BENCH_CONNECTIONS, FREDBATCH_BENCH_SECONDS and
//! FREDBATCH_BENCH_EPX_RUNS change the sizes.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::Sandbox;
use common::serve::{Server, add_user, api_job, http, serve};
use fredbatch_testkit::bench::{env_number, run_wrk, wrk, wrk_figure, wrk_latency_ms};
use serde_json::Value;

/// The model of the epx comparison (its dates are the requests' own).
const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 30\n";

fn main() {
    let wrk = wrk();
    let python = fredbatch_testkit::required("FREDBATCH_EPX_PYTHON");
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "bench");
    let server = serve(&sandbox, &[]);
    polling(&server, &token, &wrk);
    epx_beside_run(&sandbox, &server, &token, Path::new(&python));
}

fn polling(server: &Server, token: &str, wrk: &Path) {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 1_000);
    let connections = env_number("FREDBATCH_BENCH_CONNECTIONS", 50);
    let seconds = env_number("FREDBATCH_BENCH_SECONDS", 10);
    let seeds: Vec<u64> = (0..u64::from(runs)).collect();
    let job = api_job(server, token, &["bench"], &seeds, false);
    let url = format!("{}/runs?job_id={job}", server.url);
    let report = run_wrk(
        wrk,
        connections,
        seconds,
        &format!("Authorization: Bearer {token}"),
        &url,
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let body_bytes = http("GET", &url, Some(token), b"").1.len();
    println!(
        "serve polling: GET /runs?job_id= of a {runs}-run job ({} KB a poll), wrk {connections} connections, {seconds} s, on {cores} cores shared by wrk and the server:",
        body_bytes / 1024
    );
    let rate = wrk_figure(&report, "Requests/sec:");
    let p50 = wrk_latency_ms(&report, "50%");
    let p99 = wrk_latency_ms(&report, "99%");
    println!("  throughput : {rate:>8.1} polls/s   (goal >= 200)");
    println!("  p50        : {p50:>8.1} ms");
    println!("  p99        : {p99:>8.1} ms        (goal < 100)");
    for line in report
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
    {
        println!("  {}", line.trim());
    }
}

/// One job of `runs` runs through epx and `serve`, then through `fredbatch run` with the same
/// FRED and the same capacity (`serve` above runs with `--max-vcpus 2`), one after the other.
fn epx_beside_run(sandbox: &Sandbox, server: &Server, token: &str, python: &Path) {
    let runs = env_number("FREDBATCH_BENCH_EPX_RUNS", 100).to_string();
    let model = sandbox.model("model", MODEL);
    let storage = sandbox.path().join("epx");
    std::fs::create_dir_all(&storage).unwrap();
    std::fs::write(
        storage.join("config.json"),
        serde_json::json!({ "api-url": server.url, "bearer-token": token }).to_string(),
    )
    .unwrap();
    let output = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/epx_job.py"))
        .arg(model.join("main.fred"))
        .arg(&runs)
        .env("EPX_STORAGE_DIR", &storage)
        .current_dir(sandbox.path())
        .stdin(Stdio::null())
        .output()
        .expect("run the epx client's Python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the epx job failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let epx: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    let epx_seconds = epx["seconds"].as_f64().unwrap();

    let started = Instant::now();
    let run = sandbox
        .command()
        .env("FREDBATCH_HOME", sandbox.path().join("run-home"))
        .env("FRED_HOME", sandbox.path().join("fake-fred"))
        .args(["run", &model.display().to_string(), "--runs", &runs])
        .args(["--max-vcpus", "2"])
        .stdout(Stdio::null())
        .status()
        .expect("run fredbatch");
    let run_seconds = started.elapsed().as_secs_f64();
    assert!(run.success(), "fredbatch run failed");
    println!("\nan epx job of {runs} demo-engine runs (30 days each):");
    println!("  epx through serve : {epx_seconds:>7.1} s  (FREDJob.execute; epx polls every 3 s)");
    println!("  fredbatch run     : {run_seconds:>7.1} s");
    println!("  ratio serve/run   : {:>7.2}x", epx_seconds / run_seconds);
}
