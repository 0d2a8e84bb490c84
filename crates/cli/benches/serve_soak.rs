//! `fredbatch serve` shared by a team, under load (`cargo bench -p fredbatch --bench
//! serve_soak`; `scripts/bench` installs wrk): users each running jobs of demo-engine runs
//! while wrk's connections poll and idle connections are held open (reopened as the server
//! closes them). Prints failed requests, p99 latency, the server's peak memory and how its
//! memory moved minute by minute, and runs lost or run twice (goal 0). Asserts nothing.
//!
//! FREDBATCH_BENCH_USERS (20), FREDBATCH_BENCH_RUNS (50 a user), FREDBATCH_BENCH_SECONDS
//! (300), FREDBATCH_BENCH_CONNECTIONS (50 polling) and FREDBATCH_BENCH_IDLE (200) set the load.
//! FREDBATCH_BENCH_BASELINE_BIN names another build of `fredbatch` to put under the same load
//! first, for a row of figures to compare with ("before"); options of `serve` it lacks are not
//! given to it, and the report names them. Both use this build's demo engine, so the runs'
//! work is the same.

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{add_user, api_job, run_statuses, serve_with_args};
use fredbatch_testkit::bench::{env_number, process_status_kb, run_wrk, wrk, wrk_latency_ms};

/// The load of one soak.
struct Load {
    users: u32,
    runs: u32,
    seconds: u32,
    connections: u32,
    idle: u32,
}

/// What one soak measured.
struct Figures {
    failed: u64,
    p99_ms: f64,
    peak_mb: f64,
    /// Resident memory at the end of each minute of the soak, in MB.
    by_minute: Vec<f64>,
    runs: usize,
    lost: usize,
    twice: usize,
    /// Options of `serve` this build lacks, so it ran without them.
    not_given: Vec<String>,
}

fn main() {
    let load = Load {
        users: env_number("FREDBATCH_BENCH_USERS", 20),
        runs: env_number("FREDBATCH_BENCH_RUNS", 50),
        seconds: env_number("FREDBATCH_BENCH_SECONDS", 300),
        connections: env_number("FREDBATCH_BENCH_CONNECTIONS", 50),
        idle: env_number("FREDBATCH_BENCH_IDLE", 200),
    };
    let wrk = wrk();
    println!(
        "serve soak: {} users x {} demo runs, {} connections polling, {} idle connections held, {} s:",
        load.users, load.runs, load.connections, load.idle, load.seconds
    );
    if let Some(baseline) = std::env::var_os("FREDBATCH_BENCH_BASELINE_BIN") {
        let baseline = PathBuf::from(baseline);
        report(
            &format!("before ({})", baseline.display()),
            &soak(&load, &wrk, baseline),
        );
    }
    let this_build = PathBuf::from(env!("CARGO_BIN_EXE_fredbatch"));
    report("this build", &soak(&load, &wrk, this_build));
}

fn report(label: &str, figures: &Figures) {
    println!("  {label}:");
    println!("    polls failed   : {}   (goal 0)", figures.failed);
    println!("    poll p99       : {:.1} ms", figures.p99_ms);
    let minutes: Vec<String> = figures
        .by_minute
        .iter()
        .map(|mb| format!("{mb:.1}"))
        .collect();
    println!(
        "    serve memory   : peak {:.1} MB; at the end of each minute {} MB",
        figures.peak_mb,
        minutes.join(", ")
    );
    println!(
        "    runs           : {} in all, {} not DONE (goal 0), {} run more than once (goal 0)",
        figures.runs, figures.lost, figures.twice
    );
    if !figures.not_given.is_empty() {
        println!(
            "    not comparable : it has no {} (ran without)",
            figures.not_given.join(", ")
        );
    }
}

/// One soak of `binary`'s `serve` under `load`, in a sandbox of its own.
fn soak(load: &Load, wrk: &Path, binary: PathBuf) -> Figures {
    let sandbox = Sandbox::with_binary(binary);
    let tokens: Vec<String> = (0..load.users)
        .map(|n| add_user(&sandbox, &format!("user{n}")))
        .collect();
    // wrk polls with one token: let it have its connections in flight.
    let per_user = (load.connections + 8).to_string();
    let (args, not_given) = supported(&sandbox, &["--requests-per-user", &per_user]);
    let mut server = serve_with_args(&sandbox, &args, &[]);
    let address = server.address().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let holder = hold_idle_connections(address, load.idle, Arc::clone(&stop));

    // Every user's job, registered at once; their runs go on during the soak.
    let seeds: Vec<u64> = (1..=u64::from(load.runs)).collect();
    let jobs: Vec<(String, i64)> = tokens
        .iter()
        .map(|token| {
            (
                token.clone(),
                api_job(&server, token, &["soak"], &seeds, true),
            )
        })
        .collect();
    let pid = server.child.id();
    let memory = Arc::new(Mutex::new(Vec::<(Duration, u64)>::new()));
    let sampler = {
        let (stop, memory) = (Arc::clone(&stop), Arc::clone(&memory));
        let started = Instant::now();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = process_status_kb(pid, "VmRSS:") {
                    memory.lock().unwrap().push((started.elapsed(), kb));
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let (token, job) = &jobs[0];
    let wrk_report = run_wrk(
        wrk,
        load.connections,
        load.seconds,
        &format!("Authorization: Bearer {token}"),
        &format!("{}/runs?job_id={job}", server.url),
    );
    // The runs finish (they may outlast the soak).
    let deadline = Instant::now() + Duration::from_secs(900);
    let unfinished = |(token, job): &&(String, i64)| {
        run_statuses(&server, token, *job)
            .iter()
            .any(|s| s != "DONE" && s != "ERROR")
    };
    while jobs.iter().any(|job| unfinished(&job)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
    }
    stop.store(true, Ordering::Relaxed);
    holder.join().expect("the idle connections' holder");
    sampler.join().expect("the memory sampler");
    let hwm_kb = process_status_kb(pid, "VmHWM:").unwrap_or(0);
    // Stopped before its store is read.
    server.child.kill().ok();
    server.child.wait().ok();

    // Read by the build under test itself (`status --output json`), whose schema it knows.
    let all_runs: Vec<(String, u64)> = jobs
        .iter()
        .flat_map(|(_, job)| {
            sandbox.json(&["status", &job.to_string(), "--all"])["runs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|run| {
            (
                run["status"].as_str().unwrap_or_default().to_owned(),
                run["attempts"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let samples = memory.lock().unwrap().clone();
    let peak_kb = samples
        .iter()
        .map(|(_, kb)| *kb)
        .max()
        .unwrap_or(0)
        .max(hwm_kb);
    Figures {
        failed: failed_requests(&wrk_report),
        p99_ms: wrk_latency_ms(&wrk_report, "99%"),
        peak_mb: peak_kb as f64 / 1024.0,
        by_minute: by_minute(&samples, load.seconds),
        runs: all_runs.len(),
        lost: all_runs
            .iter()
            .filter(|(status, _)| status != "DONE")
            .count(),
        twice: all_runs
            .iter()
            .filter(|(_, attempts)| *attempts > 1)
            .count(),
        not_given,
    }
}

/// Of `args` (option, value pairs), those `sandbox`'s `serve` knows, and the names of those
/// it does not.
fn supported<'a>(sandbox: &Sandbox, args: &[&'a str]) -> (Vec<&'a str>, Vec<String>) {
    let help = sandbox.run(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for pair in args.chunks(2) {
        if help.contains(pair[0]) {
            known.extend_from_slice(pair);
        } else {
            unknown.push(pair[0].to_owned());
        }
    }
    (known, unknown)
}

/// Holds `idle` connections to `address` that never send anything, reopening those the server
/// closes, until `stop`.
fn hold_idle_connections(
    address: String,
    idle: u32,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            held.retain(|stream| {
                let mut byte = [0u8; 1];
                stream.set_nonblocking(true).ok();
                // Closed by the server: a read gives 0 bytes.
                !matches!(std::io::Read::read(&mut &*stream, &mut byte), Ok(0))
            });
            while held.len() < idle as usize {
                match TcpStream::connect(&address) {
                    Ok(stream) => held.push(stream),
                    Err(_) => break,
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

/// wrk's failed requests: answers other than 2xx and socket errors (timeouts included).
fn failed_requests(report: &str) -> u64 {
    report
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        // The counts follow the colon ("Non-2xx or 3xx responses: 5").
        .filter_map(|l| l.split_once(':').map(|(_, counts)| counts))
        .flat_map(|counts| {
            counts
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<u64>().ok())
        })
        .sum()
}

/// The resident memory sampled last in each minute of the soak, in MB.
fn by_minute(samples: &[(Duration, u64)], seconds: u32) -> Vec<f64> {
    (1..=seconds.div_ceil(60))
        .filter_map(|minute| {
            samples
                .iter()
                .rev()
                .find(|(at, _)| at.as_secs() < u64::from(minute) * 60)
                .map(|(_, kb)| *kb as f64 / 1024.0)
        })
        .collect()
}
