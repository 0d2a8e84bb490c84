//! Hostile inputs archives uploaded through a real `fredbatch serve` (`cargo bench -p fredbatch
//! --bench serve_archives`): what each costs the server before it is refused. Prints figures
//! beside their goals; asserts nothing.
//!
//! 1. An archive of 1,000,000 empty entries (about 88 MB; FREDBATCH_BENCH_ENTRIES changes the
//!    count): serve's peak resident memory (the kernel's high-water mark, VmHWM) and what it
//!    holds after, and whether the archive was refused (goal: under 150 MB).
//! 2. Zip bombs: one of about 10 MB whose entries declare the 10 GB they expand to, one whose
//!    entry declares 1 MB and expands to 100 MB. For each, the bytes serve wrote (its write
//!    calls, from /proc/PID/io) from the end of the upload to the refusal, the archive's own
//!    copy into the scratch folder included (goal: no more than that copy and the limit it
//!    breaks).
//!
//! FREDBATCH_BENCH_BASELINE_BIN names another build of `fredbatch` to measure first, for
//! figures to compare with ("before").

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{Server, add_user, api_job, call, http, serve};
use fredbatch_testkit::bench::{env_number, process_status_kb};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

const MB: f64 = 1e6;

fn main() {
    let entries = env_number("FREDBATCH_BENCH_ENTRIES", 1_000_000);
    let many = many_entries(entries);
    let zeros = vec![0u8; 100_000_000];
    let bombs = [
        (
            "100 entries declaring the 100 MB each expands to",
            honest_bomb(&zeros),
        ),
        (
            "an entry declaring 1 MB and expanding to 100 MB",
            lying_bomb(&zeros),
        ),
    ];
    println!("hostile archives through serve:");
    if let Some(baseline) = std::env::var_os("FREDBATCH_BENCH_BASELINE_BIN") {
        let baseline = PathBuf::from(baseline);
        println!(" before ({}):", baseline.display());
        measure(&baseline, entries, &many, &bombs);
    }
    println!(" this build:");
    measure(
        Path::new(env!("CARGO_BIN_EXE_fredbatch")),
        entries,
        &many,
        &bombs,
    );
}

/// The figures of `binary`'s `serve`, a fresh one for each archive.
fn measure(binary: &Path, entries: u32, many: &[u8], bombs: &[(&str, Vec<u8>)]) {
    let (sandbox, server, token) = fresh_server(binary);
    let before_kb = process_status_kb(server.child.id(), "VmRSS:").unwrap_or(0);
    let outcome = upload_and_await(&server, &token, many);
    let pid = server.child.id();
    println!(
        "  {entries} entries ({:.1} MB): serve's peak {:.1} MB (goal < 150), {:.1} MB at rest before, {:.1} MB held after; {outcome}",
        many.len() as f64 / MB,
        process_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
        before_kb as f64 / 1024.0,
        process_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
    );
    drop((server, sandbox));

    for (what, bomb) in bombs {
        let (sandbox, server, token) = fresh_server(binary);
        let job = api_job(&server, &token, &["bomb"], &[1], false);
        let (status, body) = http("PUT", &inputs_url(&server, &token, job), None, bomb);
        assert_eq!(status, 200, "upload: {}", String::from_utf8_lossy(&body));
        let written_before = written_bytes(server.child.id());
        let outcome = await_outcome(&server, &token, job);
        let written = written_bytes(server.child.id()) - written_before;
        println!(
            "  a {:.1} MB zip bomb, {what}: {:.1} MB written after its upload, {:.1} MB of it the archive's copy to check; {outcome}",
            bomb.len() as f64 / MB,
            written as f64 / MB,
            bomb.len() as f64 / MB,
        );
        drop((server, sandbox));
    }
}

fn fresh_server(binary: &Path) -> (Sandbox, Server, String) {
    let sandbox = Sandbox::with_binary(binary.to_owned());
    let token = add_user(&sandbox, "bench");
    let server = serve(&sandbox, &[]);
    (sandbox, server, token)
}

/// Uploads `archive` as a new one-run job's inputs and waits for the run to end.
fn upload_and_await(server: &Server, token: &str, archive: &[u8]) -> String {
    let job = api_job(server, token, &["archive"], &[1], false);
    let (status, body) = http("PUT", &inputs_url(server, token, job), None, archive);
    if status != 200 {
        return format!(
            "upload refused: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    await_outcome(server, token, job)
}

/// "refused: REASON" once the job's run ends, or what it became.
fn await_outcome(server: &Server, token: &str, job: i64) -> String {
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let runs = call(
            server,
            "GET",
            &format!("/runs?job_id={job}"),
            token,
            Value::Null,
        );
        let run = &runs["runs"][0];
        match run["status"].as_str() {
            Some("ERROR") => {
                return format!("refused: {}", run["statusReason"].as_str().unwrap_or(""));
            }
            Some("DONE") => return "NOT refused: it ran".into(),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    "no outcome in 10 minutes".into()
}

fn inputs_url(server: &Server, token: &str, job: i64) -> String {
    let answer = call(
        server,
        "POST",
        "/jobs",
        token,
        json!({"jobId": job, "context": "job", "type": "input"}),
    );
    answer["url"].as_str().unwrap().to_owned()
}

/// Bytes `pid` passed to write calls so far (`wchar` of /proc/PID/io).
fn written_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|line| line.strip_prefix("wchar:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// An archive of `entries` empty files with 6-character names, stored.
fn many_entries(entries: u32) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for n in 0..entries {
        zip.start_file(format!("{n:06}"), stored).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A main file and 100 copies of `zeros` deflated: each entry declares its true size.
fn honest_bomb(zeros: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default().large_file(true);
    zip.start_file("main.fred", deflated).unwrap();
    zip.write_all(b"locations = Test_Town\n").unwrap();
    zip.start_file("zeros-000", deflated).unwrap();
    zip.write_all(zeros).unwrap();
    for n in 1..100 {
        zip.deep_copy_file("zeros-000", &format!("zeros-{n:03}"))
            .unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A main file and `zeros` deflated under a header that declares 1 MB: the archive lies about
/// what it expands to.
fn lying_bomb(zeros: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default();
    zip.start_file("main.fred", deflated).unwrap();
    zip.write_all(b"locations = Test_Town\n").unwrap();
    zip.start_file("zeros", deflated).unwrap();
    zip.write_all(zeros).unwrap();
    let mut bytes = zip.finish().unwrap().into_inner();
    let declared = 1_000_000u32.to_le_bytes();
    let true_size = (zeros.len() as u32).to_le_bytes();
    // The uncompressed size sits 22 bytes into a local header, 24 into a central record.
    for (signature, at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let header = (0..bytes.len() - 30)
            .find(|&i| &bytes[i..i + 4] == signature && bytes[i + at..i + at + 4] == true_size)
            .expect("the zeros' header");
        bytes[header + at..header + at + 4].copy_from_slice(&declared);
    }
    bytes
}
