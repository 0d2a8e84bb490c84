//! `fredbatch serve` driven by the real epx client (`scripts/test` installs it in .venv-epx and
//! names its Python in FREDBATCH_EPX_PYTHON): a real server process on a free port, real
//! workers, the demo engine behind a FRED that misbehaves on request.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Sandbox, kill_9, text, wait_for};
use serde_json::Value;

/// The model every job here runs (its dates and days are overridden by the requests).
const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 10\n";

/// A FRED that runs the demo engine, except when the run's program asks it to misbehave:
/// `fail_once = 1` fails the first attempt with a model error, `slow = 1` takes 30 s,
/// `pause = 1` takes 2 s.
fn misbehaving_fred(sandbox: &Sandbox) -> PathBuf {
    let marker = sandbox.path().join("failed-once");
    sandbox.fake_fred(&format!(
        "if grep -q '^fail_once = 1' \"$2\" && [ ! -e {m} ]; then touch {m}; mkdir -p \"$6/RUN$4\"; \
         echo 'FRED Error (file main.fred) a planned failure of the first attempt' > \"$6/errors.txt\"; exit 0; fi\n\
         if grep -q '^slow = 1' \"$2\"; then sleep 30; fi\n\
         if grep -q '^pause = 1' \"$2\"; then sleep 2; fi\n\
         exec {bin} demo-fred \"$@\"",
        m = marker.display(),
        bin = env!("CARGO_BIN_EXE_fredbatch"),
    ))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Starts `fredbatch serve` and waits until it answers /health.
fn serve(sandbox: &Sandbox, port: u16) -> Server {
    let mut child = sandbox
        .command()
        .env("FRED_HOME", misbehaving_fred(sandbox))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--max-vcpus",
            "2",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fredbatch serve");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(
        first.starts_with("Serving the platform API on http://127.0.0.1:"),
        "serve said: {first}"
    );
    // Keep draining its stderr so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let url = format!("http://127.0.0.1:{port}");
    Server { child, url }
}

/// A user's token.
fn add_user(sandbox: &Sandbox, name: &str) -> String {
    let added = sandbox.json(&["users", "add", name]);
    assert_eq!(added["name"], name);
    added["token"].as_str().unwrap().to_owned()
}

/// An epx storage folder configured for `url` and `token`.
fn epx_config(sandbox: &Sandbox, name: &str, url: &str, token: &str) -> PathBuf {
    let dir = sandbox.path().join(format!("epx-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({ "api-url": url, "bearer-token": token }).to_string(),
    )
    .unwrap();
    dir
}

/// Runs one of the epx scripts beside this file with the client's Python; returns its JSON.
fn epx(sandbox: &Sandbox, storage: &Path, script: &str, args: &[&str]) -> Value {
    let python = fredbatch_testkit::required("FREDBATCH_EPX_PYTHON");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/epx")
        .join(script);
    let output = Command::new(python)
        .arg(&script)
        .args(args)
        .env("EPX_STORAGE_DIR", storage)
        .env_remove("PLATFORM_API_URL")
        .env_remove("JPY_API_TOKEN")
        .current_dir(sandbox.path())
        .stdin(Stdio::null())
        .output()
        .expect("run the epx client's Python");
    assert!(
        output.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn model_file(sandbox: &Sandbox) -> String {
    let path = sandbox.model("model", MODEL).join("main.fred");
    path.display().to_string()
}

#[test]
fn a_job_of_several_configurations_runs_and_its_results_read_back_with_epx() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let bob = add_user(&sandbox, "bob");
    let server = serve(&sandbox, free_port());
    let model = model_file(&sandbox);
    let storage = epx_config(&sandbox, "alice", &server.url, &alice);
    let out = epx(&sandbox, &storage, "job_results.py", &[&model]);

    let runs: Vec<i64> = out["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_i64().unwrap())
        .collect();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|&id| id > 0));
    let days = |i: usize| out["days"][runs[i].to_string()].as_u64().unwrap();
    // end_date bounds the days whatever the model's `days` says: Jan 1..=10, Jan 1..=5.
    assert_eq!(
        [days(0), days(1), days(2), days(3)],
        [10, 10, 10, 5],
        "{out}"
    );
    let curve = |i: usize| out["new_exposed"][runs[i].to_string()].clone();
    assert_eq!(curve(0), curve(2), "same seed, same dates: same results");
    assert_ne!(curve(0), curve(1), "another seed: another epidemic");
    assert_eq!(out["pop"][0]["pop_size"], 1000, "{out}");
    assert!(out["dates"].to_string().contains("2020-01-01"), "{out}");
    let downloaded: Vec<String> = out["downloaded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = runs.iter().map(i64::to_string).collect();
    expected.sort();
    assert_eq!(downloaded, expected);
    assert_eq!(out["has_daily"], true);

    // The job is an ordinary fredbatch job.
    let job = out["job_id"].as_i64().unwrap().to_string();
    let status = sandbox.json(&["status", &job]);
    let statuses: Vec<&str> = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["DONE"; 4], "{status}");

    // Another user sees none of it; a forged token gets nowhere.
    let bobs = epx_config(&sandbox, "bob", &server.url, &bob);
    let seen = epx(&sandbox, &bobs, "other_user.py", &[&job]);
    assert_eq!(seen["mine"], serde_json::json!([]), "{seen}");
    for path in [
        format!("/runs?job_id={job}"),
        format!("/jobs/results?job_id={job}"),
    ] {
        assert_eq!(seen[&path][0], 404, "{seen}");
        assert!(seen[&path][1]["description"].is_string(), "{seen}");
    }
    assert_eq!(seen["delete"][0], 404, "{seen}");
    let forged = epx_config(
        &sandbox,
        "forged",
        &server.url,
        "eyJ1c2VyX2lkIjogMTIzLCAic2NvcGVzX2hhc2giOiAiYWJjMTIzIn0=",
    );
    let refused = epx(&sandbox, &forged, "bad_token.py", &[&model]);
    assert_eq!(refused["refused"], true, "{refused}");
    assert_eq!(refused["error"], "UnauthorizedUserError", "{refused}");
    assert_eq!(
        sandbox.json(&["status", &job])["runs"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn a_failed_run_is_retried_by_the_client_and_the_side_calls_work() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let server = serve(&sandbox, free_port());
    let model = model_file(&sandbox);
    let storage = epx_config(&sandbox, "alice", &server.url, &alice);
    let out = epx(&sandbox, &storage, "retry_and_side_calls.py", &[&model]);

    assert_eq!(out["retried_status"], "DONE", "{out}");
    let run = &out["retried_runs"][0];
    assert_eq!(run["status"], "DONE", "{out}");
    let attempts = sandbox.json(&["status", "--run", &run["id"].to_string()]);
    let attempts = attempts["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("{attempts}"));
    let statuses: Vec<&str> = attempts
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["FAILED", "SUCCEEDED"],
        "the retry is a new attempt"
    );
    assert_eq!(out["by_tags"], serde_json::json!([1]), "{out}");
    assert_eq!(out["latest"], 1, "{out}");
    assert!(out["stop"].to_string().contains("Stopped"), "{out}");
    assert_eq!(out["stopped_status"], "ERROR", "{out}");
    let slow = out["slow_job"].as_i64().unwrap();
    assert_eq!(
        out["after_delete"],
        serde_json::json!([1]),
        "a deleted job is gone: {out}"
    );
    let cancelled = sandbox.json(&["status", &slow.to_string()]);
    for run in cancelled["runs"].as_array().unwrap() {
        assert_eq!(run["status"], "CANCELLED", "{cancelled}");
    }
    drop(server);
}

#[test]
fn a_killed_server_restarts_and_every_run_finishes_once() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let port = free_port();
    let mut server = serve(&sandbox, port);
    // A second server on the same store refuses, naming the first.
    let second = sandbox.run(&["serve", "--listen", &format!("127.0.0.1:{}", free_port())]);
    assert!(!second.status.success());
    let said = text(&second.stderr);
    assert!(
        said.contains(&format!("pid {}", server.child.id()))
            && said.contains(&format!("127.0.0.1:{port}")),
        "{said}"
    );

    let storage = epx_config(&sandbox, "alice", &server.url, &alice);
    // Four runs of 2 s each, two at a time; execute() returns once they are submitted.
    let script = sandbox.path().join("start.py");
    std::fs::write(
        &script,
        "import sys\nfrom epx import FREDJob, FREDModelConfig, SynthPop\n\
         job = FREDJob(fred_files=[sys.argv[1]], tags=['resume'], config=[FREDModelConfig(\
         synth_pop=SynthPop('US_2010.v5', ['Test_Town']), model_params={'pause': 1}, n_reps=4)])\n\
         job.execute()\nprint('{\"job\": %d}' % job.job_id)\n",
    )
    .unwrap();
    let model = model_file(&sandbox);
    let started = Command::new(fredbatch_testkit::required("FREDBATCH_EPX_PYTHON"))
        .arg(&script)
        .arg(&model)
        .env("EPX_STORAGE_DIR", &storage)
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", text(&started.stderr));
    let job = "1";
    let done = |sandbox: &Sandbox| -> Vec<(i64, u64)> {
        sandbox.json(&["status", job])["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "DONE")
            .map(|r| (r["id"].as_i64().unwrap(), r["attempts"].as_u64().unwrap()))
            .collect()
    };
    let before = wait_for("a DONE run", Duration::from_secs(60), || {
        let done = done(&sandbox);
        (!done.is_empty()).then_some(done)
    });
    kill_9(&mut server.child);
    let _restarted = serve(&sandbox, port);
    let after = wait_for("every run DONE", Duration::from_secs(90), || {
        let done = done(&sandbox);
        (done.len() == 4).then_some(done)
    });
    for (id, attempts) in &before {
        assert!(
            after.contains(&(*id, *attempts)),
            "run {id} ran again: {before:?} then {after:?}"
        );
    }
    for (id, _) in &after {
        let run = sandbox.json(&["status", "--run", &id.to_string()]);
        let succeeded = run["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "SUCCEEDED")
            .count();
        assert_eq!(succeeded, 1, "run {id} finished once: {run}");
    }
}
