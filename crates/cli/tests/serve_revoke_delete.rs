//! Revoking a user and deleting a job take effect at once: the URLs handed out for them stop
//! working, a revoked user's queued runs end with the reason, a deleted job's files are
//! removed; and an upload URL stores its object once.

mod common;

use std::time::Duration;

use common::serve::{Server, add_user, api_job, call, http, run_statuses, serve};
use common::{Sandbox, wait_for};
use serde_json::{Value, json};

fn upload_url(server: &Server, token: &str, job: i64, kind: &str) -> String {
    call(
        server,
        "POST",
        "/jobs",
        token,
        json!({"jobId": job, "context": "job", "type": kind}),
    )["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn description(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap();
    value["description"].as_str().unwrap().to_owned()
}

#[test]
fn a_revoked_users_urls_stop_at_once_and_their_queued_runs_are_cancelled() {
    let sandbox = Sandbox::new();
    let dave = add_user(&sandbox, "dave");
    let server = serve(&sandbox, &[]);
    // Two runs waiting for inputs that were never uploaded, and the URL to upload them.
    let job = api_job(&server, &dave, &["revoked"], &[1, 2], false);
    let inputs = upload_url(&server, &dave, job, "input");

    let revoked = sandbox.run(&["users", "revoke", "dave"]);
    assert!(revoked.status.success());
    let (status, body) = http("PUT", &inputs, None, b"PK\x05\x06");
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(description(&body).contains("revoked"));
    assert!(
        !sandbox
            .home()
            .join(format!("uploads/jobs/{job}/job_input.zip"))
            .exists()
    );
    let status = sandbox.json(&["status", &job.to_string()]);
    for run in status["runs"].as_array().unwrap() {
        assert_eq!(run["status"], "CANCELLED", "{status}");
        assert!(
            run["reason"].to_string().contains("revoked")
                || run["status_reason"].to_string().contains("revoked"),
            "{run}"
        );
        assert_eq!(run["attempts"], 0, "{run}");
    }
}

#[test]
fn a_deleted_jobs_files_are_removed_and_its_urls_answer_410() {
    let sandbox = Sandbox::new();
    let bob = add_user(&sandbox, "bob");
    let server = serve(&sandbox, &[]);
    let job = api_job(&server, &bob, &["deleted"], &[1], true);
    wait_for("the run to finish", Duration::from_secs(120), || {
        (run_statuses(&server, &bob, job) == ["DONE"]).then_some(())
    });
    let results = call(
        &server,
        "GET",
        &format!("/jobs/results?job_id={job}"),
        &bob,
        Value::Null,
    )["urls"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let config = upload_url(&server, &bob, job, "config");
    assert_eq!(http("GET", &results, None, b"").0, 200);
    let uploads = sandbox.home().join(format!("uploads/jobs/{job}"));
    let archives = sandbox.home().join(format!("results/jobs/{job}"));
    assert!(uploads.is_dir() && archives.is_dir());

    call(
        &server,
        "DELETE",
        &format!("/jobs/{job}"),
        &bob,
        Value::Null,
    );
    let (status, body) = http("GET", &results, None, b"");
    assert_eq!(status, 410, "{}", String::from_utf8_lossy(&body));
    description(&body);
    assert_eq!(http("PUT", &config, None, b"{}").0, 410);
    // Files, not the folders local storage may leave empty.
    for dir in [
        uploads,
        archives,
        sandbox.home().join(format!("results/job-{job}")),
    ] {
        assert_eq!(
            files_under(&dir),
            Vec::<String>::new(),
            "removed with the job"
        );
    }
}

#[test]
fn an_upload_url_stores_its_object_once() {
    let sandbox = Sandbox::new();
    let carol = add_user(&sandbox, "carol");
    let server = serve(&sandbox, &[]);
    let job = api_job(&server, &carol, &["once"], &[1], false);
    let config = upload_url(&server, &carol, job, "config");
    assert_eq!(http("PUT", &config, None, b"{\"a\": 1}").0, 200);
    let (status, body) = http("PUT", &config, None, b"{\"a\": 2}");
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    assert!(description(&body).contains("used already"));
    let stored = std::fs::read_to_string(
        sandbox
            .home()
            .join(format!("uploads/jobs/{job}/job_config.json")),
    )
    .unwrap();
    assert_eq!(stored, "{\"a\": 1}");
}

/// The files under `dir`, at any depth (none when it does not exist).
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|entry| entry.unwrap().path()) {
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path.display().to_string());
            }
        }
    }
    files
}
