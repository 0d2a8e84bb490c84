//! How fast `fredbatch serve` answers the poll epx makes while a job runs (`GET
//! /runs?job_id=J`), for a job of 1,000 runs, under `wrk` with 50 connections
//! (`cargo bench -p fredbatch --bench serve_polling`; `scripts/bench` installs wrk).
//!
//! The job's inputs are never uploaded, so its runs stay QUEUED and every poll reads the same
//! 1,000 runs: a stable target. Prints throughput and p50/p99 latency beside the goals
//! (at least 200 polls/s, p99 under 100 ms); asserts nothing. FREDBATCH_BENCH_RUNS,
//! FREDBATCH_BENCH_CONNECTIONS and FREDBATCH_BENCH_SECONDS change the sizes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn main() {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 1_000);
    let connections = env_number("FREDBATCH_BENCH_CONNECTIONS", 50);
    let seconds = env_number("FREDBATCH_BENCH_SECONDS", 10);
    let wrk = which("wrk")
        .expect("wrk is not installed: run scripts/bench (Debian: apt-get install wrk)");
    let dir = tempfile::tempdir().expect("temp dir");
    let fredbatch = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_fredbatch"))
            .env("FREDBATCH_HOME", dir.path().join("home"))
            .args(args)
            .output()
            .expect("run fredbatch");
        assert!(output.status.success(), "fredbatch {args:?} failed");
        String::from_utf8(output.stdout).unwrap()
    };
    let added: serde_json::Value =
        serde_json::from_str(&fredbatch(&["--output", "json", "users", "add", "bench"])).unwrap();
    let token = added["token"].as_str().unwrap().to_owned();
    let server = Server::start(dir.path());

    let job = post(
        &server.address,
        "/jobs/register",
        &token,
        r#"{"tags":["bench"]}"#,
    )["id"]
        .as_i64()
        .unwrap();
    let requests: Vec<serde_json::Value> = (0..runs)
        .map(|i| {
            serde_json::json!({
                "jobId": job, "workingDir": "/home/modeler/model", "size": "hot", "fredVersion": "latest",
                "fredArgs": [{"flag": "-p", "value": "main.fred"}, {"flag": "-s", "value": i.to_string()}],
                "fredFiles": ["/home/modeler/model/main.fred"],
            })
        })
        .collect();
    let submitted = post(
        &server.address,
        "/runs",
        &token,
        &serde_json::json!({ "runRequests": requests }).to_string(),
    );
    assert_eq!(
        submitted["runResponses"].as_array().unwrap().len(),
        runs as usize
    );

    let url = format!("http://{}/runs?job_id={job}", server.address);
    let output = Command::new(wrk)
        .args([
            "-t",
            "2",
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
        ])
        .args(["--latency", "--timeout", "10s"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(&url)
        .output()
        .expect("run wrk");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {report}");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let body_bytes = get_length(&server.address, &format!("/runs?job_id={job}"), &token);
    println!(
        "serve polling: GET /runs?job_id= of a {runs}-run job ({} KB a poll), wrk {connections} connections, {seconds} s, on {cores} cores shared by wrk and the server:",
        body_bytes / 1024
    );
    let rate = figure(&report, "Requests/sec:");
    let p50 = latency(&report, "50%");
    let p99 = latency(&report, "99%");
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

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fredbatch"))
            .env("FREDBATCH_HOME", dir.join("home"))
            .env_remove("DATABASE_URL")
            .env_remove("FREDBATCH_UPLOADS")
            .env_remove("FREDBATCH_RESULTS")
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fredbatch serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(
            first.starts_with("Serving the platform API"),
            "serve said: {first}"
        );
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            address: format!("127.0.0.1:{port}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn exchange(address: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).expect("connect to serve");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    (
        head.split(' ').nth(1).unwrap().parse().unwrap(),
        body.to_owned(),
    )
}

fn post(address: &str, path: &str, token: &str, body: &str) -> serde_json::Value {
    let (status, answer) = exchange(address, "POST", path, token, body);
    assert_eq!(status, 200, "POST {path}: {answer}");
    serde_json::from_str(&answer).unwrap()
}

fn get_length(address: &str, path: &str, token: &str) -> usize {
    exchange(address, "GET", path, token, "").1.len()
}

/// The number after `label` in wrk's report.
fn figure(report: &str, label: &str) -> f64 {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// A latency percentile of wrk's `--latency` distribution, in milliseconds.
fn latency(report: &str, percentile: &str) -> f64 {
    let Some(value) = report
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix(percentile).map(str::trim))
    else {
        return f64::NAN;
    };
    let (number, unit) = value.split_at(
        value
            .find(|c: char| c.is_alphabetic())
            .unwrap_or(value.len()),
    );
    let number: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => f64::NAN,
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|path| path.is_file())
}

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
