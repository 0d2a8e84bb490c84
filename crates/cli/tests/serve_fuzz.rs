//! `fredbatch serve` fuzzed from its own OpenAPI document by Schemathesis (`scripts/test`
//! installs it in .venv-fuzz and names it in FREDBATCH_SCHEMATHESIS): every documented route,
//! called with a valid token and generated parameters and bodies, must never answer a server
//! error, and what it answers (status, content type, body) must match the document.

mod common;

use std::process::Command;
use std::time::Instant;

use common::Sandbox;
use common::serve::{add_user, api_job, run_statuses, serve};

/// Examples per operation: enough to find what breaks, within about a minute on two cores.
const MAX_EXAMPLES: &str = "100";

#[test]
fn no_generated_request_gets_a_server_error_or_an_undocumented_answer() {
    let started = Instant::now();
    let schemathesis = fredbatch_testkit::required("FREDBATCH_SCHEMATHESIS");
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "fuzzer");
    let server = serve(&sandbox, &[]);
    // Something to find: a finished job and one whose inputs never came.
    let done = api_job(&server, &token, &["fuzz"], &[1], true);
    api_job(&server, &token, &["open"], &[2], false);
    common::wait_for(
        "the finished job",
        std::time::Duration::from_secs(60),
        || (run_statuses(&server, &token, done) == ["DONE"]).then_some(()),
    );

    let output = Command::new(&schemathesis)
        .args(["run", &format!("{}/openapi.json", server.url)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "1",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--no-color",
            "--max-failures",
            "20",
        ])
        .current_dir(sandbox.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {schemathesis}: {e}"));
    let stdout = common::text(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        common::text(&output.stderr)
    );
    // It really called the server, many times: `N generated, N passed`.
    let generated: u32 = stdout
        .lines()
        .find_map(|line| line.trim().split_once(" generated, "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of test cases in:\n{stdout}"));
    assert!(generated >= 500, "only {generated} test cases:\n{stdout}");
    assert!(
        server_still_healthy(&server.url),
        "the server stopped answering"
    );
    eprintln!(
        "{}\nfuzzing took {:.1} s",
        stdout.lines().rev().take(12).collect::<Vec<_>>().join("\n"),
        started.elapsed().as_secs_f64()
    );
}

fn server_still_healthy(url: &str) -> bool {
    common::serve::http("GET", &format!("{url}/health"), None, b"").0 == 200
}
