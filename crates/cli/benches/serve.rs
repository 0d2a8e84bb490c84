//! `fredbatch serve` as epx uses it (`cargo bench -p fredbatch --bench serve`; `scripts/bench`
//! installs wrk and the epx client). Prints figures beside their goals; asserts nothing.
//!
//! 1. Polling: the poll epx makes while a job runs (`GET /runs?job_id=J`) for a job of 1,000
//!    runs, under wrk with 50 connections: throughput and p50/p99 latency (goals: at least 200
//!    polls/s, p99 under 100 ms). The job's inputs are never uploaded, so its runs stay QUEUED
//!    and every poll reads the same 1,000 runs: a stable target.
//! 2. A whole epx job: 100 demo-engine runs through the real epx client and `serve`, beside the
//!    same 100 runs through `fredbatch run`, measured in the same run: the wall-time ratio.
//!
//! FREDBATCH_BENCH_RUNS, FREDBATCH_BENCH_CONNECTIONS, FREDBATCH_BENCH_SECONDS and
//! FREDBATCH_BENCH_EPX_RUNS change the sizes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use fredbatch_testkit::bench::{env_number, run_wrk, wrk, wrk_figure, wrk_latency_ms};
use serde_json::Value;

/// The model of the epx comparison (its dates are the requests' own).
const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 30\n";

fn main() {
    let wrk = wrk();
    let python = fredbatch_testkit::required("FREDBATCH_EPX_PYTHON");
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("serve");
    let token = fredbatch(&home, &["--output", "json", "users", "add", "bench"]);
    let token: Value = serde_json::from_str(&token).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let server = Server::start(&home);
    polling(&server, &token, &wrk);
    epx_beside_run(dir.path(), &server, &token, Path::new(&python));
}

fn polling(server: &Server, token: &str, wrk: &Path) {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 1_000);
    let connections = env_number("FREDBATCH_BENCH_CONNECTIONS", 50);
    let seconds = env_number("FREDBATCH_BENCH_SECONDS", 10);
    let job = post(
        &server.address,
        "/jobs/register",
        token,
        r#"{"tags":["bench"]}"#,
    )["id"]
        .as_i64()
        .unwrap();
    let requests: Vec<Value> = (0..runs)
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
        token,
        &serde_json::json!({ "runRequests": requests }).to_string(),
    );
    assert_eq!(
        submitted["runResponses"].as_array().unwrap().len(),
        runs as usize
    );

    let path = format!("/runs?job_id={job}");
    let report = run_wrk(
        wrk,
        connections,
        seconds,
        &format!("Authorization: Bearer {token}"),
        &format!("http://{}{path}", server.address),
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let body_bytes = exchange(&server.address, "GET", &path, token, "").1.len();
    println!(
        "serve polling: GET /runs?job_id= of a {runs}-run job ({} KB a poll), wrk {connections} connections, {seconds} s, on {cores} cores shared by wrk and the server:",
        body_bytes / 1024
    );
    let rate = wrk_figure(&report, "Requests/sec:");
    let p50 = wrk_latency_ms(&report, "50%");
    let p99 = wrk_latency_ms(&report, "99%");
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

/// One job of `runs` runs on the demo engine through epx and `serve`, then through
/// `fredbatch run`, one after the other on the same machine.
fn epx_beside_run(dir: &Path, server: &Server, token: &str, python: &Path) {
    let runs = env_number("FREDBATCH_BENCH_EPX_RUNS", 100);
    let model = dir.join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::write(model.join("main.fred"), MODEL).unwrap();
    let storage = dir.join("epx");
    std::fs::create_dir_all(&storage).unwrap();
    std::fs::write(
        storage.join("config.json"),
        serde_json::json!({ "api-url": format!("http://{}", server.address), "bearer-token": token })
            .to_string(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/epx_job.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(model.join("main.fred"))
        .arg(runs.to_string())
        .env("EPX_STORAGE_DIR", &storage)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run the epx client's Python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the epx job failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let epx: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    let epx_seconds = epx["seconds"].as_f64().unwrap();

    let started = Instant::now();
    fredbatch(
        &dir.join("run"),
        &[
            "run",
            &model.display().to_string(),
            "--runs",
            &runs.to_string(),
        ],
    );
    let run_seconds = started.elapsed().as_secs_f64();
    println!("\nan epx job of {runs} demo-engine runs (30 days each):");
    println!("  epx through serve : {epx_seconds:>7.1} s  (FREDJob.execute, epx polls every 3 s)");
    println!("  fredbatch run     : {run_seconds:>7.1} s");
    println!("  ratio serve/run   : {:>7.2}x", epx_seconds / run_seconds);
}

/// `fredbatch ARGS` with `home` as FREDBATCH_HOME (the built-in demo engine); its stdout.
fn fredbatch(home: &Path, args: &[&str]) -> String {
    let output = command(home)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run fredbatch");
    assert!(output.status.success(), "fredbatch {args:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

fn command(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fredbatch"));
    command
        .env("FREDBATCH_HOME", home)
        .env_remove("DATABASE_URL")
        .env_remove("FREDBATCH_UPLOADS")
        .env_remove("FREDBATCH_RESULTS")
        .env_remove("FRED_HOME")
        .env_remove("AWS_BATCH_JOB_DEFINITION")
        .env_remove("AWS_BATCH_JOB_QUEUE");
    command
}

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(home: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = command(home)
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

fn post(address: &str, path: &str, token: &str, body: &str) -> Value {
    let (status, answer) = exchange(address, "POST", path, token, body);
    assert_eq!(status, 200, "POST {path}: {answer}");
    serde_json::from_str(&answer).unwrap()
}
