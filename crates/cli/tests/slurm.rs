//! `--backend slurm` end to end against the single-node cluster `scripts/test` starts: a job's
//! runs go out as one array, every run ends DONE, status, logs, results, cost and doctor work;
//! unsafe state and runs too large for the partition are refused before anything is stored; a
//! watching process killed outright is resumed without submitting anything twice; a server
//! restarted on another backend refuses a job submitted to Slurm instead of submitting it again.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::serve::{add_user, api_job, call, serve, serve_with_args};
use common::{Sandbox, gated_fred, kill_9, text, wait_for};
use fredbatch_testkit::required;
use nix::fcntl::{Flock, FlockArg};
use serde_json::Value;

/// The cluster's partition; held shared so the Slurm tests that set the node down or preempt
/// every job never run beside these.
fn cluster() -> (String, Flock<File>) {
    assert_eq!(required("FREDBATCH_TEST_SLURM"), "1");
    let lock = File::open(required("FREDBATCH_TEST_SLURM_LOCK")).unwrap();
    let lock = Flock::lock(lock, FlockArg::LockShared)
        .map_err(|(_, errno)| errno)
        .unwrap();
    (required("FREDBATCH_TEST_SLURM_PARTITION"), lock)
}

fn influenza() -> String {
    format!("{}/../../examples/influenza", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_job_runs_on_slurm_from_submission_to_results() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    // FRED here as on the nodes, so the model is checked before the whole job goes out.
    let output = sandbox
        .command()
        .env("FRED_HOME", sandbox.demo_fred_home())
        .args([
            "run",
            &influenza(),
            "--runs",
            "20",
            "--vcpus",
            "1",
            "--backend",
            "slurm",
            "--partition",
            &partition,
            "--shared-filesystem",
            "--param",
            "days=30",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let status = sandbox.json(&["status", "1"]);
    assert_eq!(status["job"]["backend"], "slurm");
    assert_eq!(status["job"]["status"], "DONE", "{status}");
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 20);
    let arrays: std::collections::BTreeSet<&str> = runs
        .iter()
        .map(|r| {
            let id = r["backend_job_id"].as_str().unwrap();
            id.split_once('_').map_or(id, |(array, _)| array)
        })
        .collect();
    assert_eq!(arrays.len(), 1, "one array for the job: {arrays:?}");

    let run_id = runs[4]["id"].to_string();
    let logs = sandbox.run(&["logs", &run_id]);
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    assert!(
        text(&logs.stdout).contains("FRED finished"),
        "{}",
        text(&logs.stdout)
    );

    let out = sandbox.path().join("collected");
    let copied = sandbox.run(&["results", "1", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    let csv = std::fs::read_to_string(out.join("run-20/RUN20/out.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        32,
        "days = 30: a header and days 0..=30"
    );

    let cost = sandbox.json(&["cost", "--job", "1"]);
    assert_eq!(cost["attempts"], 20);
    let reserved = cost["reserved_cpu_hours"].as_f64().unwrap();
    let used = cost["used_cpu_hours"].as_f64().unwrap();
    assert!(
        reserved > 0.0 && used > 0.0 && used <= reserved * 1.5,
        "{cost}"
    );

    // Two runs more of the same model: the 20 done before are taken, 2 computed.
    let again = sandbox
        .command()
        .env("FRED_HOME", sandbox.demo_fred_home())
        .args([
            "run",
            &influenza(),
            "--runs",
            "22",
            "--backend",
            "slurm",
            "--partition",
            &partition,
            "--shared-filesystem",
            "--param",
            "days=30",
        ])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let status = sandbox.json(&["status", "2"]);
    let reused = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["reused_from"].is_number())
        .count();
    assert_eq!(reused, 20, "{status}");
    let out = sandbox.path().join("again");
    let copied = sandbox.run(&["results", "2", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("run-20/RUN20/out.csv")).unwrap(),
        csv
    );
    assert!(out.join("run-22/RUN22/out.csv").is_file());

    let doctor = sandbox.run(&["doctor", "--backend", "slurm", "--partition", &partition]);
    assert!(doctor.status.success(), "{}", text(&doctor.stdout));
    assert!(text(&doctor.stdout).contains(&format!("partition {partition} is UP")));
}

#[test]
fn unsafe_state_and_runs_too_large_are_refused_before_anything_is_stored() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let local = sandbox.run(&[
        "run",
        model,
        "--backend",
        "slurm",
        "--partition",
        &partition,
    ]);
    assert!(!local.status.success());
    let message = text(&local.stderr);
    assert!(
        message.contains("Slurm's compute nodes cannot reach"),
        "{message}"
    );
    assert!(message.contains("--shared-filesystem"), "{message}");

    let large = sandbox.run(&[
        "run",
        model,
        "--backend",
        "slurm",
        "--partition",
        &partition,
        "--shared-filesystem",
        "--vcpus",
        "256",
    ]);
    assert!(!large.status.success());
    assert!(
        text(&large.stderr).contains("asks 256 vCPU"),
        "{}",
        text(&large.stderr)
    );

    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(jobs["jobs"].as_array().map_or(0, Vec::len), 0, "{jobs}");
}

#[test]
fn a_killed_watcher_is_resumed_without_submitting_anything_twice() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    let gate = sandbox.path().join("gate");
    let fred = gated_fred(&sandbox, &gate);
    let model = sandbox.tiny_model();
    let mut watcher = sandbox
        .command()
        .env("FRED_HOME", &fred)
        .args([
            "run",
            model.to_str().unwrap(),
            "--runs",
            "4",
            "--vcpus",
            "1",
            "--backend",
            "slurm",
            "--partition",
            &partition,
            "--shared-filesystem",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let held = |status: &serde_json::Value| {
        status["runs"]
            .as_array()
            .is_some_and(|runs| runs.iter().all(|r| r["backend_job_id"].is_string()))
    };
    let before = wait_for("every run submitted", Duration::from_secs(60), || {
        let status = sandbox.json(&["status", "1"]);
        held(&status).then_some(status)
    });
    kill_9(&mut watcher);
    std::fs::write(&gate, "").unwrap();

    let resumed = sandbox
        .command()
        .env("FRED_HOME", &fred)
        .args(["resume", "1"])
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stderr).contains("Submitted 0 run(s)"),
        "{}",
        text(&resumed.stderr)
    );
    let after = sandbox.json(&["status", "1"]);
    assert_eq!(after["job"]["status"], "DONE", "{after}");
    for (was, now) in before["runs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(after["runs"].as_array().unwrap())
    {
        assert_eq!(
            was["backend_job_id"], now["backend_job_id"],
            "the same Slurm task"
        );
        assert_eq!(now["attempts"], 1, "ran once: {now}");
    }
}

/// Runs of a job whose every run has a backend job, by run: (backend job id, attempts).
fn held_runs(status: &Value) -> Option<Vec<(String, u64)>> {
    status["runs"]
        .as_array()?
        .iter()
        .map(|run| {
            Some((
                run["backend_job_id"].as_str()?.to_owned(),
                run["attempts"].as_u64()?,
            ))
        })
        .collect()
}

#[test]
fn a_server_on_another_backend_refuses_an_open_job_instead_of_submitting_it_again() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "ada");
    let gate = sandbox.path().join("gate");
    let fred = gated_fred(&sandbox, &gate).display().to_string();
    let on_slurm = [
        ("FRED_HOME", fred.clone()),
        ("FREDBATCH_BACKEND", "slurm".to_owned()),
        ("FREDBATCH_SLURM_PARTITION", partition),
    ];
    let server = serve_with_args(&sandbox, &["--shared-filesystem"], &on_slurm);
    let job = api_job(&server, &token, &["moved"], &[1, 2], true).to_string();
    let status = || sandbox.json(&["status", &job]);
    let on_cluster = wait_for("both runs held by Slurm", Duration::from_secs(60), || {
        held_runs(&status()).filter(|runs| runs.len() == 2)
    });
    drop(server);

    // The same store served on the local executor: the job is refused, loudly, and its runs
    // stay with their Slurm tasks.
    let server = serve(&sandbox, &[("FRED_HOME", fred.clone())]);
    let reason = wait_for(
        "the local server's refusal",
        Duration::from_secs(30),
        || status()["job"]["status_reason"].as_str().map(str::to_owned),
    );
    assert!(
        reason.contains("submitted to slurm") && reason.contains("--backend slurm"),
        "{reason}"
    );
    // The dashboard says it beside the job.
    let shown = call(
        &server,
        "GET",
        &format!("/dashboard/api/jobs/{job}"),
        &token,
        serde_json::Value::Null,
    );
    assert_eq!(shown["job"]["reason"].as_str(), Some(reason.as_str()));
    let ids = |runs: &[(String, u64)]| runs.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(
        held_runs(&status()).as_deref().map(ids),
        Some(ids(&on_cluster)),
        "no run was submitted again"
    );
    drop(server);

    // Back on Slurm, the server takes the job again (the refusal is gone) and it ends on the
    // tasks it had, each run once.
    let server = serve_with_args(&sandbox, &["--shared-filesystem"], &on_slurm);
    wait_for(
        "the Slurm server to take the job",
        Duration::from_secs(30),
        || status()["job"]["status_reason"].is_null().then_some(()),
    );
    std::fs::write(&gate, "").unwrap();
    let done = wait_for("the job DONE on Slurm", Duration::from_secs(90), || {
        let document = status();
        (document["job"]["status"] == "DONE").then_some(document)
    });
    let ended = held_runs(&done).unwrap();
    assert_eq!(ids(&ended), ids(&on_cluster), "the same Slurm tasks");
    assert!(ended.iter().all(|(_, attempts)| *attempts == 1), "{done}");
    drop(server);
}

#[test]
fn without_fred_here_the_first_run_checks_the_model_and_the_rest_is_not_submitted() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    // FRED (here the demo engine) is only on the nodes: this machine cannot check the model.
    let model = sandbox.model("typo", &format!("{}dyas = 5\n", common::TINY_MODEL));
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "4",
        "--backend",
        "slurm",
        "--partition",
        &partition,
        "--shared-filesystem",
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the job's first run on the slurm backend is the check"),
        "the user is told which check happens: {stderr}"
    );
    let status = sandbox.json(&["status", "1"]);
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs[0]["status"], "DONE", "{status}");
    assert!(
        runs[0]["warnings"][0]
            .as_str()
            .unwrap()
            .ends_with("Unrecognized property statement: dyas = 5"),
        "{status}"
    );
    for run in &runs[1..] {
        assert_eq!(run["status"], "ERROR", "{run}");
        assert_eq!(run["attempts"], 0, "never submitted: {run}");
        assert!(run["backend_job_id"].is_null(), "{run}");
        let reason = run["status_reason"].as_str().unwrap();
        assert!(
            reason.contains("the job's first run (run 1) was the check of its model")
                && reason.contains("dyas = 5"),
            "{reason}"
        );
    }
}

/// Runs a Jefferson County model (the demo engine, with `more` model lines) on `partition`
/// with `flags` to the end; it must succeed. Returns job 1's status.
fn run_county_on_slurm(sandbox: &Sandbox, partition: &str, more: &str, flags: &[&str]) -> Value {
    let model = sandbox.model(
        "county",
        &format!(
            "use FRED::Influenza\nlocations = Jefferson_County_PA\nstart_date = 2020-Jan-01\n{more}"
        ),
    );
    let output = sandbox
        .command()
        .env("FRED_HOME", sandbox.demo_fred_home())
        .args([
            "run",
            model.to_str().unwrap(),
            "--backend",
            "slurm",
            "--partition",
            partition,
            "--shared-filesystem",
        ])
        .args(flags)
        .output()
        .unwrap();
    let status = sandbox.json(&["status", "1"]);
    assert!(
        output.status.success(),
        "{}\n{status}",
        text(&output.stderr)
    );
    status
}

/// The cluster enforces memory as a real one does: a run over its `--mem` is killed, told
/// apart as out of memory, and goes again with twice the memory until it fits.
#[test]
fn a_run_killed_for_its_memory_on_slurm_grows_until_it_fits() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    // Slurm's accounting samples each step once a second: 5,000 days last a few seconds.
    // The engine holds 300 MB; the run starts at 100.
    let status = run_county_on_slurm(
        &sandbox,
        &partition,
        "days = 5000\n",
        &["--memory", "100", "--param", "demo_memory_mb=300"],
    );
    let run_id = status["runs"][0]["id"].to_string();
    let detail = sandbox.json(&["status", "--run", &run_id]);
    let attempts: Vec<(u64, Value)> = detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["size"]["memory_mb"].as_u64().unwrap(),
                a["failure"].clone(),
            )
        })
        .collect();
    let oom = Value::from("out_of_memory");
    assert_eq!(
        attempts,
        [(100, oom.clone()), (200, oom), (400, Value::Null)],
        "{detail}"
    );
}

/// A job without a size on the cluster: its first wave runs at the default `--mem` and is
/// measured, the rest go out as one array asking Slurm for what the wave measured, and the
/// cluster (which kills steps over their `--mem`) runs them to the end at that size.
#[test]
fn a_first_wave_measures_the_size_the_rest_ask_slurm_for() {
    let (partition, _lock) = cluster();
    let sandbox = Sandbox::new();
    // Long enough for Slurm's accounting to sample it; the engine holds 300 MB.
    let status = run_county_on_slurm(
        &sandbox,
        &partition,
        "days = 2000\ndemo_memory_mb = 300\n",
        &["--runs", "4"],
    );
    let job = &status["job"];
    assert_eq!(job["size_origin"]["kind"], "learned", "{job}");
    let learned = job["resources"]["memory_mb"].as_u64().unwrap();
    assert!(
        (384..2048).contains(&learned),
        "300 MB held + headroom: {job}"
    );
    let runs = status["runs"].as_array().unwrap();
    let mut arrays = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let detail = sandbox.json(&["status", "--run", &run["id"].to_string()]);
        let attempts = detail["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "no run ran out of memory: {detail}");
        let expected = if index < 2 { 2048 } else { learned };
        assert_eq!(attempts[0]["size"]["memory_mb"], expected, "{detail}");
        let id = run["backend_job_id"].as_str().unwrap();
        arrays.push(id.split_once('_').map_or(id, |(array, _)| array).to_owned());
    }
    assert_eq!(
        arrays[2], arrays[3],
        "the rest went out as one array: {arrays:?}"
    );
    assert_ne!(arrays[0], arrays[2], "after the wave: {arrays:?}");
    // What Slurm holds of the array (its accounting is off here; the controller keeps ended
    // jobs for a while).
    let asked = Command::new("scontrol")
        .args(["-o", "show", "job", &arrays[2]])
        .output()
        .unwrap();
    let asked = text(&asked.stdout);
    let lines: Vec<&str> = asked.lines().collect();
    assert_eq!(lines.len(), 2, "{asked}");
    assert!(
        lines
            .iter()
            .all(|line| line.contains(&format!("mem={learned}M"))),
        "Slurm was asked for {learned} MB per run: {asked}"
    );
}
