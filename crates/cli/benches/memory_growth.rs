//! Runs that ran out of memory, retried with more (`cargo bench -p fredbatch --bench
//! memory_growth`).
//!
//! A job whose runs need about three times the memory they start with, on the local executor
//! with the demo engine (which holds `demo_memory_mb` while it simulates, and is killed by the
//! executor like a container over its reservation): 3000 MB needed, 1000 MB to start with.
//! Printed side by side:
//!
//! - **before**: `--attempts 1`, what every run got before retries grew memory: an out-of-memory
//!   kill ends the run for good;
//! - **after**: the defaults (memory x2 after running out, 3 attempts).
//!
//! For each: runs lost (ended ERROR; goal 0 after), attempts used, and what the failed attempts
//! cost on top of the successful ones, each attempt priced at its own size on Spot on the
//! design's instance types (the bundled price table), for its measured wall time. Prints
//! figures; asserts nothing.
//!
//! FREDBATCH_BENCH_GROWTH_RUNS sets the number of runs (default 8); FREDBATCH_BENCH_GROWTH_START_MB
//! and FREDBATCH_BENCH_GROWTH_NEEDED_MB the sizes (a smaller twin runs faster on a small machine).

#[path = "support/own_home.rs"]
mod own_home;

use std::path::Path;

use chrono::{DateTime, Utc};
use fredbatch_core::Resources;
use fredbatch_cost::placement::{best, default_instance_types};
use fredbatch_cost::{Market, PriceTable, usd};
use own_home::fredbatch_json;
use serde_json::Value;

const COUNTY: &str =
    "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 60\n";

/// A size in MB from `variable`, else `default`.
fn megabytes(variable: &str, default: u64) -> u64 {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one job's attempts came to.
#[derive(Default)]
struct Outcome {
    runs: usize,
    lost: usize,
    attempts: usize,
    failed_attempts: usize,
    /// USD of the attempts that succeeded, and of the ones that failed.
    succeeded_cost: f64,
    failed_cost: f64,
    wall_seconds: f64,
}

fn main() {
    let runs: u32 = std::env::var("FREDBATCH_BENCH_GROWTH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("county");
    std::fs::create_dir(&model).expect("model dir");
    std::fs::write(model.join("main.fred"), COUNTY).expect("model file");
    let table = PriceTable::bundled();
    let sizes = Sizes {
        start_mb: megabytes("FREDBATCH_BENCH_GROWTH_START_MB", 1000),
        needed_mb: megabytes("FREDBATCH_BENCH_GROWTH_NEEDED_MB", 3000),
    };

    let before = job(
        &dir.path().join("before"),
        &model,
        runs,
        &sizes,
        &["--attempts", "1"],
        &table,
    );
    let after = job(&dir.path().join("after"), &model, runs, &sizes, &[], &table);
    let Sizes {
        start_mb,
        needed_mb,
    } = sizes;
    println!(
        "memory growth: {runs} runs needing {needed_mb} MB, started at {start_mb} MB \
         (local executor, demo engine; priced on Spot, {})",
        default_instance_types().join("/")
    );
    print("before (--attempts 1: out of memory ends the run)", &before);
    print("after (the defaults: memory x2, 3 attempts)", &after);
}

fn print(label: &str, o: &Outcome) {
    let extra = if o.succeeded_cost > 0.0 {
        format!("{:+.0}%", 100.0 * o.failed_cost / o.succeeded_cost)
    } else {
        "n/a: nothing succeeded".to_owned()
    };
    println!("  {label}:");
    println!("    runs lost       : {} of {} (goal 0)", o.lost, o.runs);
    println!(
        "    attempts used   : {} ({} failed, {:.2} per run)",
        o.attempts,
        o.failed_attempts,
        o.attempts as f64 / o.runs.max(1) as f64
    );
    println!(
        "    failed attempts : {} on top of {} for the successful ones ({extra})",
        usd(o.failed_cost),
        usd(o.succeeded_cost)
    );
    println!("    job wall time   : {:.1} s", o.wall_seconds);
}

/// What the runs start with and what they need.
struct Sizes {
    start_mb: u64,
    needed_mb: u64,
}

/// Runs one job with `flags` in its own `home` and prices its attempts.
fn job(
    home: &Path,
    model: &Path,
    runs: u32,
    sizes: &Sizes,
    flags: &[&str],
    table: &PriceTable,
) -> Outcome {
    let started = std::time::Instant::now();
    let mut args = vec![
        "run".to_owned(),
        model.display().to_string(),
        "--runs".to_owned(),
        runs.to_string(),
        "--memory".to_owned(),
        sizes.start_mb.to_string(),
        "--param".to_owned(),
        format!("demo_memory_mb={}", sizes.needed_mb),
    ];
    args.extend(flags.iter().map(|f| f.to_string()));
    // A job with runs lost exits 1: that is what is measured.
    fredbatch_json(home, None, &args);
    let wall_seconds = started.elapsed().as_secs_f64();
    let status = fredbatch_json(home, None, &["status".to_owned(), "1".to_owned()]);
    let mut outcome = Outcome {
        wall_seconds,
        ..Outcome::default()
    };
    for run in status["runs"].as_array().expect("runs") {
        outcome.runs += 1;
        if run["status"] != "DONE" {
            outcome.lost += 1;
        }
        let detail = fredbatch_json(
            home,
            None,
            &[
                "status".to_owned(),
                "--run".to_owned(),
                run["id"].to_string(),
            ],
        );
        for attempt in detail["attempts"].as_array().expect("attempts") {
            outcome.attempts += 1;
            let cost = attempt_cost(attempt, table);
            if attempt["status"] == "SUCCEEDED" {
                outcome.succeeded_cost += cost;
            } else {
                outcome.failed_attempts += 1;
                outcome.failed_cost += cost;
            }
        }
    }
    outcome
}

/// An attempt's share of the cheapest instance type that packs runs of its size, for as long
/// as it ran.
fn attempt_cost(attempt: &Value, table: &PriceTable) -> f64 {
    let size = &attempt["size"];
    let resources = Resources {
        vcpus: size["vcpus"].as_u64().unwrap_or(1) as u32,
        memory_mb: size["memory_mb"].as_u64().unwrap_or(0),
    };
    let time = |key: &str| {
        attempt[key]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
    };
    let wall = match (time("started_at"), time("finished_at")) {
        (Some(start), Some(end)) => (end - start).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    best(table, &resources, Market::Spot, &default_instance_types())
        .map(|packing| packing.cost(wall))
        .unwrap_or(0.0)
}
