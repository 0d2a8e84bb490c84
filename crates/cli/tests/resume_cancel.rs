//! Surviving a killed `fredbatch run`, and cancelling from another terminal.

mod common;

use std::time::Duration;

use common::{Sandbox, count_in, runs, wait_for};

#[test]
fn resume_after_kill_9_finishes_every_run_exactly_once() {
    let sandbox = Sandbox::new();
    // Each run takes a moment, so the kill lands mid-job.
    let fred_home = sandbox.fake_fred(
        "sleep 0.5; mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"; echo \"run $4\" >> \"$(dirname \"$0\")/../calls\"",
    );
    let mut child = common::spawn_job(&sandbox, &fred_home, 6);
    let done_before = common::wait_for_status(&sandbox, &mut child, "DONE", 2);
    common::kill_9(&mut child);
    let before = sandbox.json(&["status"]);

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
    for (index, run) in before["runs"].as_array().unwrap().iter().enumerate() {
        if run["status"] == "DONE" {
            assert_eq!(
                after["runs"][index]["attempts"], run["attempts"],
                "a DONE run did not run again"
            );
            assert_eq!(after["runs"][index]["results_key"], run["results_key"]);
        }
    }
    let calls = std::fs::read_to_string(fred_home.join("calls")).unwrap();
    let completed: Vec<&str> = calls.lines().collect();
    assert!(done_before >= 2);
    // Every run completed FRED once, except one killed mid-flight that completed twice at most.
    for n in 1..=6 {
        let times = completed
            .iter()
            .filter(|line| **line == format!("run {n}"))
            .count();
        assert!((1..=2).contains(&times), "run {n} completed {times} times");
    }
}

#[test]
fn cancel_from_another_terminal_stops_a_detached_job() {
    let sandbox = Sandbox::new();
    let slow = sandbox.fake_fred("sleep 32");
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
    wait_for("a running run", Duration::from_secs(30), || {
        (count_in(&sandbox, "RUNNING") > 0).then_some(())
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
    let slow = sandbox.fake_fred("sleep 33");
    let detached = sandbox
        .command()
        .env("FRED_HOME", &slow)
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
    assert!(detached.status.success());
    let status = sandbox.json(&["status"]);
    let second = status["runs"][1]["id"].as_i64().unwrap().to_string();
    assert!(sandbox.run(&["cancel", "--run", &second]).status.success());
    let all = runs(&sandbox.json(&["status"]));
    assert_eq!(all[1].0, "CANCELLED");
    assert_ne!(all[0].0, "CANCELLED");
    assert!(sandbox.run(&["cancel", "1"]).status.success());
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
