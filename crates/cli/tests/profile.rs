//! `fredbatch profile`: measures the example model on the demo engine and recommends a size
//! that is valid for AWS Batch, near the floor, and can be applied with `fredbatch run`.

mod common;

use common::{Sandbox, text};

fn influenza() -> String {
    format!("{}/../../examples/influenza", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn recommends_a_size_from_measured_runs_and_it_can_be_applied() {
    let sandbox = Sandbox::new();
    let model = influenza();
    let json = sandbox.json(&["profile", &model, "--runs", "3", "--memory-headroom", "50%"]);
    let runs = json["runs"].as_array().expect("measured runs");
    assert_eq!(runs.len(), 3, "{json}");
    let peak = runs
        .iter()
        .map(|r| r["peak_rss_mib"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(peak > 0.0);

    let r = &json["recommendation"];
    // The demo engine is single-threaded.
    assert_eq!(r["vcpus"], 1, "{json}");
    let memory = r["memory_mb"].as_u64().unwrap();
    assert_eq!(memory % 256, 0, "a multiple of 256 MiB");
    assert!(memory as f64 >= peak * 1.5 && (memory as f64) < peak * 1.5 + 256.0);

    let c = &json["comparison"];
    let right = c["right_sized_over_floor"].as_f64().unwrap();
    let stack_default = c["stack_default_over_floor"].as_f64().unwrap();
    // One whole vCPU per single-threaded run: right-sized pays wall time where the floor pays
    // CPU time, so the ratio is exactly their ratio (how near 1 depends on the machine's load,
    // which is measured by the bench, not asserted here).
    let wall: f64 = runs
        .iter()
        .map(|r| r["wall_seconds"].as_f64().unwrap())
        .sum();
    let cpu: f64 = runs
        .iter()
        .map(|r| r["cpu_seconds"].as_f64().unwrap())
        .sum();
    assert!(
        (right / (wall / cpu) - 1.0).abs() < 1e-3,
        "{right} vs {}",
        wall / cpu
    );
    assert!(
        stack_default > 4.0 * right,
        "the stack's default job definition {stack_default}x vs right-sized {right}x"
    );
    assert_eq!(c["stack_default"]["instance"], "c5.2xlarge");

    assert_eq!(
        json["run_command"].as_str().unwrap(),
        format!("fredbatch run {model} --vcpus 1 --memory {memory}")
    );
    assert_eq!(
        json["template_parameters"].as_str().unwrap(),
        format!("JobVcpus=1 JobMemory={memory}")
    );

    // Applying it: the next job asks exactly that.
    let memory = memory.to_string();
    let applied = sandbox.json(&["run", &model, "--vcpus", "1", "--memory", &memory]);
    assert_eq!(applied["job"]["resources"]["vcpus"], 1);
    assert_eq!(applied["job"]["resources"]["memory_mb"].to_string(), memory);

    let output = sandbox.run(&["profile", &model, "--runs", "1"]);
    let report = text(&output.stdout);
    assert!(report.contains("JobVcpus=1"), "{report}");
    assert!(
        report.contains("stack default: 4 vCPU, 8192 MB"),
        "{report}"
    );
}

#[test]
fn a_model_that_fails_gives_no_recommendation() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("broken", "use FRED::Influenza\n");
    let output = sandbox.run(&["profile", model.to_str().unwrap(), "--runs", "1"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("not every run"), "{stderr}");
    assert!(stderr.contains("fredbatch status"), "{stderr}");
    let report = text(&output.stdout);
    assert!(
        !report.contains("JobVcpus") && !report.contains("--vcpus"),
        "no size is recommended: {report}"
    );
}

#[test]
fn profiling_measures_on_this_machine_even_with_aws_batch_configured() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox
        .command()
        .args([
            "--output",
            "json",
            "profile",
            model.to_str().unwrap(),
            "--runs",
            "2",
        ])
        .env("AWS_BATCH_JOB_DEFINITION", "fred-simulation-runner-dev")
        .env("AWS_BATCH_JOB_QUEUE", "fred-batch-queue-dev")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 2);
    let status = sandbox.json(&["status", &json["job_id"].to_string()]);
    assert_eq!(status["job"]["backend"], "local");
}

#[test]
fn a_failed_profile_points_at_the_runs_logs_by_run_id() {
    let sandbox = Sandbox::new();
    let model = sandbox.model("broken", "use FRED::Influenza\n");
    let output = sandbox.run(&["profile", model.to_str().unwrap(), "--runs", "1"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("`fredbatch logs RUN_ID`"), "{stderr}");
    assert!(
        !stderr.contains("fredbatch logs 1`"),
        "logs takes a run id: {stderr}"
    );
}
