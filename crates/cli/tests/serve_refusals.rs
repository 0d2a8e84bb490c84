//! `fredbatch serve` refusing what it must, over plain HTTP with the token where epx sends it:
//! no token, malformed bodies, unknown ids and options, tampered or oversized uploads, hostile
//! archives; and SIGTERM draining to a clean exit.

mod common;

use std::time::Duration;

use common::serve::{add_user, epx_http, serve_with_args};
use common::{Sandbox, wait_for};
use serde_json::Value;

#[test]
fn refused_calls_say_why_and_leave_nothing_behind() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let mut server = serve_with_args(&sandbox, &["--upload-limit", "1000"], &[]);
    let url = server.url.clone();
    let token = Some(alice.as_str());
    assert_eq!(epx_http(&url, "GET", "/health", None, b"").0, 200);
    let (status, openapi) = epx_http(&url, "GET", "/openapi.json", None, b"");
    assert_eq!(status, 200);
    assert!(openapi.contains("\"/runs/retry\""));
    let description = |body: &str| -> String {
        let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        value["description"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    };
    // No token, a malformed body, unknown ids.
    let (status, body) = epx_http(&url, "POST", "/jobs/register", None, b"{\"tags\": []}");
    assert_eq!(status, 403);
    assert!(description(&body).contains("token"));
    let (status, body) = epx_http(&url, "POST", "/jobs/register", token, b"{\"tags\": [");
    assert_eq!(status, 400, "{body}");
    description(&body);
    assert_eq!(epx_http(&url, "GET", "/runs?job_id=99", token, b"").0, 404);
    assert_eq!(epx_http(&url, "GET", "/runs?id=99", token, b"").0, 404);
    assert_eq!(epx_http(&url, "DELETE", "/jobs/99", token, b"").0, 404);

    let (status, body) = epx_http(
        &url,
        "POST",
        "/jobs/register",
        token,
        b"{\"tags\": [\"edge\"]}",
    );
    assert_eq!(status, 200, "{body}");
    let job: Value = serde_json::from_str(&body).unwrap();
    let job_id = job["id"].as_i64().unwrap();
    assert!(job_id > 0);
    // An unknown FRED option is refused naming it, and no run is stored.
    let request = |flag: &str| {
        format!(
            "{{\"runRequests\": [{{\"jobId\": {job_id}, \"workingDir\": \"/x\", \"size\": \"hot\", \"fredVersion\": \"latest\", \"population\": null, \"fredArgs\": [{{\"flag\": \"-p\", \"value\": \"main.fred\"}}, {{\"flag\": \"{flag}\", \"value\": \"1\"}}], \"fredFiles\": []}}]}}"
        )
    };
    let (status, body) = epx_http(&url, "POST", "/runs", token, request("--bogus").as_bytes());
    assert_eq!(status, 400);
    assert!(description(&body).contains("`--bogus`"), "{body}");
    let (_, body) = epx_http(&url, "GET", &format!("/runs?job_id={job_id}"), token, b"");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["runs"],
        serde_json::json!([])
    );
    // The seed comes back exactly as sent, even past i64.
    let (status, body) = epx_http(
        &url,
        "POST",
        "/runs",
        token,
        request("-s")
            .replace("\"1\"", "\"18446744073709551615\"")
            .as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"Submitted\"") && body.contains("18446744073709551615"),
        "{body}"
    );

    // Upload URLs: bound to their object and method, limited in size.
    let (status, body) = epx_http(
        &url,
        "POST",
        "/jobs",
        token,
        format!("{{\"jobId\": {job_id}, \"context\": \"job\", \"type\": \"input\"}}").as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let upload: Value = serde_json::from_str(&body).unwrap();
    let upload = upload["url"].as_str().unwrap();
    let path = &upload[url.len()..];
    let (status, body) = epx_http(&url, "PUT", path, None, &[0u8; 1001]);
    assert_eq!(status, 413, "{body}");
    description(&body);
    let tampered = path.replace("job_input.zip", "job_config.json");
    assert_eq!(epx_http(&url, "PUT", &tampered, None, b"x").0, 403);
    assert_eq!(
        epx_http(&url, "GET", path, None, b"").0,
        403,
        "a PUT URL does not read"
    );
    let uploads = sandbox.home().join("uploads/jobs").join(job_id.to_string());
    assert!(
        !uploads.join("uploaded/job_input.zip").exists(),
        "nothing half-written"
    );
    // A hostile archive ends the job's runs ERROR with the reason, before any starts.
    let mut zip = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
        writer
            .start_file("../escape.fred", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, b"x").unwrap();
        writer.finish().unwrap();
    }
    let (status, body) = epx_http(&url, "PUT", path, None, &zip);
    assert_eq!((status, body.as_str()), (200, ""));
    let reason = wait_for("the archive to be refused", Duration::from_secs(30), || {
        let (_, body) = epx_http(&url, "GET", &format!("/runs?job_id={job_id}"), token, b"");
        let runs: Value = serde_json::from_str(&body).unwrap();
        (runs["runs"][0]["status"] == "ERROR").then(|| runs["runs"][0]["statusReason"].to_string())
    });
    assert!(reason.contains("unsafe entry"), "{reason}");
    assert_eq!(
        sandbox.json(&["status", &job_id.to_string()])["runs"][0]["attempts"],
        0
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(
        server.child.wait().unwrap().success(),
        "SIGTERM drains and exits 0"
    );
}
