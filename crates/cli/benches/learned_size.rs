//! Sizes learned from measured runs against the fixed default (`cargo bench -p fredbatch
//! --bench learned_size`).
//!
//! The same job three ways on the local executor, each in its own fredbatch home, and what
//! `fredbatch cost --job` says each paid over the floor of what its runs used:
//!
//! - **before**: the fixed local default, 1 vCPU / 2048 MB per run (`--vcpus 1 --memory
//!   2048`), what every job without flags got before sizes were learned;
//! - **first job**: no flags, no history: the first wave runs at the default and is measured,
//!   the rest at the learned size;
//! - **next job**: no flags, the same model again: every run at the size learned before.
//!
//! Real FRED runs where `FRED_HOME` is set (the model is `examples/influenza`, Jefferson County);
//! otherwise the demo engine, told to hold 134 MB as real FRED does for that county. Prints
//! figures; asserts nothing (goal: 1.15x the floor or less without flags).
//!
//! FREDBATCH_BENCH_LEARNED_RUNS sets the runs per job (default 10).

#[path = "support/own_home.rs"]
mod own_home;

use std::path::{Path, PathBuf};

use own_home::fredbatch_json;

/// The demo engine's stand-in for Jefferson County: real FRED's peak there is 134 MB.
const DEMO_COUNTY: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 100\ndemo_memory_mb = 134\n";

fn main() {
    let runs: u32 = std::env::var("FREDBATCH_BENCH_LEARNED_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let fred_home = std::env::var_os("FRED_HOME").map(PathBuf::from);
    let model = match &fred_home {
        Some(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/influenza"),
        None => {
            let model = dir.path().join("county");
            std::fs::create_dir(&model).expect("model dir");
            std::fs::write(model.join("main.fred"), DEMO_COUNTY).expect("model file");
            model
        }
    };
    let engine = match &fred_home {
        Some(home) => format!("real FRED at {}", home.display()),
        None => "demo engine holding 134 MB".to_owned(),
    };
    println!(
        "learned size: {runs} runs per job of {} ({engine})",
        model.display()
    );

    let fixed = dir.path().join("fixed");
    let before = job(
        &fixed,
        fred_home.as_deref(),
        &model,
        runs,
        &["--vcpus", "1", "--memory", "2048"],
        1,
    );
    let learning = dir.path().join("learning");
    let first = job(&learning, fred_home.as_deref(), &model, runs, &[], 1);
    let next = job(
        &learning,
        fred_home.as_deref(),
        &model,
        runs,
        &["--no-reuse"],
        2,
    );
    print("before (fixed 1 vCPU / 2048 MB)", &before);
    print("first job (first wave measured, rest learned)", &first);
    print("next job (learned from the first)", &next);
    if let (Some(b), Some(n)) = (before.over_floor, next.over_floor) {
        println!(
            "  next job's cost over floor: {:.2}x the fixed default's",
            n / b
        );
    }
}

struct Paid {
    size: String,
    origin: String,
    over_floor: Option<f64>,
    reserved: f64,
    floor: f64,
}

fn print(label: &str, paid: &Paid) {
    println!("  {label}:");
    println!("    size            : {} ({})", paid.size, paid.origin);
    println!(
        "    cost over floor : {}  (reserved ${:.6} for a floor of ${:.6}, Spot)",
        paid.over_floor
            .map_or("n/a".to_owned(), |r| format!("{r:.2}x")),
        paid.reserved,
        paid.floor
    );
}

/// Runs one job with `flags` in `home` on FRED at `fred_home` (none: the demo engine); it is
/// job number `id` there. Reads its cost.
fn job(
    home: &Path,
    fred_home: Option<&Path>,
    model: &Path,
    runs: u32,
    flags: &[&str],
    id: u32,
) -> Paid {
    let mut args = vec![
        "run".to_owned(),
        model.display().to_string(),
        "--runs".to_owned(),
        runs.to_string(),
    ];
    args.extend(flags.iter().map(|f| f.to_string()));
    fredbatch_json(home, fred_home, &args);
    let status = fredbatch_json(home, fred_home, &["status".to_owned(), id.to_string()]);
    let cost = fredbatch_json(
        home,
        fred_home,
        &["cost".to_owned(), "--job".to_owned(), id.to_string()],
    );
    let job = &status["job"];
    Paid {
        size: format!(
            "{} vCPU, {} MB",
            job["resources"]["vcpus"], job["resources"]["memory_mb"]
        ),
        origin: job["size_origin"]["kind"]
            .as_str()
            .unwrap_or("?")
            .to_owned(),
        over_floor: cost["reserved_over_floor"].as_f64(),
        reserved: cost["reserved"].as_f64().unwrap_or(0.0),
        floor: cost["floor"].as_f64().unwrap_or(0.0),
    }
}
