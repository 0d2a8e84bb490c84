//! An ensemble's results (`cargo bench -p fredbatch --bench ensemble_results`): jobs of 1,000
//! and 10,000 runs, each run's out.csv a real 100-day Jefferson County one (101 rows, the demo
//! engine's columns). Their table written with `results --table` as Parquet and as CSV, beside
//! `results --out` copying the runs' folders (what a modeler had before, and then had to walk);
//! and their report built with `report`. Prints seconds, peak memory and size; asserts nothing.
//!
//! FREDBATCH_BENCH_TABLE_RUNS sets the job sizes ("1000,10000").

use std::path::Path;
use std::process::{Command, Stdio};

use fredbatch_testkit::bench::run_measured;

const MODEL: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\n\
                     start_date = 2020-Jan-01\ndays = 100\n";

fn main() {
    let sizes: Vec<u32> = std::env::var("FREDBATCH_BENCH_TABLE_RUNS")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|n| n.trim().parse().expect("a run count"))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("main.fred"), MODEL).unwrap();
    let fred_home = copying_fred(dir.path(), &model);

    for runs in sizes {
        let home = dir.path().join(format!("home-{runs}"));
        let fredbatch = || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
            command
                .env("FREDBATCH_HOME", &home)
                .env("FRED_HOME", &fred_home)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            command
        };
        let status = fredbatch()
            .arg("run")
            .arg(&model)
            .args(["--runs", &runs.to_string()])
            .status()
            .expect("run the job");
        assert!(status.success(), "the {runs}-run job failed");
        println!("results of a {runs}-run job (101 days a run):");
        let folders = dir.path().join(format!("folders-{runs}"));
        let mut copy = fredbatch();
        copy.args(["results", "1", "--out"]).arg(&folders);
        report(
            "results --out (run folders)",
            run_measured(&mut copy),
            du(&folders),
        );
        for ext in ["parquet", "csv"] {
            let table = dir.path().join(format!("table-{runs}.{ext}"));
            let mut write = fredbatch();
            write.args(["results", "1", "--table"]).arg(&table);
            let measured = run_measured(&mut write);
            let size = std::fs::metadata(&table).map_or(0, |m| m.len());
            report(&format!("results --table .{ext}"), measured, size);
        }
        let page = dir.path().join(format!("report-{runs}"));
        let mut build = fredbatch();
        build.args(["report", "1", "--out"]).arg(&page);
        let measured = run_measured(&mut build);
        let size = std::fs::metadata(page.join("index.html")).map_or(0, |m| m.len());
        report("report (index.html)", measured, size);
    }
}

fn report(what: &str, (elapsed, peak_kb): (std::time::Duration, u64), bytes: u64) {
    println!(
        "  {what:<30} {:>7.2} s, peak {:>6.1} MB, {:>8.1} MB on disk",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        bytes as f64 / 1e6
    );
}

/// The bytes of every file under `path`.
fn du(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => du(&entry.path()),
            _ => entry.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// A FRED that gives every run the same real out.csv (made once by the demo engine), so a
/// 10,000-run job is quick to make and its table as large as real FRED's.
fn copying_fred(dir: &Path, model: &Path) -> std::path::PathBuf {
    let reference = dir.join("reference");
    let made = Command::new(env!("CARGO_BIN_EXE_fredbatch"))
        .args(["demo-fred", "-p"])
        .arg(model.join("main.fred"))
        .args(["-r", "1", "-d"])
        .arg(&reference)
        .stdout(Stdio::null())
        .status()
        .expect("run the demo engine");
    assert!(made.success());
    let home = dir.join("fred");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let fred = home.join("bin/FRED");
    std::fs::write(
        &fred,
        format!(
            "#!/bin/sh\nif [ \"$7\" = \"-c\" ]; then exit 0; fi\n\
             mkdir -p \"$6/RUN$4\" && cp {} \"$6/RUN$4/out.csv\"\n",
            reference.join("RUN1/out.csv").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
    home
}
