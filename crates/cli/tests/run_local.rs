//! `fredbatch run` end to end on the local executor, with real processes.

mod common;

use common::{Sandbox, fred_failing_in_runs, runs, text};

#[test]
fn a_job_runs_every_run_to_done_and_results_can_be_copied_out() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "3",
        "--param",
        "days=5",
    ]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        text(&output.stderr)
    );
    assert!(
        text(&output.stderr).contains("FRED_HOME is not set"),
        "says the demo engine is used"
    );
    assert!(stdout.contains("DONE"), "summary table: {stdout}");

    let status = sandbox.json(&["status"]);
    assert_eq!(status["job"]["id"], 1);
    assert_eq!(status["job"]["status"], "DONE");
    let all = runs(&status);
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .all(|(s, attempts, _)| s == "DONE" && *attempts == 1),
        "{all:?}"
    );
    assert_eq!(status["runs"][2]["run_number"], 3);

    let out = sandbox.path().join("collected");
    let copied = sandbox.run(&["results", "1", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    let csv =
        |n: u32| std::fs::read_to_string(out.join(format!("run-{n}/RUN{n}/out.csv"))).unwrap();
    // days = 5 from --param: a header and days 0..=5.
    assert_eq!(csv(1).lines().count(), 7, "{}", csv(1));
    assert!(csv(1).starts_with("Day,Date,EpiWeek,Popsize,"));
    assert!(
        out.join("run-2/fred.log").is_file(),
        "FRED's log is kept with the results"
    );
    assert_ne!(csv(1), csv(2), "runs are seeded by their run number");
}

#[test]
fn the_same_run_number_reproduces_the_same_results() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    for _ in 0..2 {
        assert!(
            sandbox
                .run(&["run", model.to_str().unwrap(), "--runs", "1"])
                .status
                .success()
        );
    }
    let out = sandbox.path().join("out");
    for job in ["1", "2"] {
        let dest = out.join(job);
        assert!(
            sandbox
                .run(&["results", job, "--out", dest.to_str().unwrap()])
                .status
                .success()
        );
    }
    let read = |job: &str| std::fs::read(out.join(job).join("run-1/RUN1/out.csv")).unwrap();
    assert!(
        read("1").len() > 100,
        "an epidemic's days, not an empty file"
    );
    assert_eq!(read("1"), read("2"));
}

#[test]
fn a_model_error_only_a_run_finds_ends_error_with_freds_own_words() {
    let sandbox = Sandbox::new();
    let fred_home = fred_failing_in_runs(&sandbox);
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["run", model.to_str().unwrap(), "--runs", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "a failed job exits 1");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("No locations specified"),
        "the summary shows FRED's error: {stdout}"
    );
    let status = sandbox.json(&["status", "1"]);
    assert_eq!(status["job"]["status"], "FAILED");
    for run in status["runs"].as_array().unwrap() {
        assert_eq!(run["failure"], "model", "{run}");
    }
    for (status, attempts, reason) in runs(&status) {
        assert_eq!(status, "ERROR");
        assert_eq!(attempts, 1, "a model error is not retried");
        assert!(
            reason.contains("FRED Error") && reason.contains("No locations specified"),
            "{reason}"
        );
    }
}

#[test]
fn an_engine_that_exits_zero_without_output_is_an_error() {
    let sandbox = Sandbox::new();
    let fred_home = sandbox.fake_fred("echo \"FRED program file $2 not found\"; exit 0");
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["run", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let summary = text(&output.stdout);
    assert!(
        summary.contains("Last lines of run 1's log") && summary.contains("program file"),
        "the summary shows the end of the failed run's log: {summary}"
    );
    let status = sandbox.json(&["status"]);
    let (state, _, reason) = runs(&status).remove(0);
    assert_eq!(state, "ERROR");
    assert!(reason.contains("not found"), "{reason}");
    let tail = status["runs"][0]["log_tail"]
        .as_array()
        .expect("a log tail");
    assert!(
        tail.iter()
            .any(|l| l.as_str().unwrap().contains("not found")),
        "{tail:?}"
    );
}

#[test]
fn the_failure_summary_shows_the_workers_lines_as_logs_does() {
    let sandbox = Sandbox::new();
    let fred_home = sandbox.fake_fred("echo \"FRED program file $2 not found\"; exit 0");
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["run", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let logs = text(&sandbox.run(&["logs", "1"]).stdout);
    let rendered = logs
        .lines()
        .find(|l| l.contains(" INFO] attempt started"))
        .unwrap_or_else(|| panic!("logs render the worker's line: {logs}"));
    for summary in [text(&output.stdout), text(&sandbox.run(&["status"]).stdout)] {
        assert!(
            summary.contains(&format!("  {rendered}")),
            "the summary shows `{rendered}` as `logs` does: {summary}"
        );
        assert!(!summary.contains("\"timestamp\""), "{summary}");
    }
}

#[test]
fn interrupted_attempts_are_retried_and_timeouts_are_not() {
    let sandbox = Sandbox::new();
    // First attempt: the worker is killed, as by the OOM killer or a reclaimed machine.
    // Second attempt: success.
    let fred_home = common::fred_killing_its_first_worker(&sandbox, "");
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["run", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let (status, attempts, _) = runs(&sandbox.json(&["status"])).remove(0);
    assert_eq!((status.as_str(), attempts), ("DONE", 2));

    let slow = common::hanging_fred(&sandbox);
    let output = sandbox
        .command()
        .env("FRED_HOME", &slow)
        .args(["run", model.to_str().unwrap(), "--timeout", "1s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let timed_out = sandbox.json(&["status", "2"]);
    let (status, attempts, reason) = runs(&timed_out).remove(0);
    assert_eq!((status.as_str(), attempts), ("ERROR", 1), "{reason}");
    assert!(reason.starts_with("timed out"), "{reason}");
    assert_eq!(timed_out["runs"][0]["failure"], "over_time");
    let table = text(&sandbox.run(&["status", "2"]).stdout);
    assert!(table.contains("[over its time limit] timed out"), "{table}");
    // The first job's killed worker was an interruption, retried and told as one.
    let run_id = sandbox.json(&["status", "1"])["runs"][0]["id"].to_string();
    let detail = sandbox.json(&["status", "--run", &run_id]);
    assert_eq!(detail["attempts"][0]["failure"], "interrupted", "{detail}");
    assert_eq!(detail["attempts"][1]["failure"], serde_json::Value::Null);
}

#[test]
fn logs_show_freds_output() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    assert!(
        sandbox
            .run(&["run", model.to_str().unwrap()])
            .status
            .success()
    );
    let run_id = sandbox.json(&["status"])["runs"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let logs = sandbox.run(&["logs", &run_id]);
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    let shown = text(&logs.stdout);
    assert!(shown.contains("FRED finished"), "{shown}");
    // The worker's own JSON lines read as lines for people...
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("[worker ") && l.contains(" INFO] attempt started")),
        "{shown}"
    );
    assert!(!shown.contains("\"timestamp\""), "{shown}");
    // ...and stay as they were written for scripts.
    let raw = text(&sandbox.run(&["--output", "json", "logs", &run_id]).stdout);
    assert!(raw.contains("FRED finished"), "{raw}");
    assert!(
        raw.lines()
            .any(|l| l.starts_with('{') && l.contains("\"attempt started\"")),
        "{raw}"
    );
    let detail = sandbox.json(&["status", "--run", &run_id]);
    let measured = &detail["attempts"][0]["measurements"];
    assert!(measured["peak_rss_kb"].as_u64().unwrap() > 0, "{detail}");
    assert!(measured["output_bytes"].as_u64().unwrap() > 0, "{detail}");
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_nothing_stored() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let empty = sandbox.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let no_main = sandbox.model("no-main", "days = 1\n");
    std::fs::rename(no_main.join("main.fred"), no_main.join("other.fred")).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "does-not-exist"], "does not exist"),
        (vec!["run", empty.to_str().unwrap()], "is empty"),
        (vec!["run", no_main.to_str().unwrap()], "--program"),
        (vec!["run", model, "--runs", "0"], "--runs"),
        (vec!["run", model, "--param", "days"], "KEY=VALUE"),
        (
            vec!["run", model, "--param", "9x=1"],
            "not a FRED model key",
        ),
        (
            vec!["run", model, "--max-vcpus", "1", "--vcpus", "2"],
            "lower --vcpus",
        ),
        (
            vec!["run", model, "--memory", "999999999"],
            "lower --vcpus/--memory",
        ),
    ];
    // More vCPUs than this machine has (when the flag can say so: it stops at 256).
    let beyond_machine =
        (std::thread::available_parallelism().map_or(1, |n| n.get()) + 1).to_string();
    let mut cases = cases;
    if beyond_machine.parse::<u32>().unwrap() <= 256 {
        cases.push((
            vec!["run", model, "--vcpus", &beyond_machine],
            "lower --vcpus",
        ));
    }
    for (args, expected) in cases {
        let output = sandbox.run(&args);
        assert!(!output.status.success(), "{args:?} must fail");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(expected),
            "{args:?}: expected `{expected}` in: {stderr}"
        );
    }
    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(0),
        "nothing was registered: {jobs}"
    );
}

#[test]
fn ctrl_c_cancels_the_runs_cleanly() {
    let sandbox = Sandbox::new();
    let slow = common::hanging_fred(&sandbox);
    let mut child = common::spawn_job(&sandbox, &slow, 4);
    common::wait_for_status(&sandbox, &mut child, "RUNNING", 1);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let all = runs(&sandbox.json(&["status"]));
    assert!(all.iter().all(|(s, _, _)| s == "CANCELLED"), "{all:?}");
    let stray: Vec<String> = common::sandbox_processes(&sandbox)
        .into_iter()
        .filter(|command| command.contains("fake-fred") || command.starts_with("sleep "))
        .collect();
    assert!(
        stray.is_empty(),
        "no FRED process is left running: {stray:?}"
    );
}

#[test]
fn completions_know_every_command() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["completions", "bash"]);
    assert!(output.status.success());
    let script = text(&output.stdout);
    for command in [
        "run", "status", "logs", "cancel", "results", "resume", "worker", "doctor", "cost",
        "profile", "report", "infra",
    ] {
        assert!(
            script.contains(command),
            "{command} missing from the completion script"
        );
    }
}

#[test]
fn a_run_over_its_memory_is_stopped_and_ends_out_of_memory() {
    let sandbox = Sandbox::new();
    // A county of 45,318 people for 60 days: the run lasts long enough to be measured.
    let model = sandbox.model(
        "county",
        "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 60\n",
    );
    // The demo engine holds 300 MB; the run reserved 128, and may not try again with more.
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--memory",
        "128",
        "--attempts",
        "1",
        "--param",
        "demo_memory_mb=300",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let status = sandbox.json(&["status", "1"]);
    let run = &status["runs"][0];
    assert_eq!(run["status"], "ERROR", "{run}");
    assert_eq!(run["failure"], "out_of_memory", "{run}");
    let reason = run["status_reason"].as_str().unwrap();
    assert!(reason.contains("over the run's 128 MB"), "{reason}");
    assert_eq!(run["attempts"], 1, "more of the same memory would not help");
}
