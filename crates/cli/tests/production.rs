//! The production path on one machine: workers against a real PostgreSQL server and S3 (the
//! moto server), with real processes. The servers come from `scripts/test`.

mod common;

use std::process::Command;

use common::services::database;
use common::{Sandbox, runs, text};
use fredbatch_testkit::{aws_env, create_bucket as bucket};

/// `fredbatch` configured as in an AWS Batch container: PostgreSQL, S3 uploads and results.
fn production(sandbox: &Sandbox) -> impl Fn(&[&str]) -> Command + '_ {
    let database = database();
    let uploads = format!("s3://{}", bucket("uploads"));
    let results = format!("s3://{}/team", bucket("results"));
    move |args: &[&str]| {
        let mut command = sandbox.command();
        command
            .env("DATABASE_URL", &database)
            .env("FREDBATCH_UPLOADS", &uploads)
            .env("FREDBATCH_RESULTS", &results)
            .envs(aws_env())
            .args(args);
        command
    }
}

/// A FRED that, on its first call, has its worker stopped with `signal`, then succeeds.
fn interrupted_once(sandbox: &Sandbox, signal: &str) -> std::path::PathBuf {
    let marker = sandbox.path().join("first-attempt-done");
    sandbox.fake_fred(&format!(
        "if [ ! -e {m} ]; then touch {m}; kill -{signal} $PPID; until_killed; fi\n\
         mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\" && echo done",
        m = marker.display()
    ))
}

fn assert_clean_retry(sandbox: &Sandbox, signal: &str) {
    let fred_home = interrupted_once(sandbox, signal);
    let fredbatch = production(sandbox);
    let model = sandbox.tiny_model();
    let output = fredbatch(&["run", model.to_str().unwrap()])
        .env("FRED_HOME", &fred_home)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let status: serde_json::Value = serde_json::from_slice(
        &fredbatch(&["--output", "json", "status"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let (run_status, attempts, _) = runs(&status).remove(0);
    assert_eq!((run_status.as_str(), attempts), ("DONE", 2), "{status}");
    let results_key = status["runs"][0]["results_key"].as_str().unwrap();
    assert!(
        results_key.ends_with("attempt-2"),
        "the second attempt's result is the run's: {results_key}"
    );
    assert!(
        status["runs"][0]["results"]
            .as_str()
            .unwrap()
            .starts_with("s3://")
    );

    let run_id = status["runs"][0]["id"].to_string();
    let detail: serde_json::Value = serde_json::from_slice(
        &fredbatch(&["--output", "json", "status", "--run", &run_id])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let first = &detail["attempts"][0];
    if signal == "TERM" {
        assert_eq!(first["status"], "INTERRUPTED", "{detail}");
        assert!(first["reason"].as_str().unwrap().contains("SIGTERM"));
    } else {
        // SIGKILL gives the worker no chance to record anything: the backend's account of
        // the attempt (the host stopped it) fills in how it ended.
        assert_eq!(first["status"], "INTERRUPTED", "{detail}");
        assert!(
            first["reason"]
                .as_str()
                .unwrap()
                .contains("killed by signal 9"),
            "{detail}"
        );
        assert!(first["finished_at"].is_string(), "{detail}");
        let table = fredbatch(&["status", "--run", &run_id]).output().unwrap();
        assert!(
            text(&table.stdout).contains("interrupted: the machine stopped the worker"),
            "people read the interruption in plain words: {}",
            text(&table.stdout)
        );
    }
    assert!(
        first["log_ref"]
            .as_str()
            .unwrap()
            .ends_with("attempt-1.log"),
        "where the attempt's log is: {detail}"
    );
    assert_eq!(detail["attempts"][1]["status"], "SUCCEEDED");

    let out = sandbox.path().join("collected");
    let copied = fredbatch(&["results", "1", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(out.join("run-1/RUN1/out.csv").is_file());
}

#[test]
fn sigterm_mid_run_is_recorded_and_retried_cleanly() {
    assert_clean_retry(&Sandbox::new(), "TERM");
}

#[test]
fn sigkill_mid_run_is_retried_cleanly() {
    assert_clean_retry(&Sandbox::new(), "KILL");
}

#[test]
fn a_done_run_is_never_run_again_and_racing_workers_commit_once() {
    let sandbox = Sandbox::new();
    let fredbatch = production(&sandbox);
    let gate = sandbox.path().join("gate");
    let racing = sandbox.path().join("racing");
    std::fs::create_dir(&racing).unwrap();
    // FRED waits for the gate. Run 2's FRED then signs in under `racing` and waits (30 s at
    // most) until both racing workers' FREDs have, so the two attempts overlap for certain.
    let fred_home = sandbox.fake_fred(&format!(
        "await_file {gate}\n\
         if [ \"$4\" = 2 ]; then\n\
           touch {racing}/$$; waited=0\n\
           while [ $(ls {racing} | wc -l) -lt 2 ] && [ $waited -lt 600 ]; do sleep 0.05; waited=$((waited + 1)); done\n\
         fi\n\
         mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"",
        gate = gate.display(),
        racing = racing.display()
    ));
    let model = sandbox.tiny_model();
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        serde_json::from_slice(&fredbatch(&all).output().unwrap().stdout).unwrap_or_default()
    };

    // Register two runs; run 1 holds the only slot at the gate; then the supervisor dies.
    let mut supervisor = fredbatch(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "2",
        "--max-vcpus",
        "1",
    ])
    .env("FRED_HOME", &fred_home)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    common::wait_for("run 1 to start", std::time::Duration::from_secs(30), || {
        (json(&["status"])["runs"][0]["status"] == "RUNNING").then_some(())
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(supervisor.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    supervisor.wait().unwrap();
    std::fs::write(&gate, "open").unwrap();
    let run_two = json(&["status"])["runs"][1]["id"].to_string();

    // Two workers racing on run 2 (as after a lost submission): exactly one commits.
    let mut racers: Vec<_> = (0..2)
        .map(|_| {
            fredbatch(&["worker", "--job-id", "1", "--run-id", &run_two])
                .env("FRED_HOME", &fred_home)
                .spawn()
                .unwrap()
        })
        .collect();
    let exits: Vec<_> = racers
        .iter_mut()
        .map(|racer| racer.wait().unwrap())
        .collect();
    assert!(exits.iter().all(|e| e.success()), "{exits:?}");
    assert_eq!(
        std::fs::read_dir(&racing).unwrap().count(),
        2,
        "both racing workers ran FRED at the same time"
    );
    let detail = json(&["status", "--run", &run_two]);
    assert_eq!(detail["run"]["status"], "DONE", "{detail}");
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "both workers ran an attempt: {detail}");
    assert!(
        attempts.iter().all(|a| a["status"] == "SUCCEEDED"),
        "{detail}"
    );
    let committed = detail["run"]["results_key"].as_str().unwrap();
    assert!(
        attempts.iter().any(|a| a["results_key"] == committed),
        "the run's result is one attempt's: {detail}"
    );

    // A DONE run is not run again, and a failing engine cannot replace its result.
    let failing = sandbox.fake_fred("echo 'FRED Error (file x) boom' > \"$6/errors.txt\"");
    let again = fredbatch(&["worker", "--job-id", "1", "--run-id", &run_two])
        .env("FRED_HOME", &failing)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        text(&again.stderr).contains("already ended"),
        "{}",
        text(&again.stderr)
    );
    let after = json(&["status", "--run", &run_two]);
    assert_eq!(after["run"]["results_key"], committed);
    assert_eq!(
        after["attempts"].as_array().unwrap().len(),
        2,
        "nothing ran"
    );
}
