//! A job on AWS Batch from submission to results, against moto and PostgreSQL (both started by
//! `scripts/test`): the committed stack template deployed through CloudFormation,
//! `fredbatch run --stack` submitting the runs as one array job, each container played by
//! running exactly the command and environment Batch holds for it, then `status`, `logs`,
//! `results`, `resume` and `doctor` on the finished job.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::batch_stack::{batch, deploy_batch_stack};
use common::services::{aws_query, database, xml_values};
use common::{Sandbox, runs, text, wait_for};
use fredbatch_infra::contract::output as stack_output;
use fredbatch_testkit::{aws_env, create_bucket as bucket, unique};
use serde_json::{Value, json};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn a_job_runs_on_the_deployed_stack_from_submission_to_results() {
    let sandbox = Sandbox::new();
    let (uploads, results) = (bucket("fred-uploads"), bucket("fred-results"));
    let stack = deploy_batch_stack("staging", &uploads, &results, &[]);
    let database = database();
    let fred_home = sandbox.demo_fred_home();
    let fredbatch = |args: &[&str]| on_aws(&sandbox, &database, &fred_home, args);
    let example = repository().join("examples/influenza");

    // Submit: three runs, one array job, the buckets found from the stack.
    // Sized by hand: the whole job goes out at once (a learned size is tested on its own).
    let submitted = fredbatch(&[
        "run",
        example.to_str().unwrap(),
        "--runs",
        "3",
        "--memory",
        "2048",
        "--stack",
        &stack,
        "--detach",
        "--output",
        "json",
    ])
    .output()
    .unwrap();
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    let document: Value = serde_json::from_slice(&submitted.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&submitted.stdout)));
    assert_eq!(document["job"]["id"], 1, "the job document, as locally");
    assert_eq!(document["job"]["backend"], "aws-batch");
    let outputs = aws_query(
        "cloudformation",
        &format!("DescribeStacks&StackName={stack}"),
    );
    let keys = xml_values(&outputs, "OutputKey");
    let values = xml_values(&outputs, "OutputValue");
    let output = |key: &str| values[keys.iter().position(|k| k == key).unwrap()].clone();
    let queue = output(stack_output::JOB_QUEUE_NAME);
    assert_eq!(
        document["job"]["backend_target"]["fallback_queue"],
        output(stack_output::FALLBACK_JOB_QUEUE_NAME).as_str(),
        "the stack's On-Demand fallback queue is recorded with the job"
    );
    let listed = batch(
        "listjobs",
        json!({"jobQueue": queue, "filters": [{"name": "JOB_NAME", "values": ["fred-job-1-*"]}]}),
    );
    let parents: Vec<&Value> = listed["jobSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| !j["jobId"].as_str().unwrap().contains(':'))
        .collect();
    assert_eq!(parents.len(), 1, "one array job for the sweep: {listed}");
    assert_eq!(parents[0]["jobName"], "fred-job-1-runs-1-3");
    let parent = parents[0]["jobId"].as_str().unwrap().to_owned();

    // Each container runs the command Batch holds, with Batch's variables.
    let detail = batch("describejobs", json!({"jobs": [parent]}));
    let container = &detail["jobs"][0]["container"];
    let command: Vec<String> = serde_json::from_value(container["command"].clone()).unwrap();
    assert_eq!(command[..3], ["worker", "--job-id", "1"], "{container}");
    let environment: Vec<(String, String)> = container["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair["name"].as_str().unwrap().to_owned(),
                pair["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        environment.contains(&("FREDBATCH_RESULTS".into(), format!("s3://{results}"))),
        "the stack's results bucket reaches the containers: {environment:?}"
    );
    assert!(
        !environment.iter().any(|(name, _)| name == "DATABASE_URL"),
        "database credentials come from the job definition's secret, never as plain values"
    );
    assert_eq!(detail["jobs"][0]["arrayProperties"]["size"], 3);
    play_array(&fredbatch, &parent, 3);

    // Status asks Batch, in few requests, and shows every run DONE.
    let status = wait_for("every run DONE", Duration::from_secs(60), || {
        let output = fredbatch(&["--output", "json", "status"]).output().unwrap();
        let status: Value = serde_json::from_slice(&output.stdout).unwrap();
        runs(&status)
            .iter()
            .all(|(s, _, _)| s == "DONE")
            .then_some(status)
    });
    assert_eq!(status["job"]["backend"], "aws-batch");
    for (number, run) in status["runs"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            run["backend_job_id"].as_str().unwrap(),
            format!("{parent}:{number}"),
            "run {} is child {number}",
            number + 1
        );
        assert!(run["results"].as_str().unwrap().starts_with("s3://"));
    }
    let run_id = status["runs"][0]["id"].to_string();
    let logs = fredbatch(&["logs", &run_id]).output().unwrap();
    assert!(logs.status.success(), "{}", text(&logs.stderr));

    let out = sandbox.path().join("collected");
    let copied = fredbatch(&["results", "1", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    for run in 1..=3 {
        assert!(out.join(format!("run-{run}/RUN{run}/out.csv")).is_file());
    }

    // Resuming a finished job submits nothing again.
    let resumed = fredbatch(&["resume", "1"]).output().unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let listed = batch(
        "listjobs",
        json!({"jobQueue": queue, "filters": [{"name": "JOB_NAME", "values": ["fred-job-1-*"]}]}),
    );
    let parents = listed["jobSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| !j["jobId"].as_str().unwrap().contains(':'))
        .count();
    assert_eq!(parents, 1, "nothing was submitted twice: {listed}");

    // The same job again, without a size: it asks for the size the first job's runs measured
    // (not the job definition's 4 vCPU / 8192 MB), all at once; its containers take the first
    // job's results and run nothing.
    let again = fredbatch(&[
        "run",
        example.to_str().unwrap(),
        "--runs",
        "3",
        "--stack",
        &stack,
        "--detach",
        "--output",
        "json",
    ])
    .output()
    .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let document: Value = serde_json::from_slice(&again.stdout).unwrap();
    let job = &document["job"];
    assert_eq!(job["size_origin"]["kind"], "learned", "{job}");
    assert_eq!(job["size_origin"]["from"], "history", "{job}");
    assert_eq!(
        job["size_origin"]["runs"], 3,
        "the first job's measured runs: {job}"
    );
    assert_eq!(job["resources"]["vcpus"], 1, "{job}");
    assert!(
        job["resources"]["memory_mb"].as_u64().unwrap() < 2048,
        "a few hundred MB, as measured: {job}"
    );
    let listed = batch(
        "listjobs",
        json!({"jobQueue": queue, "filters": [{"name": "JOB_NAME", "values": ["fred-job-2-*"]}]}),
    );
    let parent = listed["jobSummaryList"][0]["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = batch("describejobs", json!({"jobs": [parent]}));
    let command: Vec<String> =
        serde_json::from_value(detail["jobs"][0]["container"]["command"].clone()).unwrap();
    assert_eq!(command[..3], ["worker", "--job-id", "2"]);
    for container in play_array(&fredbatch, &parent, 3) {
        assert!(
            text(&container.stderr).contains("FRED is not run")
                || text(&container.stdout).contains("FRED is not run"),
            "{}",
            text(&container.stderr)
        );
    }
    let status = wait_for(
        "every run of the second job DONE",
        Duration::from_secs(60),
        || {
            let output = fredbatch(&["--output", "json", "status", "2"])
                .output()
                .unwrap();
            let status: Value = serde_json::from_slice(&output.stdout).unwrap();
            runs(&status)
                .iter()
                .all(|(s, _, _)| s == "DONE")
                .then_some(status)
        },
    );
    for run in status["runs"].as_array().unwrap() {
        assert!(run["reused_from"].is_number(), "{run}");
        assert!(
            run["results"].as_str().unwrap().contains("/job-1/"),
            "{run}"
        );
    }

    let doctor = fredbatch(&["doctor", "--stack", &stack]).output().unwrap();
    let report = text(&doctor.stdout);
    assert!(report.contains(&queue), "{report}");
    assert!(report.contains("ok      job queue"), "{report}");
}

#[test]
fn aws_batch_needs_a_shared_database_and_s3() {
    let sandbox = Sandbox::new();
    let example = repository().join("examples/influenza");
    let output = sandbox
        .command()
        .envs(aws_env())
        .env("AWS_BATCH_JOB_QUEUE", "fred-queue")
        .env("AWS_BATCH_JOB_DEFINITION", "fred-definition")
        .args(["run", example.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = text(&output.stderr);
    assert!(
        error.contains("not this machine's SQLite file") && error.contains("DATABASE_URL"),
        "{error}"
    );
    assert!(
        !sandbox.home().join("fredbatch.db").exists(),
        "nothing was registered"
    );

    let missing = sandbox
        .command()
        .envs(aws_env())
        .args([
            "run",
            example.to_str().unwrap(),
            "--stack",
            &unique("no-such-stack"),
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let error = text(&missing.stderr);
    assert!(
        error.contains("is not deployed") && error.contains("fredbatch infra deploy"),
        "{error}"
    );
}

/// `fredbatch ARGS` for AWS Batch on moto, with the shared `database` and FRED at
/// `fred_home` here too, so the model is checked before it is submitted (without it, the first
/// run would be the check and the others would follow it).
fn on_aws(sandbox: &Sandbox, database: &str, fred_home: &Path, args: &[&str]) -> Command {
    let mut command = sandbox.command();
    command
        .envs(aws_env())
        .env("DATABASE_URL", database)
        .env("FREDBATCH_ARRAY_JOBS", "true")
        .env("FRED_HOME", fred_home)
        .args(args);
    command
}

/// Plays every child of array job `parent` on this machine, as its containers would run on
/// AWS Batch: the command Batch holds, with Batch's variables. Each must succeed; returns what
/// each printed.
fn play_array(fredbatch: &dyn Fn(&[&str]) -> Command, parent: &str, size: usize) -> Vec<Output> {
    let detail = batch("describejobs", json!({"jobs": [parent]}));
    let container = &detail["jobs"][0]["container"];
    let command: Vec<String> = serde_json::from_value(container["command"].clone()).unwrap();
    let environment: Vec<(String, String)> = container["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair["name"].as_str().unwrap().to_owned(),
                pair["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (0..size)
        .map(|index| {
            let played = fredbatch(&command.iter().map(String::as_str).collect::<Vec<_>>())
                .envs(environment.iter().map(|(k, v)| (k, v)))
                .env("AWS_BATCH_JOB_ARRAY_INDEX", index.to_string())
                .env("AWS_BATCH_JOB_ID", format!("{parent}:{index}"))
                .env("AWS_BATCH_JOB_ATTEMPT", "1")
                .output()
                .unwrap();
            assert!(played.status.success(), "{}", text(&played.stderr));
            played
        })
        .collect()
}

/// A detached job without a size on AWS Batch: its first wave goes out alone at the job
/// definition's default; once it ended, `status` finds it measured and sends the rest as an
/// array of their own at the size it measured.
#[test]
fn a_detached_first_wave_sizes_the_rest_when_status_finds_it_ended() {
    let sandbox = Sandbox::new();
    let (uploads, results) = (bucket("fred-uploads"), bucket("fred-results"));
    // No other test deploys the batch stack in this environment (its log group is named after
    // the environment).
    let stack = deploy_batch_stack("dev", &uploads, &results, &[]);
    let database = database();
    let fred_home = sandbox.demo_fred_home();
    let fredbatch = |args: &[&str]| on_aws(&sandbox, &database, &fred_home, args);
    let example = repository().join("examples/influenza");
    let submitted = fredbatch(&[
        "run",
        example.to_str().unwrap(),
        "--runs",
        "4",
        "--stack",
        &stack,
        "--detach",
        "--output",
        "json",
    ])
    .output()
    .unwrap();
    assert!(submitted.status.success(), "{}", text(&submitted.stderr));
    let document: Value = serde_json::from_slice(&submitted.stdout).unwrap();
    assert_eq!(document["job"]["size_origin"]["kind"], "measuring");
    let job = document["job"]["id"].to_string();
    let queue = stack_outputs_queue(&stack);
    let parents = |what: &str| -> Vec<Value> {
        let listed = batch(
            "listjobs",
            json!({"jobQueue": queue, "filters": [{"name": "JOB_NAME", "values": [what]}]}),
        );
        listed["jobSummaryList"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| !j["jobId"].as_str().unwrap().contains(':'))
            .cloned()
            .collect()
    };
    let wave = parents(&format!("fred-job-{job}-*"));
    assert_eq!(wave.len(), 1, "the wave alone: {wave:?}");
    assert_eq!(wave[0]["jobName"], format!("fred-job-{job}-runs-1-2"));
    play_array(&fredbatch, wave[0]["jobId"].as_str().unwrap(), 2);

    // `status` finds the wave ended, learns the size and sends the rest.
    let status = wait_for("the rest submitted", Duration::from_secs(60), || {
        let output = fredbatch(&["--output", "json", "status", &job])
            .output()
            .unwrap();
        let status: Value = serde_json::from_slice(&output.stdout).unwrap();
        (status["job"]["size_origin"]["kind"] == "learned").then_some(status)
    });
    let learned = status["job"]["resources"]["memory_mb"].as_u64().unwrap();
    assert!(learned < 2048, "{}", status["job"]);
    let rest = parents(&format!("fred-job-{job}-runs-3-4"));
    assert_eq!(rest.len(), 1, "the rest as one array: {rest:?}");
    play_array(&fredbatch, rest[0]["jobId"].as_str().unwrap(), 2);
    let status = wait_for("every run DONE", Duration::from_secs(60), || {
        let output = fredbatch(&["--output", "json", "status", &job])
            .output()
            .unwrap();
        let status: Value = serde_json::from_slice(&output.stdout).unwrap();
        runs(&status)
            .iter()
            .all(|(s, _, _)| s == "DONE")
            .then_some(status)
    });
    let sizes: Vec<u64> = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["size"]["memory_mb"].as_u64().unwrap())
        .collect();
    let default = sizes[0];
    assert_eq!(sizes, [default, default, learned, learned], "{status}");
    assert!(learned < default);
}

/// The job queue a deployed batch stack exports.
fn stack_outputs_queue(stack: &str) -> String {
    common::batch_stack::stack_outputs(stack)[stack_output::JOB_QUEUE_NAME].clone()
}
