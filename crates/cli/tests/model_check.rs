//! A model is checked with FRED's check mode (`-c`) before anything is stored or submitted:
//! FRED's errors and its warnings (a key it would ignore) refuse the job with FRED's own line
//! and the nearest known key; `--allow-warnings` runs it anyway and keeps the warnings with
//! the runs; a check that cannot run says so. The demo engine follows FRED's contract.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::serve::{add_user, api_job_with_model, serve};
use common::{Sandbox, TINY_MODEL, runs, text, wait_for};

/// No job was registered: the check refused before anything was stored.
fn assert_nothing_stored(sandbox: &Sandbox) {
    let jobs = sandbox.json(&["jobs"]);
    let count = jobs
        .as_array()
        .or_else(|| jobs["jobs"].as_array())
        .map_or(0, Vec::len);
    assert_eq!(count, 0, "nothing may be stored: {jobs}");
}

#[test]
fn a_misspelt_key_is_refused_before_any_run_with_the_key_fred_knows() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "3",
        "--param",
        "INF.transmisibility=1.2",
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("did you mean `INF.transmissibility`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "FRED Warning (file main.fred, line 7) Unrecognized property statement: \
             INF.transmisibility = 1.2"
        ),
        "FRED's own line, naming the model's file: {stderr}"
    );
    assert!(stderr.contains("--allow-warnings"), "{stderr}");
    assert_nothing_stored(&sandbox);
}

#[test]
fn a_sweep_over_a_misspelt_key_is_told_once_for_every_configuration() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox.run(&["run", model.to_str().unwrap(), "--sweep", "dyas=3,4,5"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("did you mean `days`?").count(),
        1,
        "{stderr}"
    );
    assert_nothing_stored(&sandbox);
}

#[test]
fn a_model_with_errors_is_refused_with_freds_own_lines() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("broken", "use FRED::Influenza\ndays = 10\n");
    let output = sandbox.run(&["run", model.to_str().unwrap(), "--runs", "2"]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("FRED Error (file main.fred) No locations specified"),
        "{stderr}"
    );
    assert_nothing_stored(&sandbox);
}

#[test]
fn allowed_warnings_run_and_stay_with_the_runs_in_status_and_the_report() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("typo", &format!("{TINY_MODEL}INF.imprts = 3\n"));
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "2",
        "--allow-warnings",
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("did you mean `INF.imports`?"), "{stderr}");

    let status = sandbox.json(&["status", "1"]);
    for run in status["runs"].as_array().unwrap() {
        assert_eq!(run["status"], "DONE", "{run}");
        let warnings: Vec<&str> = run["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        // The run's program is named apart from the model's file, as FRED saw it.
        assert_eq!(warnings.len(), 1, "{run}");
        assert!(
            warnings[0].ends_with("line 5) Unrecognized property statement: INF.imprts = 3"),
            "{run}"
        );
    }
    let table = text(&sandbox.run(&["status", "1"]).stdout);
    assert!(table.contains("ignored part of the model"), "{table}");
    assert!(table.contains("INF.imprts = 3 (2 runs)"), "{table}");
    let run_id = status["runs"][0]["id"].as_i64().unwrap().to_string();
    let detail = text(&sandbox.run(&["status", "--run", &run_id]).stdout);
    assert!(detail.contains("Warning: FRED Warning"), "{detail}");

    let out = sandbox.path().join("report");
    let report = sandbox.run(&["report", "1", "--out", out.to_str().unwrap()]);
    assert!(report.status.success(), "{}", text(&report.stderr));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("FRED's warnings"));
    assert!(
        html.contains("INF.imprts = 3 (2 runs)"),
        "report lists the warning"
    );
}

#[test]
fn a_check_that_cannot_run_says_what_was_not_checked_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let home = sandbox.path().join("crashing-fred");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let fred = home.join("bin/FRED");
    std::fs::write(
        &fred,
        "#!/bin/sh\necho 'Segmentation fault in the check' >&2\nexit 139\n",
    )
    .unwrap();
    std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &home)
        .args(["run", model.to_str().unwrap(), "--runs", "2"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the model could not be checked, so nothing was stored or submitted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Segmentation fault in the check"),
        "{stderr}"
    );
    assert_nothing_stored(&sandbox);
}

#[test]
fn through_serve_a_configuration_fred_warns_of_ends_error_before_any_run_starts() {
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);
    let model = format!("{TINY_MODEL}dyas = 5\n");
    let job = api_job_with_model(&server, &token, &["typo"], &[1, 2], &model);
    let ended = wait_for(
        "the runs to end before starting",
        Duration::from_secs(30),
        || {
            let status = sandbox.json(&["status", &job.to_string()]);
            let runs = runs(&status);
            runs.iter()
                .all(|(status, _, _)| status == "ERROR")
                .then_some(runs)
        },
    );
    for (_, attempts, reason) in &ended {
        assert_eq!(*attempts, 0, "no run started: {ended:?}");
        assert!(
            reason.contains("`dyas` is not a key FRED knows: did you mean `days`?"),
            "{reason}"
        );
        assert!(
            reason.contains("Unrecognized property statement: dyas = 5"),
            "{reason}"
        );
    }
}
