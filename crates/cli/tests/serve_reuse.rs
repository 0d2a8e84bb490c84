//! Through `fredbatch serve` and the real epx client: a job identical to one a user ran before
//! computes nothing and gets the same answers, another user's identical job computes its own,
//! and deleting the first job leaves the second one's results whole.

mod common;

use std::path::Path;

use common::epx::{epx, epx_config};
use common::serve::{Server, add_user, call, http, serve};
use common::{Sandbox, text};
use serde_json::Value;

const MODEL: &str =
    "use FRED::Influenza\nlocations = Test_Town\nstart_date = 2020-Jan-01\ndays = 10\n";

/// Runs the small epx job (3 seeds) for the user whose epx folder is `storage`; its job id.
fn small_job(sandbox: &Sandbox, storage: &Path, model: &str) -> i64 {
    let out = epx(sandbox, storage, "small_job.py", &[model, "3"]);
    assert!(out["status"].as_str().unwrap().contains("DONE"), "{out}");
    out["job_id"].as_i64().unwrap()
}

/// Each run's `reused_from` in `fredbatch status JOB`.
fn reused_from(sandbox: &Sandbox, job: i64) -> Vec<Value> {
    let status = sandbox.json(&["status", &job.to_string()]);
    status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| {
            assert_eq!(run["status"], "DONE", "{run}");
            run["reused_from"].clone()
        })
        .collect()
}

fn results_url(server: &Server, token: &str, job: i64) -> String {
    call(
        server,
        "GET",
        &format!("/jobs/results?job_id={job}"),
        token,
        Value::Null,
    )["urls"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn an_identical_epx_job_reuses_the_users_runs_and_survives_the_first_jobs_deletion() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let bob = add_user(&sandbox, "bob");
    let server = serve(&sandbox, &[]);
    let model = sandbox.model("model", MODEL).join("main.fred");
    let model = model.to_str().unwrap();
    let alices = epx_config(&sandbox, "alice", &server.url, &alice);

    let first = small_job(&sandbox, &alices, model);
    assert!(reused_from(&sandbox, first).iter().all(Value::is_null));
    let second = small_job(&sandbox, &alices, model);
    let first_ids: Vec<Value> = sandbox.json(&["status", &first.to_string()])["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].clone())
        .collect();
    assert_eq!(
        reused_from(&sandbox, second),
        first_ids,
        "each seed took the results of the same seed's run"
    );
    let bobs = epx_config(&sandbox, "bob", &server.url, &bob);
    let bobs_job = small_job(&sandbox, &bobs, model);
    assert!(
        reused_from(&sandbox, bobs_job).iter().all(Value::is_null),
        "one user's results never reach another"
    );

    // The first job deleted: the second one's results are whole, through the API and on disk.
    call(
        &server,
        "DELETE",
        &format!("/jobs/{first}"),
        &alice,
        Value::Null,
    );
    let (status, archive) = http("GET", &results_url(&server, &alice, second), None, b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&archive));
    let out = sandbox.path().join("second");
    let copied = sandbox.run(&[
        "results",
        &second.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(out.join("run-3/RUN1/out.csv").is_file());

    // Once no job refers to them, they go with the last one.
    call(
        &server,
        "DELETE",
        &format!("/jobs/{second}"),
        &alice,
        Value::Null,
    );
    for job in [first, second] {
        let left = sandbox.home().join(format!("results/job-{job}"));
        assert!(
            files_under(&left).is_empty(),
            "{left:?} still holds {:?}",
            files_under(&left)
        );
    }
}

/// The files under `dir`, at any depth (none when it does not exist).
fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path.display().to_string());
            }
        }
    }
    files
}
