//! Surviving a killed `fredbatch run`, and cancelling from another terminal.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Sandbox, count_in, runs, wait_for};
use serde_json::Value;

/// A FRED that notes each start and each finish of a run in `calls` beside its home, and
/// finishes run N only once the gate file `gate-N` exists in `gates`.
fn counting_gated_fred(sandbox: &Sandbox, gates: &Path) -> PathBuf {
    sandbox.fake_fred(&format!(
        "calls=\"$(dirname \"$0\")/../calls\"; echo \"start $4\" >> \"$calls\"\n\
         await_file {gates}/gate-$4\n\
         mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\" && echo \"finish $4\" >> \"$calls\"",
        gates = gates.display()
    ))
}

fn open_gate(gates: &Path, run: u32) {
    std::fs::write(gates.join(format!("gate-{run}")), "").unwrap();
}

/// How many lines of `calls` say `what` (e.g. `finish 3`).
fn calls(fred_home: &Path, what: &str) -> usize {
    std::fs::read_to_string(fred_home.join("calls"))
        .unwrap_or_default()
        .lines()
        .filter(|line| *line == what)
        .count()
}

#[test]
fn resume_after_kill_9_finishes_every_run_exactly_once() {
    let sandbox = Sandbox::new();
    let gates = sandbox.path().to_owned();
    let fred_home = counting_gated_fred(&sandbox, &gates);
    // Runs go one at a time: 1 and 2 finish, 3 is held mid-flight when the kill lands.
    open_gate(&gates, 1);
    open_gate(&gates, 2);
    let mut child = common::spawn_job(&sandbox, &fred_home, 6);
    common::wait_for_status(&sandbox, &mut child, "DONE", 2);
    wait_for("run 3 to start", Duration::from_secs(60), || {
        (calls(&fred_home, "start 3") == 1).then_some(())
    });
    common::kill_9(&mut child);
    // The killed supervisor's worker and its FRED go with it (nothing may finish run 3 behind
    // the resumed job's back), before run 3's gate opens.
    wait_for(
        "the killed job's processes to end",
        Duration::from_secs(30),
        || common::sandbox_processes(&sandbox).is_empty().then_some(()),
    );
    let before = sandbox.json(&["status"]);
    let done_before: Vec<&Value> = before["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["status"] == "DONE")
        .collect();
    assert_eq!(done_before.len(), 2, "{before}");
    for run in 3..=6 {
        open_gate(&gates, run);
    }

    let resumed = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["resume", "1"])
        .output()
        .unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        common::text(&resumed.stderr)
    );
    let after = sandbox.json(&["status"]);
    let all = runs(&after);
    assert!(all.iter().all(|(s, _, _)| s == "DONE"), "{all:?}");
    for run in &done_before {
        let index = run["run_number"].as_u64().unwrap() as usize - 1;
        assert_eq!(
            after["runs"][index]["attempts"], run["attempts"],
            "a DONE run did not run again"
        );
        assert_eq!(after["runs"][index]["results_key"], run["results_key"]);
    }
    // FRED finished every run once: the runs done before the kill were not started again,
    // run 3 started again after its attempt was killed, and the others started once.
    for run in 1..=6 {
        assert_eq!(calls(&fred_home, &format!("finish {run}")), 1, "run {run}");
        let starts = if run == 3 { 2 } else { 1 };
        assert_eq!(
            calls(&fred_home, &format!("start {run}")),
            starts,
            "run {run}"
        );
    }
    // And the store holds one committed attempt of each.
    for run in after["runs"].as_array().unwrap() {
        let detail = sandbox.json(&["status", "--run", &run["id"].to_string()]);
        let statuses: Vec<&str> = detail["attempts"]
            .as_array()
            .unwrap_or_else(|| panic!("{detail}"))
            .iter()
            .map(|attempt| attempt["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == "SUCCEEDED").count(),
            1,
            "run {}: {statuses:?}",
            run["run_number"]
        );
    }
}

#[test]
fn cancel_from_another_terminal_stops_a_detached_job() {
    let sandbox = Sandbox::new();
    let slow = common::hanging_fred(&sandbox);
    let model = sandbox.tiny_model();
    let detached = sandbox
        .command()
        .env("FRED_HOME", &slow)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            "3",
            "--max-vcpus",
            "1",
            "--detach",
        ])
        .output()
        .unwrap();
    assert!(
        detached.status.success(),
        "{}",
        common::text(&detached.stderr)
    );
    let mut store = sandbox.store();
    wait_for("a running run", Duration::from_secs(30), || {
        (count_in(&mut store, "RUNNING") > 0).then_some(())
    });
    let cancel = sandbox.run(&["cancel", "1"]);
    assert!(cancel.status.success(), "{}", common::text(&cancel.stderr));
    let all = runs(&sandbox.json(&["status"]));
    assert!(all.iter().all(|(s, _, _)| s == "CANCELLED"), "{all:?}");
    wait_for(
        "the background supervisor to exit",
        Duration::from_secs(30),
        || common::sandbox_processes(&sandbox).is_empty().then_some(()),
    );
}

#[test]
fn cancelling_one_run_leaves_the_others() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let gates = sandbox.path().to_owned();
    let fred_home = counting_gated_fred(&sandbox, &gates);
    let detached = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            "2",
            "--max-vcpus",
            "1",
            "--detach",
        ])
        .output()
        .unwrap();
    assert!(
        detached.status.success(),
        "{}",
        common::text(&detached.stderr)
    );
    // Run 1 holds the only slot at its gate, so run 2 waits its turn while it is cancelled.
    let status = sandbox.json(&["status"]);
    let second = status["runs"][1]["id"].as_i64().unwrap().to_string();
    assert!(sandbox.run(&["cancel", "--run", &second]).status.success());
    let all = runs(&sandbox.json(&["status"]));
    assert_eq!(all[1].0, "CANCELLED");
    assert_ne!(all[0].0, "CANCELLED");

    // Run 1 goes on to finish; run 2 never starts, though its gate is open too.
    open_gate(&gates, 1);
    open_gate(&gates, 2);
    wait_for(
        "the job's supervisor to exit",
        Duration::from_secs(60),
        || common::sandbox_processes(&sandbox).is_empty().then_some(()),
    );
    let all = runs(&sandbox.json(&["status"]));
    assert_eq!(
        all.iter().map(|(s, _, _)| s.as_str()).collect::<Vec<_>>(),
        ["DONE", "CANCELLED"],
        "{all:?}"
    );
    assert_eq!(calls(&fred_home, "finish 1"), 1);
    assert_eq!(
        calls(&fred_home, "start 2"),
        0,
        "a cancelled run never starts"
    );
}

#[test]
fn cancel_with_a_job_takes_the_run_number_within_it() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    // Job 1 ends at once with the demo engine, so job 2's runs 1 and 2 have ids 3 and 4.
    let first = sandbox.run(&["run", model.to_str().unwrap(), "--runs", "2"]);
    assert!(first.status.success(), "{}", common::text(&first.stderr));
    let gates = sandbox.path().to_owned();
    let fred_home = counting_gated_fred(&sandbox, &gates);
    let detached = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            "2",
            "--max-vcpus",
            "1",
            "--detach",
        ])
        .output()
        .unwrap();
    assert!(
        detached.status.success(),
        "{}",
        common::text(&detached.stderr)
    );
    let cancel = sandbox.run(&["cancel", "2", "--run", "2"]);
    assert!(cancel.status.success(), "{}", common::text(&cancel.stderr));
    assert_eq!(
        runs(&sandbox.json(&["status", "2"]))[1].0,
        "CANCELLED",
        "run 2 of job 2 (id 4), not run id 2"
    );
    open_gate(&gates, 1);
    open_gate(&gates, 2);
    wait_for(
        "the job's supervisor to exit",
        Duration::from_secs(60),
        || common::sandbox_processes(&sandbox).is_empty().then_some(()),
    );
    let states = |job: &str| {
        runs(&sandbox.json(&["status", job]))
            .into_iter()
            .map(|(s, _, _)| s)
            .collect::<Vec<_>>()
    };
    assert_eq!(states("2"), ["DONE", "CANCELLED"]);
    assert_eq!(states("1"), ["DONE", "DONE"]);
}

#[test]
fn missing_inputs_end_the_runs_with_a_reason_naming_them() {
    let sandbox = Sandbox::new();
    let gate = sandbox.path().join("gate");
    let fred_home = common::gated_fred(&sandbox, &gate);
    let mut child = common::spawn_job(&sandbox, &fred_home, 2);
    common::wait_for_status(&sandbox, &mut child, "RUNNING", 1);
    common::kill_9(&mut child);
    // The gate stays shut until resume ends: opened now, the orphaned worker of run 1 could see
    // FRED finish before it handles the SIGTERM its dead parent sent, and commit run 1.
    // The job's inputs disappear from storage (a deleted object, a wrong bucket).
    std::fs::remove_file(sandbox.home().join("uploads/job-1/job_input.zip")).unwrap();

    let resumed = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["resume", "1"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(1),
        "{}",
        common::text(&resumed.stderr)
    );
    std::fs::write(&gate, "open").unwrap();
    for (status, _, reason) in runs(&sandbox.json(&["status"])) {
        assert_eq!(status, "ERROR");
        assert!(
            reason.contains("job-1/job_input.zip") && reason.contains("missing"),
            "{reason}"
        );
    }
    assert!(
        !sandbox
            .home()
            .join("results/job-1/run-2/attempt-1/MANIFEST.json")
            .exists(),
        "nothing committed"
    );
}
