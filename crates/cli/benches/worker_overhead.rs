//! The worker's own overhead around the engine (`scripts/bench --bench worker_overhead`):
//! time from the worker process's start to the engine's start (fetch, extract, prepare) and
//! from the engine's exit to the committed manifest (judge, upload, record), beside the
//! engine's wall time, for the example model on the demo engine, with local storage and with
//! S3 on the moto server (FREDBATCH_TEST_MOTO_URL, which `scripts/bench` provides).
//! Target: overhead at most 5% of a 1.5 s run.

use std::path::Path;
use std::process::Command;

use fredbatch_testkit::{aws_env, create_bucket};

const RUNS: u32 = 6;

fn main() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap();
    let model = repository.join("examples/influenza");
    let local = measure(&model, &[]);
    report("local folder storage", &local);
    let mut s3_env = aws_env();
    s3_env.push((
        "FREDBATCH_UPLOADS",
        format!("s3://{}", create_bucket("bench-uploads")),
    ));
    s3_env.push((
        "FREDBATCH_RESULTS",
        format!("s3://{}", create_bucket("bench-results")),
    ));
    let s3 = measure(&model, &s3_env);
    report("S3 (moto) storage", &s3);
}

/// (prepare, engine, finish) in milliseconds for each run.
fn measure(model: &Path, env: &[(&str, String)]) -> Vec<(f64, f64, f64)> {
    let home = tempfile::tempdir().unwrap();
    let fredbatch = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
        command
            .args(args)
            .env("FREDBATCH_HOME", home.path())
            .env_remove("FRED_HOME")
            .env_remove("DATABASE_URL");
        for (name, value) in env {
            command.env(name, value);
        }
        command
    };
    let run = fredbatch(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        &RUNS.to_string(),
        "--max-vcpus",
        "1",
    ])
    .output()
    .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(
        &fredbatch(&["--output", "json", "status"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            // As written: the worker's own lines stay JSON.
            let logs = fredbatch(&["--output", "json", "logs", &run["id"].to_string()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&logs.stdout);
            let ended = text
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .find(|line| line["fields"]["message"] == "attempt ended")
                .expect("the worker logs its overhead");
            let field = |name: &str| ended["fields"][name].as_f64().unwrap_or(f64::NAN);
            (field("prepare_ms"), field("engine_ms"), field("finish_ms"))
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn report(what: &str, runs: &[(f64, f64, f64)]) {
    let prepare = median(runs.iter().map(|r| r.0).collect());
    let engine = median(runs.iter().map(|r| r.1).collect());
    let finish = median(runs.iter().map(|r| r.2).collect());
    println!(
        "worker overhead, {what}, median of {} runs of examples/influenza on the demo engine:",
        runs.len()
    );
    println!("  start -> engine start : {prepare:>8.1} ms");
    println!("  engine                : {engine:>8.1} ms");
    println!("  engine exit -> commit : {finish:>8.1} ms");
    println!(
        "  overhead              : {:>8.1} ms = {:.1}% of this engine run, {:.1}% of a 1.5 s FRED run (target <= 5%)",
        prepare + finish,
        100.0 * (prepare + finish) / engine,
        100.0 * (prepare + finish) / 1500.0
    );
}
