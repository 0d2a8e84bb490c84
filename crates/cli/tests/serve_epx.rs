//! `fredbatch serve` driven by the real epx client (`scripts/test` installs it in .venv-epx and
//! names its Python in FREDBATCH_EPX_PYTHON): a real server process on a port of the system's
//! choosing, real workers, the demo engine behind a FRED that misbehaves on request.

mod common;

use common::services::database;
use fredbatch_testkit::{aws_env, create_bucket};

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::epx::{epx, epx_config};
use common::serve::{Server, add_user, epx_http, serve_with_args};
use common::{Sandbox, kill_9, text, wait_for};
use fredbatch_core::RunStatus;
use serde_json::Value;

/// The model every job here runs (its dates and days are overridden by the requests).
const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 10\n";

/// A FRED that runs the demo engine, except when the run's program asks it to misbehave:
/// `fail_once = 1` fails the first attempt with a model error, `slow = 1` runs until it is
/// stopped; of the `gated = 1` runs the first to start goes through and the others wait until
/// the test opens the gate ([`open_gate`]).
fn misbehaving_fred(sandbox: &Sandbox) -> PathBuf {
    let marker = sandbox.path().join("failed-once");
    sandbox.fake_fred(&format!(
        "if grep -q '^fail_once = 1' \"$2\" && [ ! -e {m} ]; then touch {m}; mkdir -p \"$6/RUN$4\"; \
         echo 'FRED Error (file main.fred) a planned failure of the first attempt' > \"$6/errors.txt\"; exit 0; fi\n\
         if grep -q '^slow = 1' \"$2\"; then until_killed; fi\n\
         if grep -q '^gated = 1' \"$2\" && ! mkdir {gates}/first-through 2>/dev/null; then await_file {gates}/gate; fi\n\
         exec {bin} demo-fred \"$@\"",
        m = marker.display(),
        gates = sandbox.path().display(),
        bin = env!("CARGO_BIN_EXE_fredbatch"),
    ))
}

/// Lets every `gated = 1` run finish.
fn open_gate(sandbox: &Sandbox) {
    std::fs::write(sandbox.path().join("gate"), "").unwrap();
}

/// Starts `fredbatch serve` behind the misbehaving FRED and waits until it says it serves.
fn serve(sandbox: &Sandbox) -> Server {
    serve_with(sandbox, &[], &[])
}

/// The same with more options and environment (another store or storage).
fn serve_with(sandbox: &Sandbox, args: &[&str], env: &[(&str, String)]) -> Server {
    let mut env = env.to_vec();
    env.push(("FRED_HOME", misbehaving_fred(sandbox).display().to_string()));
    serve_with_args(sandbox, args, &env)
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
    let server = serve(&sandbox);
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
    let server = serve(&sandbox);
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
    let mut server = serve(&sandbox);
    // A second server on the same store refuses, naming the first and the address it bound.
    let second = sandbox.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!second.status.success());
    let said = text(&second.stderr);
    assert!(
        said.contains(&format!("pid {}", server.child.id())) && said.contains(server.address()),
        "{said}"
    );

    let storage = epx_config(&sandbox, "alice", &server.url, &alice);
    // Four gated runs, two at a time; execute() returns once they are submitted. Only the
    // first to start may finish before the kill.
    let script = sandbox.path().join("start.py");
    std::fs::write(
        &script,
        "import sys\nfrom epx import FREDJob, FREDModelConfig, SynthPop\n\
         job = FREDJob(fred_files=[sys.argv[1]], tags=['resume'], config=[FREDModelConfig(\
         synth_pop=SynthPop('US_2010.v5', ['Test_Town']), model_params={'gated': 1}, n_reps=4)])\n\
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
    let job = 1;
    let mut store = sandbox.store();
    let mut done = || -> Option<Vec<(i64, u32)>> {
        let runs = store.runs(job)?;
        Some(
            runs.iter()
                .filter(|run| run.status == RunStatus::Done)
                .map(|run| (run.id.0, run.attempts))
                .collect(),
        )
    };
    let before = wait_for("a DONE run", Duration::from_secs(60), || {
        done().filter(|done| !done.is_empty())
    });
    assert_eq!(before.len(), 1, "only one run may finish: {before:?}");
    kill_9(&mut server.child);
    // The killed server's workers and their FREDs go with it, before the gate opens.
    wait_for(
        "the killed server's processes to end",
        Duration::from_secs(30),
        || common::sandbox_processes(&sandbox).is_empty().then_some(()),
    );
    open_gate(&sandbox);
    let _restarted = serve(&sandbox);
    let after = wait_for("every run DONE", Duration::from_secs(90), || {
        done().filter(|done| done.len() == 4)
    });
    for (id, attempts) in &before {
        assert!(
            after.contains(&(*id, *attempts)),
            "run {id} ran again: {before:?} then {after:?}"
        );
    }
    let resume = sandbox.run(&["resume", &job.to_string()]);
    assert!(
        !resume.status.success() && text(&resume.stderr).contains("fredbatch serve"),
        "{}",
        text(&resume.stderr)
    );
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

#[test]
fn on_postgresql_and_s3_the_client_uploads_and_downloads_through_presigned_urls() {
    let sandbox = Sandbox::new();
    let bucket = create_bucket("serve");
    let mut env: Vec<(&str, String)> = aws_env();
    env.push(("DATABASE_URL", database()));
    env.push(("FREDBATCH_UPLOADS", format!("s3://{bucket}/uploads")));
    env.push(("FREDBATCH_RESULTS", format!("s3://{bucket}/results")));
    let added = sandbox
        .command()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["--output", "json", "users", "add", "alice"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    let added: Value = serde_json::from_slice(&added.stdout).unwrap();
    let server = serve_with(&sandbox, &[], &env);
    let storage = epx_config(
        &sandbox,
        "alice",
        &server.url,
        added["token"].as_str().unwrap(),
    );
    let out = epx(
        &sandbox,
        &storage,
        "job_results.py",
        &[&model_file(&sandbox)],
    );
    assert_eq!(out["runs"].as_array().unwrap().len(), 4, "{out}");
    assert_eq!(out["has_daily"], true, "{out}");
    // The archives came from the bucket, not from this server.
    let listing = fredbatch_testkit::moto_request(
        "GET",
        &format!("/{bucket}?list-type=2&prefix=results/jobs/"),
        &[(
            "Authorization",
            &fredbatch_testkit::fake_authorization("s3"),
        )],
        "",
    );
    assert_eq!(
        listing.matches("_results.zip</Key>").count(),
        4,
        "{listing}"
    );
    let inputs = fredbatch_testkit::moto_request(
        "GET",
        &format!("/{bucket}?list-type=2&prefix=uploads/jobs/"),
        &[(
            "Authorization",
            &fredbatch_testkit::fake_authorization("s3"),
        )],
        "",
    );
    assert!(
        inputs.contains("job_input.zip</Key>") && inputs.contains("job_config.json</Key>"),
        "{inputs}"
    );
    // And the URLs handed out are S3's own, presigned.
    let token = Some(added["token"].as_str().unwrap());
    let (_, body) = epx_http(
        &server.url,
        "POST",
        "/jobs/register",
        token,
        b"{\"tags\": [\"s3\"]}",
    );
    let job: Value = serde_json::from_str(&body).unwrap();
    let request = format!(
        "{{\"jobId\": {}, \"context\": \"job\", \"type\": \"input\"}}",
        job["id"]
    );
    let (status, body) = epx_http(&server.url, "POST", "/jobs", token, request.as_bytes());
    assert_eq!(status, 200, "{body}");
    let url: Value = serde_json::from_str(&body).unwrap();
    let url = url["url"].as_str().unwrap();
    assert!(url.starts_with(&fredbatch_testkit::moto_url()), "{url}");
    assert!(url.contains("X-Amz-Signature="), "{url}");
}
