//! `fredbatch serve` shared by a team, under load (`cargo bench -p fredbatch --bench
//! serve_soak`; `scripts/bench` installs wrk): users each running jobs of demo-engine runs
//! while wrk's connections poll and idle connections are held open (reopened as the server
//! closes them). Prints failed requests, p99 latency, the server's peak memory and whether it
//! grew from the first half of the soak to the second, and runs lost or run twice (goal 0).
//! Asserts nothing.
//!
//! FREDBATCH_BENCH_USERS (20), FREDBATCH_BENCH_RUNS (50 a user), FREDBATCH_BENCH_SECONDS
//! (300), FREDBATCH_BENCH_CONNECTIONS (50 polling) and FREDBATCH_BENCH_IDLE (200) set the load.

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{add_user, api_job, run_statuses, serve_with_args};
use fredbatch_testkit::bench::{env_number, run_wrk, wrk, wrk_latency_ms};

fn main() {
    let users = env_number("FREDBATCH_BENCH_USERS", 20);
    let runs = env_number("FREDBATCH_BENCH_RUNS", 50);
    let seconds = env_number("FREDBATCH_BENCH_SECONDS", 300);
    let connections = env_number("FREDBATCH_BENCH_CONNECTIONS", 50);
    let idle = env_number("FREDBATCH_BENCH_IDLE", 200);
    let wrk = wrk();
    let sandbox = Sandbox::new();
    let tokens: Vec<String> = (0..users)
        .map(|n| add_user(&sandbox, &format!("user{n}")))
        .collect();
    // wrk polls with one token: let it have its 50 connections in flight.
    let per_user = (connections + 8).to_string();
    let server = serve_with_args(&sandbox, &["--requests-per-user", &per_user], &[]);
    let address = server.url.trim_start_matches("http://").to_owned();

    // Idle connections: opened, never sent anything, reopened when the server closes them.
    let stop = Arc::new(AtomicBool::new(false));
    let holder = {
        let (stop, address) = (Arc::clone(&stop), address.clone());
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
    };

    // Every user's job, registered at once; their runs go on during the soak.
    let seeds: Vec<u64> = (1..=u64::from(runs)).collect();
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
    let memory = Arc::new(std::sync::Mutex::new(Vec::<(f64, u64)>::new()));
    let sampler = {
        let (stop, memory) = (Arc::clone(&stop), Arc::clone(&memory));
        let started = Instant::now();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    memory
                        .lock()
                        .unwrap()
                        .push((started.elapsed().as_secs_f64(), kb));
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let (token, job) = &jobs[0];
    let report = run_wrk(
        &wrk,
        connections,
        seconds,
        &format!("Authorization: Bearer {token}"),
        &format!("{}/runs?job_id={job}", server.url),
    );
    // The runs finish (they may outlast the soak).
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut unfinished = jobs.len();
    while unfinished > 0 && Instant::now() < deadline {
        unfinished = jobs
            .iter()
            .filter(|(token, job)| {
                run_statuses(&server, token, *job)
                    .iter()
                    .any(|s| s != "DONE" && s != "ERROR")
            })
            .count();
        std::thread::sleep(Duration::from_secs(1));
    }
    stop.store(true, Ordering::Relaxed);
    holder.join().ok();
    sampler.join().ok();

    let mut probe = sandbox.store();
    let all_runs: Vec<fredbatch_core::Run> = jobs
        .iter()
        .flat_map(|(_, job)| probe.runs(*job).unwrap_or_default())
        .collect();
    let lost = all_runs
        .iter()
        .filter(|r| r.status.as_str() != "DONE")
        .count();
    let twice = all_runs.iter().filter(|r| r.attempts > 1).count();
    let samples = memory.lock().unwrap().clone();
    let peak = samples.iter().map(|(_, kb)| *kb).max().unwrap_or(0);
    let half = samples.len() / 2;
    let mean = |part: &[(f64, u64)]| {
        part.iter().map(|(_, kb)| *kb as f64).sum::<f64>() / part.len().max(1) as f64 / 1024.0
    };
    let failed: u64 = report
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .flat_map(|l| {
            l.split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<u64>().ok())
        })
        .sum();
    println!(
        "serve soak: {users} users x {runs} demo runs, {connections} connections polling, {idle} idle connections held, {seconds} s:"
    );
    println!("  polls failed     : {failed}   (goal 0)");
    println!(
        "  poll p99         : {:.1} ms",
        wrk_latency_ms(&report, "99%")
    );
    println!(
        "  serve memory     : peak {:.1} MB; mean {:.1} MB in the first half, {:.1} MB in the second",
        peak as f64 / 1024.0,
        mean(&samples[..half]),
        mean(&samples[half..])
    );
    println!(
        "  runs             : {} in all, {lost} not DONE (goal 0), {twice} run more than once (goal 0)",
        all_runs.len()
    );
}

fn rss_kb(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
