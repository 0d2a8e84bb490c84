//! Sizes learned, not guessed, on the local executor with real processes: a job without
//! `--vcpus`/`--memory` measures its first wave at the default size and runs the rest at what
//! it measured; the next job of the same model starts at the learned size; flags win;
//! `--estimate` tells the cost beforehand and stores nothing; a budget keeps runs from
//! starting and ends them CANCELLED.

mod common;

use common::{Sandbox, text};
use serde_json::Value;

/// A county the demo engine simulates long enough for its memory to be measured, holding
/// 300 MB so the learned size differs from the default (2048 MB) and from the smallest step.
const COUNTY: &str = "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 60\ndemo_memory_mb = 300\n";

/// (memory of its first attempt, why that size) for every run of `job`, in run order.
fn run_sizes(sandbox: &Sandbox, job: &str) -> Vec<(u64, String)> {
    let status = sandbox.json(&["status", job]);
    status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            let detail = sandbox.json(&["status", "--run", &run["id"].to_string()]);
            (
                detail["attempts"][0]["size"]["memory_mb"].as_u64().unwrap(),
                run["size_why"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// CPU-hours `job`'s runs held (1 vCPU each, one attempt each): their durations.
fn cpu_hours(sandbox: &Sandbox, job: &str) -> f64 {
    let status = sandbox.json(&["status", job]);
    status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|run| run["duration_seconds"].as_f64())
        .sum::<f64>()
        / 3600.0
}

#[test]
fn a_first_wave_measures_the_model_and_later_jobs_start_at_the_learned_size() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("county", COUNTY);
    let model = model.to_str().unwrap();

    let first = sandbox.run(&["run", model, "--runs", "5"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("while the first 2 run(s) are measured"),
        "the registration says how runs are sized: {}",
        text(&first.stderr)
    );
    let job = &sandbox.json(&["status", "1"])["job"];
    assert_eq!(job["size_origin"]["kind"], "learned", "{job}");
    let learned = job["resources"]["memory_mb"].as_u64().unwrap();
    let peak = job["size_origin"]["largest_peak_mib"].as_f64().unwrap();
    assert!(peak >= 300.0, "the demo engine held 300 MB: {job}");
    assert!(
        (learned as f64) >= peak * 1.25 && learned < 2048 && learned.is_multiple_of(256),
        "peak + 25% rounded up to 256 MB steps: {learned} for {peak}"
    );
    let sizes = run_sizes(&sandbox, "1");
    for (number, (memory, why)) in sizes.iter().enumerate() {
        if number < 2 {
            assert_eq!(*memory, 2048, "run {} ran in the first wave", number + 1);
            assert!(why.contains("first 2 runs"), "{why}");
        } else {
            assert_eq!(
                *memory,
                learned,
                "run {} ran at the learned size",
                number + 1
            );
            assert!(why.contains("learned from 2 "), "{why}");
        }
    }
    let shown = text(&sandbox.run(&["status", "1"]).stdout);
    assert!(
        shown.contains(&format!(
            "Size: 1 vCPU, {learned} MB per run (learned from 2 measured runs of this job's first wave"
        )),
        "{shown}"
    );

    // The next job of the same model, a sweep of another key: every run at the learned size.
    let second = sandbox.run(&[
        "run",
        model,
        "--runs",
        "2",
        "--sweep",
        "INF.transmissibility=1.2,1.5",
        "--no-reuse",
    ]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let job = &sandbox.json(&["status", "2"])["job"];
    assert_eq!(job["size_origin"]["kind"], "learned", "{job}");
    assert_eq!(job["size_origin"]["from"], "history", "{job}");
    for (memory, why) in run_sizes(&sandbox, "2") {
        assert!(memory <= learned, "{memory} MB: {why}");
        assert!(why.contains("earlier jobs"), "{why}");
    }

    // Another population is another size: measured again.
    let elsewhere = sandbox.run(&[
        "run",
        model,
        "--runs",
        "1",
        "--param",
        "locations=Allegheny_County_PA",
        "--estimate",
    ]);
    assert!(elsewhere.status.success(), "{}", text(&elsewhere.stderr));
    assert!(
        text(&elsewhere.stdout).contains("No measured runs of this model yet"),
        "{}",
        text(&elsewhere.stdout)
    );

    // Flags win.
    let given = sandbox.run(&[
        "run",
        model,
        "--runs",
        "1",
        "--memory",
        "1024",
        "--no-reuse",
    ]);
    assert!(given.status.success(), "{}", text(&given.stderr));
    let job = &sandbox.json(&["status", "3"])["job"];
    assert_eq!(
        (
            job["resources"]["memory_mb"].as_u64(),
            &job["size_origin"]["kind"]
        ),
        (Some(1024), &Value::from("given"))
    );
}

#[test]
fn an_estimate_comes_from_history_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("county", COUNTY);
    let model = model.to_str().unwrap();
    let measured = sandbox.run(&["run", model, "--runs", "2"]);
    assert!(measured.status.success(), "{}", text(&measured.stderr));

    let estimate = sandbox.json(&["run", model, "--runs", "100", "--estimate"]);
    assert_eq!(estimate["runs"], 100);
    assert_eq!(estimate["measured_runs"], 2, "{estimate}");
    let mean = estimate["mean_run_seconds"].as_f64().unwrap();
    let vcpus = estimate["size"]["vcpus"].as_f64().unwrap();
    let hours = estimate["cpu_hours"].as_f64().unwrap();
    assert!(
        (hours - 100.0 * vcpus * mean / 3600.0).abs() < 1e-9,
        "{estimate}"
    );
    let (spot, on_demand) = (
        estimate["spot_usd"].as_f64().unwrap(),
        estimate["on_demand_usd"].as_f64().unwrap(),
    );
    assert!(0.0 < spot && spot < on_demand, "{estimate}");
    assert!(estimate["wall_seconds"].as_f64().unwrap() >= mean);
    let text_form = text(
        &sandbox
            .run(&["run", model, "--runs", "100", "--estimate"])
            .stdout,
    );
    assert!(text_form.contains("(Spot) to"), "{text_form}");
    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(1),
        "the estimates registered nothing: {jobs}"
    );
}

#[test]
fn a_budget_keeps_runs_from_starting_and_ends_them_cancelled() {
    let sandbox = Sandbox::new();
    // Runs of a steady length (a second asleep), one at a time, so what one run costs holds
    // however busy the machine is.
    let fred = sandbox
        .fake_fred("sleep 1; mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"");
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", model, "--vcpus", "1", "--max-vcpus", "1"];
        args.extend(extra);
        sandbox
            .command()
            .env("FRED_HOME", &fred)
            .args(&args)
            .output()
            .unwrap()
    };
    // What one run reserves here, measured rather than assumed.
    let one = run(&["--runs", "1"]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    let per_run = cpu_hours(&sandbox, "1");
    // Room for two and a half runs of eight.
    let limit = per_run * 2.5;
    let budget = format!("{limit}");
    let output = run(&["--runs", "8", "--no-reuse", "--budget-cpu-hours", &budget]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let status = sandbox.json(&["status", "2"]);
    let runs = status["runs"].as_array().unwrap();
    let done = runs.iter().filter(|r| r["status"] == "DONE").count();
    let stopped: Vec<&Value> = runs.iter().filter(|r| r["status"] == "CANCELLED").collect();
    assert_eq!(
        done, 2,
        "two runs fit, a third would pass the budget: {status}"
    );
    assert_eq!(stopped.len(), 6, "{status}");
    for run in &stopped {
        assert_eq!(run["status_reason"], "budget reached", "{run}");
        assert_eq!(
            run["attempts"], 0,
            "a run the budget stopped never started: {run}"
        );
    }
    // No run started once what was spent reached the budget: without the last run, the job
    // stayed within it.
    let spent = cpu_hours(&sandbox, "2");
    let last = runs
        .iter()
        .filter_map(|r| r["duration_seconds"].as_f64())
        .fold(0.0, f64::max)
        / 3600.0;
    assert!(
        spent - last < limit,
        "{spent} CPU-hours spent for a budget of {limit}, the last run {last}"
    );
    let shown = text(&sandbox.run(&["status", "2"]).stdout);
    assert!(
        shown.contains(&format!("Budget: {budget} CPU-hours")),
        "{shown}"
    );

    for (flags, complaint) in [
        (vec!["--budget", "0"], "--budget must be a positive"),
        (
            vec!["--budget-cpu-hours", "-2"],
            "--budget-cpu-hours must be a positive",
        ),
        (
            vec!["--budget", "1", "--budget-cpu-hours", "1"],
            "cannot be used with",
        ),
    ] {
        let refused = sandbox.run(&[&["run", model][..], &flags].concat());
        assert!(!refused.status.success(), "{flags:?} must fail");
        let stderr = text(&refused.stderr);
        assert!(stderr.contains(complaint), "{flags:?}: {stderr}");
    }
    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(2),
        "refused budgets registered nothing: {jobs}"
    );
}
