//! What `fredbatch serve` tells clients tells nothing of the server itself: every refusal is a
//! `{"description"}` body, and no answer, run reason or dashboard line names a server path.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::serve::{add_user, api_job, call, epx_http, run_statuses, serve};
use common::{Sandbox, wait_for};
use serde_json::{Value, json};

/// The description of a refusal; panics unless the body is `{"description": "..."}`.
fn description(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    value["description"]
        .as_str()
        .unwrap_or_else(|| panic!("no description: {body}"))
        .to_owned()
}

/// Asserts `text` names nothing of the sandbox (the server's home, its FRED, its storage).
fn no_server_path(sandbox: &Sandbox, what: &str, text: &str) {
    let root = sandbox.path().display().to_string();
    assert!(!text.contains(&root), "{what} names a server path: {text}");
}

#[test]
fn refusals_are_descriptions_and_name_no_server_path() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);
    let url = server.url.clone();
    let token = Some(alice.as_str());
    for (method, path, status) in [
        ("GET", "/no/such/route", 404),
        ("DELETE", "/health", 405),
        ("PUT", "/jobs/register", 405),
        ("GET", "/blobs/bogus/x?expires=1&signature=00", 400),
        (
            "GET",
            "/blobs/results/jobs/1/x.zip?expires=1&signature=00",
            403,
        ),
        ("DELETE", "/jobs/abc", 400),
        ("GET", "/runs?job_id=x", 400),
        ("GET", "/dashboard/api/jobs/999", 404),
    ] {
        let (got, body) = epx_http(&url, method, path, token, b"");
        assert_eq!(got, status, "{method} {path}: {body}");
        description(&body);
        no_server_path(&sandbox, path, &body);
    }

    // A body declared larger than the limit is refused at once, before it is sent.
    let mut stream = TcpStream::connect(server.address()).unwrap();
    write!(
        stream,
        "POST /jobs/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice}\r\nContent-Length: 100000000\r\n\r\n"
    )
    .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).expect("answered without the body");
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    assert!(description(body).contains("limit"), "{body}");
}

#[test]
fn run_reasons_results_urls_and_dashboard_lines_name_no_server_path() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);

    // A job that runs: its dashboard lines (the worker's log names its FRED) carry no path.
    let done = api_job(&server, &alice, &["ok"], &[1], true);
    wait_for("the run to finish", Duration::from_secs(120), || {
        (run_statuses(&server, &alice, done) == ["DONE"]).then_some(())
    });
    let detail = call(
        &server,
        "GET",
        &format!("/dashboard/api/jobs/{done}"),
        &alice,
        Value::Null,
    );
    assert!(
        detail["runs"][0]["log_tail"]
            .as_array()
            .is_some_and(|lines| !lines.is_empty()),
        "{detail}"
    );
    no_server_path(&sandbox, "the dashboard", &detail.to_string());

    // An archive whose file `a` is also a folder: refused naming the entry only.
    let job = api_job(&server, &alice, &["bad"], &[1], false);
    let upload = call(
        &server,
        "POST",
        "/jobs",
        &alice,
        json!({"jobId": job, "context": "job", "type": "input"}),
    )["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut zip = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
        let options = zip::write::SimpleFileOptions::default();
        writer.start_file("main.fred", options).unwrap();
        writer.write_all(common::TINY_MODEL.as_bytes()).unwrap();
        writer.start_file("a", options).unwrap();
        writer.write_all(b"x").unwrap();
        writer.start_file("a/b", options).unwrap();
        writer.write_all(b"y").unwrap();
        writer.finish().unwrap();
    }
    let (status, _) = common::serve::http("PUT", &upload, None, &zip);
    assert_eq!(status, 200);
    let runs = wait_for("the archive to be refused", Duration::from_secs(60), || {
        let runs = call(
            &server,
            "GET",
            &format!("/runs?job_id={job}"),
            &alice,
            Value::Null,
        );
        (runs["runs"][0]["status"] == "ERROR").then_some(runs)
    });
    let reason = runs["runs"][0]["statusReason"].as_str().unwrap().to_owned();
    assert!(reason.contains("`a/b`"), "{reason}");
    no_server_path(&sandbox, "the run's reason", &reason);
    let detail = call(
        &server,
        "GET",
        &format!("/dashboard/api/jobs/{job}"),
        &alice,
        Value::Null,
    );
    no_server_path(&sandbox, "the dashboard", &detail.to_string());

    // A results URL whose archive is gone answers 410 with a description, not its path.
    let urls = call(
        &server,
        "GET",
        &format!("/jobs/results?job_id={done}"),
        &alice,
        Value::Null,
    );
    let results = urls["urls"][0]["url"].as_str().unwrap().to_owned();
    let results_dir = sandbox.home().join("results");
    std::fs::remove_dir_all(&results_dir).unwrap();
    let (status, body) = common::serve::http("GET", &results, None, b"");
    let body = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, 410, "{body}");
    description(&body);
    no_server_path(&sandbox, "a results URL", &body);
}
