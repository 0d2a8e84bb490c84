//! Right-sizing, measured (`cargo bench -p fredbatch --bench right_sizing`).
//!
//! Profiles examples/influenza on the demo engine with `fredbatch profile` (real runs,
//! measured by the worker) and prints, per run on Spot: the cost of the stack's default job
//! definition (4 vCPU / 8192 MB on the design's c5.xlarge/c5.2xlarge, `docs/design.md`), the
//! right-sized cost (the recommendation on the type that packs it best), the floor
//! (CPU-seconds and peak memory used, same family), and their ratios (goal: right-sized
//! within 1.25x of the floor); then the same runs right-sized but kept on the design's
//! instance types; then the same arithmetic for FRED 5.0's own measured profile of this model
//! (1.5 s wall, 97% of one CPU, 137 MB peak). Prints figures; asserts nothing.
//!
//! FREDBATCH_BENCH_PROFILE_RUNS sets the number of runs (default 10).

use std::process::{Command, Stdio};

use fredbatch_core::model::Measurements;
use fredbatch_cost::placement::default_instance_types;
use fredbatch_cost::sizing::{Comparison, compare, recommend};
use fredbatch_cost::{Market, PriceTable, usd};
use serde_json::Value;

fn main() {
    let runs: u32 = std::env::var("FREDBATCH_BENCH_PROFILE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let model = format!("{}/../../examples/influenza", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_fredbatch"))
        .args([
            "--output",
            "json",
            "profile",
            &model,
            "--runs",
            &runs.to_string(),
        ])
        .env("FREDBATCH_HOME", dir.path().join("home"))
        .env_remove("FRED_HOME")
        .env_remove("DATABASE_URL")
        .env_remove("FREDBATCH_UPLOADS")
        .env_remove("FREDBATCH_RESULTS")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("run fredbatch profile");
    let json: Value = serde_json::from_slice(&output.stdout).expect("profile JSON");
    let c: Comparison =
        serde_json::from_value(json["comparison"].clone()).expect("comparison in profile JSON");
    let r = &json["recommendation"];
    println!(
        "right-sizing, examples/influenza on the demo engine, {runs} runs measured (Spot prices):"
    );
    println!(
        "  recommended      : {} vCPU, {} MB ({})",
        r["vcpus"],
        r["memory_mb"],
        json["template_parameters"].as_str().unwrap_or("")
    );
    print_comparison(&c);
    // Right-sized over floor is wall over CPU time for a single-threaded run, so a busy
    // machine (runs waiting for a core) shows up in it.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "  machine          : load average {} on {cores} cores while measuring",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // The same measured runs, with the compute environment left as the design has it.
    let table = PriceTable::bundled();
    let measured: Vec<Measurements> = json["runs"]
        .as_array()
        .expect("measured runs")
        .iter()
        .map(|run| Measurements {
            wall_seconds: run["wall_seconds"].as_f64().unwrap_or(0.0),
            cpu_seconds: run["cpu_seconds"].as_f64().unwrap_or(0.0),
            peak_rss_kb: (run["peak_rss_mib"].as_f64().unwrap_or(0.0) * 1024.0) as u64,
            output_bytes: 0,
        })
        .collect();
    let recommendation = recommend(&measured, 0.25).expect("recommendation");
    let c = compare(
        &table,
        &measured,
        &recommendation,
        Market::Spot,
        &default_instance_types(),
    )
    .expect("comparison");
    println!("the same runs, right-sized but kept on the design's c5.xlarge/c5.2xlarge:");
    print_comparison(&c);

    // FRED 5.0 on Jefferson County, PA, as measured: 1.5 s wall, 97% of one CPU, 137 MB peak.
    let fred = Measurements {
        wall_seconds: 1.5,
        cpu_seconds: 1.5 * 0.97,
        peak_rss_kb: 137 * 1000,
        output_bytes: 4_900_000,
    };
    let recommendation = recommend(&[fred], 0.25).expect("recommendation");
    let c = compare(&table, &[fred], &recommendation, Market::Spot, &[]).expect("comparison");
    println!(
        "FRED 5.0's measured profile of the same model (1.5 s, 97% CPU, 137 MB), {} vCPU / {} MB:",
        recommendation.vcpus, recommendation.memory_mb
    );
    print_comparison(&c);
}

fn print_comparison(c: &Comparison) {
    let per_1000 = |v: f64| usd(v * 1000.0);
    println!("  mean wall time   : {:.3} s", c.mean_wall_seconds);
    println!(
        "  stack default    : {} per run ({} per 1,000) on {} ({} per instance)  {:.2}x floor",
        usd(c.stack_default_per_run),
        per_1000(c.stack_default_per_run),
        c.stack_default.instance,
        c.stack_default.runs_per_instance,
        c.stack_default_over_floor
    );
    println!(
        "  right-sized      : {} per run ({} per 1,000) on {} ({} per instance)  {:.2}x floor (goal <= 1.25x)",
        usd(c.right_sized_per_run),
        per_1000(c.right_sized_per_run),
        c.right_sized.instance,
        c.right_sized.runs_per_instance,
        c.right_sized_over_floor
    );
    println!(
        "  floor            : {} per run ({} per 1,000), CPU and memory used, {} family",
        usd(c.floor_per_run),
        per_1000(c.floor_per_run),
        c.right_sized.family
    );
    println!(
        "  stack default / right-sized: {:.2}x",
        c.stack_default_per_run / c.right_sized_per_run
    );
}
