//! The demo engine honours FRED's contract as the runner sees it (see the project's notes on
//! FRED): command line, quirks, output layout, reproducibility.

use std::ffi::OsString;
use std::path::Path;

use fred_demo::run_cli;

/// The file list of one run of the influenza model, as real FRED 5 writes it.
const FRED_FILES: &str = "RUN1/DAILY/Date.txt RUN1/DAILY/EpiWeek.txt RUN1/DAILY/INF.E.txt RUN1/DAILY/INF.Ia.txt \
RUN1/DAILY/INF.Import.txt RUN1/DAILY/INF.Is.txt RUN1/DAILY/INF.R.txt RUN1/DAILY/INF.RR.txt RUN1/DAILY/INF.S.txt \
RUN1/DAILY/INF.newE.txt RUN1/DAILY/INF.newIa.txt RUN1/DAILY/INF.newImport.txt RUN1/DAILY/INF.newIs.txt \
RUN1/DAILY/INF.newR.txt RUN1/DAILY/INF.newS.txt RUN1/DAILY/INF.totE.txt RUN1/DAILY/INF.totIa.txt \
RUN1/DAILY/INF.totImport.txt RUN1/DAILY/INF.totIs.txt RUN1/DAILY/INF.totR.txt RUN1/DAILY/INF.totS.txt \
RUN1/DAILY/Popsize.txt RUN1/DAILY/StayHome.No.txt RUN1/DAILY/StayHome.RR.txt RUN1/DAILY/StayHome.Start.txt \
RUN1/DAILY/StayHome.Symptoms.txt RUN1/DAILY/StayHome.Yes.txt RUN1/DAILY/StayHome.newNo.txt \
RUN1/DAILY/StayHome.newStart.txt RUN1/DAILY/StayHome.newSymptoms.txt RUN1/DAILY/StayHome.newYes.txt \
RUN1/DAILY/StayHome.totNo.txt RUN1/DAILY/StayHome.totStart.txt RUN1/DAILY/StayHome.totSymptoms.txt \
RUN1/DAILY/StayHome.totYes.txt RUN1/INF.csv RUN1/StayHome.csv RUN1/health_records.txt RUN1/out.csv";

/// The header of a real FRED 5 out.csv for the influenza model.
const FRED_HEADER: &str = "Day,Date,EpiWeek,Popsize,INF.newS,INF.S,INF.totS,INF.newE,INF.E,INF.totE,INF.newIs,INF.Is,\
INF.totIs,INF.newIa,INF.Ia,INF.totIa,INF.newR,INF.R,INF.totR,INF.newImport,INF.Import,INF.totImport,INF.RR,\
StayHome.newStart,StayHome.Start,StayHome.totStart,StayHome.newSymptoms,StayHome.Symptoms,StayHome.totSymptoms,\
StayHome.newYes,StayHome.Yes,StayHome.totYes,StayHome.newNo,StayHome.No,StayHome.totNo,StayHome.RR";

const MODEL: &str = "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 30\nenable_health_records = 1\n";

fn run(program: &Path, run: u32, out: &Path) -> i32 {
    let args = [
        "-p",
        program.to_str().unwrap(),
        "-r",
        &run.to_string(),
        "-d",
        out.to_str().unwrap(),
    ];
    run_cli(args.iter().map(OsString::from))
}

fn files_below(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(root, &path, found);
        } else {
            found.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

fn model(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("main.fred");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_run_writes_freds_files_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let program = model(dir.path(), MODEL);
    let out = dir.path().join("out");
    assert_eq!(run(&program, 1, &out), 0);
    let mut files = Vec::new();
    files_below(&out, &out, &mut files);
    files.sort();
    let mut expected: Vec<&str> = FRED_FILES.split(' ').collect();
    expected.sort();
    assert_eq!(files, expected);
    let csv = std::fs::read_to_string(out.join("RUN1/out.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(FRED_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 31, "one row per day, days 0..=30");
    assert!(
        rows[0].starts_with("0,2020-01-01,2020.01,1000,"),
        "{}",
        rows[0]
    );
    assert!(rows[4].starts_with("4,2020-01-05,2020.02,"), "{}", rows[4]);
    let daily = std::fs::read_to_string(out.join("RUN1/DAILY/INF.newE.txt")).unwrap();
    assert!(daily.starts_with("0 "), "{daily}");
    assert_eq!(daily.lines().count(), 31);
}

#[test]
fn the_same_run_number_reproduces_and_others_differ() {
    let dir = tempfile::tempdir().unwrap();
    let program = model(dir.path(), MODEL);
    let csv = |run_number: u32, name: &str| {
        let out = dir.path().join(name);
        assert_eq!(run(&program, run_number, &out), 0);
        std::fs::read(out.join(format!("RUN{run_number}/out.csv"))).unwrap()
    };
    assert_eq!(csv(2, "a"), csv(2, "b"));
    assert_ne!(csv(2, "c"), csv(3, "d"));
}

#[test]
fn the_seed_key_changes_the_stream_and_end_date_bounds_the_days() {
    let dir = tempfile::tempdir().unwrap();
    let csv = |extra: &str, name: &str| {
        let program = model(&dir.path().join(name), &format!("{MODEL}{extra}"));
        let out = dir.path().join(name).join("out");
        assert_eq!(run(&program, 1, &out), 0);
        std::fs::read_to_string(out.join("RUN1/out.csv")).unwrap()
    };
    for name in ["a", "b", "c", "d", "e"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
    }
    let seeded = csv("seed = 14834349027133208755\n", "a");
    assert_eq!(
        seeded,
        csv("seed = 14834349027133208755\n", "b"),
        "same seed, same results"
    );
    assert_ne!(
        seeded,
        csv("seed = 33\n", "c"),
        "another seed, another epidemic"
    );
    assert_ne!(seeded, csv("", "d"), "a seed differs from none");
    // The model says 30 days; end_date asks for Jan 1..=Jan 5.
    let bounded = csv("end_date = 2020-Jan-05\n", "e");
    let rows: Vec<&str> = bounded.lines().skip(1).collect();
    assert_eq!(rows.len(), 5);
    assert!(rows[4].starts_with("4,2020-01-05,"), "{}", rows[4]);
}

#[test]
fn the_epidemic_rises_and_falls() {
    let dir = tempfile::tempdir().unwrap();
    let program = model(
        dir.path(),
        "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 150\n",
    );
    let out = dir.path().join("out");
    assert_eq!(run(&program, 1, &out), 0);
    let csv = std::fs::read_to_string(out.join("RUN1/out.csv")).unwrap();
    let infectious: Vec<i64> = csv
        .lines()
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split(',').collect();
            cells[11].parse::<i64>().unwrap() + cells[14].parse::<i64>().unwrap()
        })
        .collect();
    let peak = infectious.iter().copied().max().unwrap();
    let peak_day = infectious.iter().position(|&v| v == peak).unwrap();
    assert!(peak > 100, "an epidemic spreads: peak {peak}");
    assert!(
        peak_day > 5 && peak_day < 145,
        "it rises then falls: peak on day {peak_day}"
    );
    assert!(*infectious.last().unwrap() < peak / 2, "it declines");
}

#[test]
fn freds_quirks_exit_zero_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    // A missing program: nothing written, exit 0.
    let out = dir.path().join("missing-out");
    assert_eq!(run(&dir.path().join("missing.fred"), 1, &out), 0);
    assert!(!out.exists());
    // A broken model: errors.txt and an empty RUN1/, exit 0.
    let program = model(dir.path(), "use FRED::Influenza\ndays = 10\n");
    let out = dir.path().join("broken-out");
    assert_eq!(run(&program, 1, &out), 0);
    let errors = std::fs::read_to_string(out.join("errors.txt")).unwrap();
    assert_eq!(
        errors,
        "FRED Error (file main.fred) Bad start_date = ''\nFRED Error (file main.fred) No locations specified\n"
    );
    assert_eq!(std::fs::read_dir(out.join("RUN1")).unwrap().count(), 0);
    // Overrides appended later win, as FRED reads them.
    let program = model(dir.path(), &format!("{MODEL}days = 3\n"));
    let out = dir.path().join("override-out");
    assert_eq!(run(&program, 1, &out), 0);
    assert_eq!(
        std::fs::read_to_string(out.join("RUN1/out.csv"))
            .unwrap()
            .lines()
            .count(),
        5
    );
}
