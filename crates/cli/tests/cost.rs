//! `fredbatch cost`: the cost estimate of the AWS Batch design this project implements
//! (`docs/design.md`) reproduced from the bundled table, prices
//! overridden by flags, and real jobs priced from their attempts (retries included).

mod common;

use common::{Sandbox, text};
use serde_json::Value;

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn influenza() -> String {
    format!("{}/../../examples/influenza", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn reproduces_the_designs_cost_estimate_from_its_assumptions() {
    let sandbox = Sandbox::new();
    let args = [
        "cost",
        "--runs-per-day",
        "100",
        "--runtime",
        "30m",
        "--instance",
        "c5.xlarge",
        "--on-demand-fallback",
        "10%",
    ];
    let json = sandbox.json(&args);
    // The design: Spot ~$0.05/h, ~$0.025/run, $2.50/day, ~$75/month; On-Demand $0.17/h, ~$0.085/run,
    // ~$255/month; "$75-100/month with SPOT + occasional On-Demand fallback".
    assert!(close(&json["spot"]["per_hour"], 0.051), "{json}");
    assert!(close(&json["spot"]["per_run"], 0.0255));
    assert!(close(&json["spot"]["per_day"], 2.55));
    assert!(close(&json["spot"]["per_month"], 76.5));
    assert!(close(&json["on_demand"]["per_hour"], 0.17));
    assert!(close(&json["on_demand"]["per_run"], 0.085));
    assert!(close(&json["on_demand"]["per_month"], 255.0));
    assert!(close(&json["expected_month_high"], 94.35));
    assert_eq!(json["default_job_definition_fits"], 0);

    let output = sandbox.run(&args);
    assert!(output.status.success());
    let report = text(&output.stdout);
    for figure in [
        "$0.051",
        "$0.0255",
        "$2.55",
        "$76.50",
        "$255.00",
        "$76.50-$94.35",
        "taken 20",
    ] {
        assert!(report.contains(figure), "{figure} missing from:\n{report}");
    }
}

#[test]
fn price_flags_override_the_table() {
    let sandbox = Sandbox::new();
    let json = sandbox.json(&[
        "cost",
        "--instance",
        "m5.large",
        "--spot-price",
        "0.04",
        "--on-demand-price",
        "0.1",
        "--runtime",
        "1h",
        "--runs-per-day",
        "10",
    ]);
    assert!(close(&json["spot"]["per_run"], 0.04), "{json}");
    assert!(close(&json["on_demand"]["per_day"], 1.0));
    assert!(close(&json["spot_saving"], 0.6));

    // A table of one's own, as --show-prices prints it, with a measured Spot price.
    let mut table = sandbox.json(&["cost", "--show-prices"]);
    let c5 = table["instances"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["name"] == "c5.xlarge")
        .unwrap();
    c5["spot"] = serde_json::json!(0.062);
    let file = sandbox.path().join("prices.json");
    std::fs::write(&file, table.to_string()).unwrap();
    let json = sandbox.json(&["cost", "--prices", file.to_str().unwrap()]);
    assert!(close(&json["spot"]["per_run"], 0.031), "{json}");

    let output = sandbox.run(&["cost", "--instance", "z9.huge"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("c5.xlarge"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_job_is_priced_from_every_attempt_retries_included() {
    let sandbox = Sandbox::new();
    // First attempt: the worker is killed (an interruption), the second succeeds.
    let fred_home = common::fred_killing_its_first_worker(&sandbox, "sleep 0.3; ");
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .env("FRED_HOME", &fred_home)
        .args(["run", model.to_str().unwrap(), "--memory", "2048"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));

    let json = sandbox.json(&["cost", "--job", "1", "--market", "on-demand"]);
    let attempts = json["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{json}");
    assert_eq!(json["retried_attempts"], 1);
    let paid: Vec<f64> = attempts
        .iter()
        .map(|a| a["reserved"].as_f64().unwrap())
        .collect();
    assert!(
        paid.iter().all(|p| *p > 0.0),
        "every attempt is paid for: {paid:?}"
    );
    assert!(close(&json["reserved"], paid.iter().sum()));
    // The killed worker never reported measurements: its wall time is bounded by the retry.
    assert_eq!(json["unmeasured_attempts"], 1);
    assert!(attempts[0]["floor"].is_null() && attempts[1]["floor"].is_number());
    // 1 vCPU / 2048 MB locally: 7 per c5.2xlarge ($0.34/h) by memory.
    assert_eq!(json["packing"]["instance"], "c5.2xlarge");
    assert_eq!(json["packing"]["runs_per_instance"], 7);
    let wall: f64 = attempts
        .iter()
        .map(|a| a["wall_seconds"].as_f64().unwrap())
        .sum();
    assert!(close(&json["reserved"], 0.34 / 7.0 * wall / 3600.0));
}

#[test]
fn the_stacks_default_job_definition_pays_several_times_the_floor_of_a_single_threaded_run() {
    let sandbox = Sandbox::new();
    let model = influenza();
    let output = sandbox.run(&[
        "run",
        &model,
        "--runs",
        "2",
        "--vcpus",
        "4",
        "--memory",
        "8192",
        "--max-vcpus",
        "4",
        "--max-memory",
        "16384",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json = sandbox.json(&["cost", "--job", "1"]);
    assert_eq!(json["packing"]["instance"], "c5.2xlarge", "{json}");
    let ratio = json["reserved_over_floor"].as_f64().unwrap();
    // The demo engine keeps one core busy: 4 reserved vCPUs (alone on 8) cost ~8x the floor.
    assert!(ratio > 4.0, "{ratio}");
    let output = sandbox.run(&["cost", "--job", "1"]);
    let report = text(&output.stdout);
    assert!(report.contains("would cost on AWS Batch"), "{report}");
    // A demo run costs a fraction of a cent: in plain decimals, and per 1,000 runs.
    assert!(report.contains("per 1,000 runs)."), "{report}");
    for amount in report.split('$').skip(1) {
        let figure: String = amount
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '-'))
            .collect();
        assert!(
            figure
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',')),
            "${figure} is not an amount people read, in:\n{report}"
        );
    }
}

/// The sum of `field` over `items`.
fn sum(items: &[Value], field: &str) -> f64 {
    items.iter().map(|i| i[field].as_f64().unwrap()).sum()
}

/// Equal within a millionth of the larger: a sum of demo runs' figures is tiny.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
}

#[test]
fn a_sweeps_cost_is_split_per_configuration_and_interruptions_are_counted_apart() {
    let sandbox = Sandbox::new();
    common::sweep_with_an_interruption(&sandbox);

    let json = sandbox.json(&["cost", "--job", "1"]);
    let attempts = json["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 5, "{json}");
    let interrupted: Vec<&Value> = attempts
        .iter()
        .filter(|a| a["failure"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "the killed worker's attempt: {json}");
    let killed = interrupted[0];
    let killed_run = killed["run_number"].as_u64().unwrap();

    // The configurations add up to the job, on both markets, in CPU-hours and in attempts.
    let total = &json["total"];
    let configs = json["configurations"].as_array().expect("configurations");
    assert_eq!(configs.len(), 2, "{json}");
    assert_eq!(configs[0]["overrides"], "INF.transmissibility=0.5");
    assert_eq!(configs[1]["overrides"], "INF.transmissibility=2.5");
    for field in ["reserved_cpu_hours", "used_cpu_hours", "spot", "on_demand"] {
        let whole = total[field].as_f64().unwrap();
        assert!(whole > 0.0, "{field}: {json}");
        assert!(same(sum(configs, field), whole), "{field}: {json}");
    }
    assert!(same(sum(configs, "attempts"), 5.0));
    // Spot is the market priced: the job's cost is the total's Spot figure.
    assert!(same(
        total["spot"].as_f64().unwrap(),
        json["reserved"].as_f64().unwrap()
    ));
    assert!(same(
        total["reserved_cpu_hours"].as_f64().unwrap(),
        sum(attempts, "wall_seconds") / 3600.0,
    ));

    // The interruption: its own line, in its run's configuration, not in what was useful.
    let interruptions = &json["interruptions"];
    assert_eq!(interruptions["attempts"], 1, "{json}");
    let hours = killed["wall_seconds"].as_f64().unwrap() / 3600.0;
    assert!(hours > 0.0, "{killed}");
    assert!(same(
        interruptions["reserved_cpu_hours"].as_f64().unwrap(),
        hours
    ));
    assert!(same(
        interruptions["spot"].as_f64().unwrap(),
        killed["reserved"].as_f64().unwrap()
    ));
    // Runs 1 and 2 are configuration 1's, runs 3 and 4 configuration 2's.
    let (with_it, without) = if killed_run <= 2 {
        (&configs[0], &configs[1])
    } else {
        (&configs[1], &configs[0])
    };
    assert_eq!(with_it["attempts"], 3, "{with_it}");
    assert_eq!(with_it["interrupted"]["attempts"], 1);
    assert_eq!(without["interrupted"]["attempts"], 0);
    assert_eq!(json["failed_attempts"]["attempts"], 0);
    let useful = &json["useful"];
    assert_eq!(useful["attempts"], 4);
    assert!(same(
        useful["reserved_cpu_hours"].as_f64().unwrap() + hours,
        total["reserved_cpu_hours"].as_f64().unwrap()
    ));

    let output = sandbox.run(&["cost", "--job", "1"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.contains("Interruptions: 1 attempt, "), "{report}");
    assert!(
        report.contains("(Spot), paid for with nothing kept"),
        "{report}"
    );
    assert!(report.contains("Failed attempts: none."), "{report}");
    assert!(report.contains("Per configuration"), "{report}");
    assert!(
        report.contains("INF.transmissibility=0.5") && report.contains("INF.transmissibility=2.5"),
        "{report}"
    );
    assert!(
        report.contains("interrupted"),
        "the attempt's failure: {report}"
    );
}

#[test]
fn a_job_of_one_configuration_has_no_table_and_its_failed_attempts_are_told_by_class() {
    let sandbox = Sandbox::new();
    // The demo engine holds 300 MB; the run starts at 100 and is killed out of memory twice
    // (100, 200 MB) before 400 MB fits.
    let model = sandbox.model(
        "county",
        "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\ndays = 60\n",
    );
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--memory",
        "100",
        "--param",
        "demo_memory_mb=300",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json = sandbox.json(&["cost", "--job", "1", "--market", "on-demand"]);
    let failed = &json["failed_attempts"];
    assert_eq!(failed["attempts"], 2, "{json}");
    assert_eq!(
        failed["by_class"],
        serde_json::json!([{ "class": "out_of_memory", "attempts": 2 }])
    );
    assert_eq!(json["interruptions"]["attempts"], 0);
    assert_eq!(json["resized_attempts"], 2, "the two retries grew: {json}");
    let attempts = json["attempts"].as_array().unwrap();
    let memory: Vec<u64> = attempts
        .iter()
        .map(|a| a["resources"]["memory_mb"].as_u64().unwrap())
        .collect();
    assert_eq!(memory, [100, 200, 400], "{json}");
    let lost: f64 = attempts[..2]
        .iter()
        .map(|a| a["reserved"].as_f64().unwrap())
        .sum();
    assert!(same(failed["on_demand"].as_f64().unwrap(), lost), "{json}");
    assert!(same(
        json["useful"]["on_demand"].as_f64().unwrap(),
        attempts[2]["reserved"].as_f64().unwrap()
    ));
    let configs = json["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "one configuration, always in JSON");
    assert_eq!(configs[0]["failed"]["attempts"], 2);

    let report = text(
        &sandbox
            .run(&["cost", "--job", "1", "--market", "on-demand"])
            .stdout,
    );
    assert!(
        report.contains("Failed attempts: 2 attempts (2 out of memory), "),
        "{report}"
    );
    assert!(
        report.contains("(On-Demand), paid for with nothing kept"),
        "{report}"
    );
    assert!(report.contains("Interruptions: none."), "{report}");
    assert!(
        !report.contains("Per configuration"),
        "no table for one: {report}"
    );
    assert!(
        report.contains("2 attempt(s) ran at another size"),
        "{report}"
    );
}
