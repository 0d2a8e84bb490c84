//! What clients polling `fredbatch serve` cost in AWS Batch requests: a job of 1,000 runs is
//! made through the platform API and supervised on AWS Batch (moto, `FREDBATCH_TEST_MOTO_URL`;
//! `scripts/bench` starts one), then wrk polls `GET /runs?job_id=` as epx does, with 0, 1 and
//! 50 connections. Polls read the store, so the Batch requests of a supervision round should
//! not move with the number of pollers; the pattern of the AWS Batch design this project
//! implements made two Batch requests per run per poll, printed beside for scale.
//!
//! moto's Docker-less Batch ends every job at once, so a proxy in front of it shows every job
//! as RUNNING: the runs stay open and every round describes all of them. Each run is its own
//! Batch job here (no array job), so a round is DescribeJobs by 100 ids. Prints figures;
//! asserts nothing.
//! `cargo bench -p fredbatch --bench serve_rounds`; FREDBATCH_BENCH_RUNS and
//! FREDBATCH_BENCH_SECONDS change the sizes.

/// The AWS Batch backend's own test fixtures: a Batch setup in moto and a proxy that records
/// (and here rewrites) what reaches it.
#[allow(dead_code)]
#[path = "../../batch/tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::BackendTarget;
use fredbatch_core::Resources;
use fredbatch_core::keys::uploaded_inputs_key;
use fredbatch_server::{JobDefaults, ServerConfig, auth};
use fredbatch_storage::Storage;
use fredbatch_store::Store;
use fredbatch_testkit::bench::{env_number, run_wrk, wrk, wrk_figure};
use serde_json::{Value, json};

use support::moto::{Setup, moto_url};
use support::proxy::{Action, Proxy};

const TICK: Duration = Duration::from_secs(1);

/// The server and the proxy run on the runtime; this thread plays the clients, blocking.
fn main() {
    let runs = env_number("FREDBATCH_BENCH_RUNS", 1_000);
    let seconds = env_number("FREDBATCH_BENCH_SECONDS", 10);
    let wrk = wrk();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let setup = runtime.block_on(Setup::create());
    let proxy = runtime.block_on(Proxy::with_rule(
        &moto_url(),
        Box::new(|seen, _| shown_running(seen)),
    ));
    let mut config = setup.config();
    config.array_jobs = false;
    let runner = Arc::new(runtime.block_on(setup.runner(&proxy.url, config)));

    let dir = tempfile::tempdir().unwrap();
    let store = runtime
        .block_on(Store::open(&Store::sqlite_url(dir.path())))
        .unwrap();
    let token = auth::new_token();
    runtime
        .block_on(store.add_user("bench", &auth::token_hash(&token), chrono::Utc::now()))
        .unwrap();
    let uploads = Storage::local(&dir.path().join("uploads")).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound, address) = std::sync::mpsc::channel::<SocketAddr>();
    let server = runtime.spawn(fredbatch_server::serve(
        ServerConfig {
            store: store.clone(),
            uploads: uploads.clone(),
            results: Storage::local(&dir.path().join("results")).unwrap(),
            runner,
            defaults: JobDefaults {
                resources: Resources::AWS_DEFAULT,
                max_attempts: 3,
                attempt_timeout_seconds: 4 * 3600,
                backend: BackendTarget::AwsBatch(setup.config().target()),
                first_run_checks: false,
            },
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            upload_limit: fredbatch_server::DEFAULT_UPLOAD_LIMIT,
            url_lifetime: Duration::from_secs(3600),
            tick: TICK,
            scratch: dir.path().join("server"),
            model_check: None,
            connections: fredbatch_server::ConnectionLimits::default(),
            requests_per_user: fredbatch_server::DEFAULT_REQUESTS_PER_USER,
            tls: None,
        },
        async {
            stopped.await.ok();
        },
        move |address| {
            bound.send(address).ok();
        },
    ));
    let address = address.recv().expect("the server did not start");
    let client = Client { address, token };

    let job = client.call("POST", "/jobs/register", json!({ "tags": ["bench"] }))["id"]
        .as_i64()
        .unwrap();
    let requests: Vec<Value> = (0..runs)
        .map(|i| {
            json!({
                "jobId": job, "workingDir": "/home/modeler/model", "size": "hot", "fredVersion": "latest",
                "fredArgs": [{"flag": "-p", "value": "main.fred"}, {"flag": "-s", "value": i.to_string()}],
                "fredFiles": ["/home/modeler/model/main.fred"],
            })
        })
        .collect();
    client.call("POST", "/runs", json!({ "runRequests": requests }));
    // The client's upload, put straight where the signed URL would write it.
    let inputs_key = runtime
        .block_on(store.job(fredbatch_core::JobId(job)))
        .unwrap()
        .inputs_key;
    runtime
        .block_on(uploads.put_bytes(&uploaded_inputs_key(&inputs_key), model_archive()))
        .unwrap();

    // Every run submitted and shown RUNNING.
    let polled = format!("/runs?job_id={job}");
    for _ in 0..600 {
        let body = client.call("GET", &polled, Value::Null);
        let running = body["runs"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|r| r["status"] == "RUNNING").count());
        if running == runs as usize {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let submitted = proxy.count("SubmitJob");
    println!(
        "serve on AWS Batch (moto): a {runs}-run job, {submitted} SubmitJob, one Batch job per run, a round every {} s",
        TICK.as_secs()
    );
    println!(
        "{:>8} {:>9} {:>13} {:>16} {:>19} {:>34}",
        "pollers",
        "polls/s",
        "whole rounds",
        "Batch req/round",
        "req/round/100 runs",
        "design's Batch req/s (2/run/poll)"
    );
    for connections in [0, 1, 50] {
        proxy.clear();
        let polls_per_second = if connections == 0 {
            std::thread::sleep(Duration::from_secs(seconds.into()));
            0.0
        } else {
            let report = run_wrk(
                &wrk,
                connections,
                seconds,
                &format!("Authorization: Bearer {}", client.token),
                &format!("http://{address}{polled}"),
            );
            wrk_figure(&report, "Requests/sec:")
        };
        let seen = proxy.seen();
        let whole = requests_per_round(&seen);
        let rounds = whole.len();
        let per_round = whole.iter().sum::<usize>() as f64 / rounds.max(1) as f64;
        println!(
            "{connections:>8} {polls_per_second:>9.0} {rounds:>13} {per_round:>16.1} {:>19.2} {:>34.0}",
            per_round * 100.0 / runs as f64,
            2.0 * runs as f64 * polls_per_second,
        );
    }
    stop.send(()).ok();
    runtime.block_on(server).unwrap().unwrap();
}

/// Every job DescribeJobs returns is shown RUNNING (moto's own jobs have all ended).
fn shown_running(seen: &support::proxy::Seen) -> Action {
    if seen.operation != "DescribeJobs" {
        return Action::Forward;
    }
    Action::Rewrite(Box::new(|answer: &mut Value| {
        for job in answer["jobs"].as_array_mut().into_iter().flatten() {
            job["status"] = Value::from("RUNNING");
            if let Some(job) = job.as_object_mut() {
                job.remove("stoppedAt");
            }
        }
    }))
}

/// The Batch requests of each whole supervision round among `seen`. A round describes every
/// open run once, so the log is cut where a run is described again; the pieces that describe
/// fewer runs than the others are rounds the window cut, and are left out.
fn requests_per_round(seen: &[support::proxy::Seen]) -> Vec<usize> {
    let mut rounds: Vec<(HashSet<&str>, usize)> = vec![Default::default()];
    for request in seen {
        let ids: Vec<&str> = request.body["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let round = rounds.last_mut().unwrap();
        if ids.iter().any(|id| round.0.contains(id)) {
            rounds.push(Default::default());
        }
        let round = rounds.last_mut().unwrap();
        round.0.extend(ids);
        round.1 += 1;
    }
    let whole = rounds.iter().map(|(ids, _)| ids.len()).max().unwrap_or(0);
    rounds
        .into_iter()
        .filter(|(ids, _)| whole > 0 && ids.len() == whole)
        .map(|(_, requests)| requests)
        .collect()
}

/// A one-file model, zipped as a client uploads it.
fn model_archive() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(
        model.join("main.fred"),
        "locations = Test_Town\ndays = 10\n",
    )
    .unwrap();
    let archive = dir.path().join("job_input.zip");
    fredbatch_inputs::pack_model_dir(&model, "main.fred", &archive, Default::default()).unwrap();
    std::fs::read(archive).unwrap()
}

struct Client {
    address: SocketAddr,
    token: String,
}

impl Client {
    /// One request that must succeed; the answer's JSON (`Null` when it has none).
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let bearer = format!("Bearer {}", self.token);
        let (status, answer) = fredbatch_testkit::http(
            method,
            &format!("http://{}{path}", self.address),
            &[
                ("Authorization", &bearer),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        );
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(status, 200, "{method} {path}: {answer}");
        serde_json::from_str(&answer).unwrap_or(Value::Null)
    }
}
