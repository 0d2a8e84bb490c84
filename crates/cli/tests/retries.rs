//! Retries that fix what went wrong, on the local executor with real processes: a run that ran
//! out of memory (a real kill by the executor) goes again with more, up to a cap; an
//! interruption never uses up the run's attempts; a model error is never retried.

mod common;

use common::{Sandbox, fred_failing_in_runs, fred_killing_its_first_worker, runs, text};
use serde_json::Value;

/// A county the demo engine simulates long enough for its memory to be measured.
const COUNTY: &str =
    "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 60\n";

/// Each attempt of run 1 of job 1: (memory it ran with in MB, failure class).
fn attempts(sandbox: &Sandbox) -> Vec<(u64, Value)> {
    let run_id = sandbox.json(&["status", "1"])["runs"][0]["id"].to_string();
    let detail = sandbox.json(&["status", "--run", &run_id]);
    detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["size"]["memory_mb"].as_u64().unwrap(),
                a["failure"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_run_needing_three_times_its_memory_grows_until_it_fits() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("county", COUNTY);
    // The engine holds 300 MB; the run starts at 100.
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--memory",
        "100",
        "--param",
        "demo_memory_mb=300",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (status, attempts_made, _) = runs(&sandbox.json(&["status", "1"])).remove(0);
    assert_eq!((status.as_str(), attempts_made), ("DONE", 3));
    let oom = Value::from("out_of_memory");
    assert_eq!(
        attempts(&sandbox),
        [(100, oom.clone()), (200, oom), (400, Value::Null)],
        "each attempt ran with twice the memory of the one before"
    );
    let run_id = sandbox.json(&["status", "1"])["runs"][0]["id"].to_string();
    let table = text(&sandbox.run(&["status", "--run", &run_id]).stdout);
    assert!(table.contains("1 vCPU, 400 MB"), "{table}");
}

#[test]
fn a_run_that_reaches_its_cap_ends_error_saying_so() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("county", COUNTY);
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--memory",
        "100",
        "--max-memory",
        "200",
        "--attempts",
        "5",
        "--param",
        "demo_memory_mb=300",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let status = sandbox.json(&["status", "1"]);
    let run = &status["runs"][0];
    assert_eq!(run["status"], "ERROR", "{run}");
    assert_eq!(run["failure"], "out_of_memory", "{run}");
    let reason = run["status_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("out of memory at 200 MB, and needed more than 200 MB: --max-memory"),
        "{reason}"
    );
    assert!(
        reason.contains("over the run's 200 MB"),
        "the backend's words stay: {reason}"
    );
    let sizes: Vec<u64> = attempts(&sandbox).into_iter().map(|(mb, _)| mb).collect();
    assert_eq!(sizes, [100, 200], "no attempt beyond the cap");

    // Runs by the kind of failure that ended them.
    let shown = |class: &str| {
        sandbox.json(&["status", "1", "--failure", class])["runs"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(shown("out_of_memory"), 1);
    assert_eq!(shown("model"), 0);
    let unknown = sandbox.run(&["status", "1", "--failure", "oom"]);
    assert!(!unknown.status.success());
    let error = text(&unknown.stderr);
    assert!(
        error.contains("--failure") && error.contains("out_of_memory, over_time"),
        "names the flag and the classes: {error}"
    );
}

#[test]
fn interruptions_have_their_own_budget_and_model_errors_are_never_retried() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    // One attempt allowed, but the interruption is not the run's: it goes on and succeeds.
    let killing = fred_killing_its_first_worker(&sandbox, "");
    let output = sandbox
        .command()
        .env("FRED_HOME", &killing)
        .args(["run", model, "--attempts", "1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (status, attempts_made, _) = runs(&sandbox.json(&["status", "1"])).remove(0);
    assert_eq!((status.as_str(), attempts_made), ("DONE", 2));
    let failures: Vec<Value> = attempts(&sandbox).into_iter().map(|(_, f)| f).collect();
    assert_eq!(failures, [Value::from("interrupted"), Value::Null]);

    // With no interruptions allowed, the same kill ends the run.
    std::fs::remove_file(sandbox.path().join("attempted")).unwrap();
    let output = sandbox
        .command()
        .env("FRED_HOME", &killing)
        // The first job's DONE run would serve this one: it must run.
        .args(["run", model, "--interruptions", "0", "--no-reuse"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let status = sandbox.json(&["status", "2"]);
    assert_eq!(status["runs"][0]["failure"], "interrupted", "{status}");
    assert_eq!(status["runs"][0]["attempts"], 1);

    // FRED's own error: more attempts would not help, whatever the budget.
    let failing = fred_failing_in_runs(&sandbox);
    let output = sandbox
        .command()
        .env("FRED_HOME", &failing)
        .args(["run", model, "--attempts", "5", "--memory-growth", "4"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let (status, attempts_made, reason) = runs(&sandbox.json(&["status", "3"])).remove(0);
    assert_eq!((status.as_str(), attempts_made), ("ERROR", 1), "{reason}");
}

#[test]
fn retry_flags_that_cannot_work_are_refused_naming_the_flag_and_nothing_is_stored() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--memory-growth", "1"],
            "--memory-growth must be above 1",
        ),
        (
            vec!["--memory-growth", "0.5"],
            "--memory-growth must be above 1",
        ),
        (
            vec!["--memory-growth", "nan"],
            "--memory-growth must be above 1",
        ),
        (vec!["--time-growth", "1"], "--time-growth must be above 1"),
        (
            vec!["--memory", "512", "--max-memory", "256"],
            "--max-memory 256 MB is below the 512 MB",
        ),
        (vec!["--interruptions", "-1"], "--interruptions"),
        (vec!["--interruptions", "two"], "--interruptions"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["run", model];
        args.extend(&flags);
        let output = sandbox.run(&args);
        assert!(!output.status.success(), "{flags:?} must fail");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(expected),
            "{flags:?}: expected `{expected}` in: {stderr}"
        );
    }
    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(0), "{jobs}");
}
