//! The dashboard of `fredbatch serve` in headless Chromium, driven by Playwright
//! (`crates/server/tests/dashboard/dashboard.mjs`; `scripts/test` installs its pinned
//! `playwright-core` and Chromium): a real server on the demo engine, a user with a finished
//! job and a job whose inputs never came (its runs stay QUEUED), and another user's job.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Sandbox;
use common::serve::{add_user, api_job, http, inputs_zip, run_statuses, serve};
use common::wait_for;

#[test]
fn the_dashboard_signs_in_shows_jobs_runs_and_the_report_and_cancels() {
    let started = Instant::now();
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let bob = add_user(&sandbox, "bob");
    let server = serve(&sandbox, &[]);
    let done = api_job(&server, &alice, &["finished"], &[11, 22, 33], true);
    wait_for("the finished job's runs", Duration::from_secs(60), || {
        (run_statuses(&server, &alice, done) == ["DONE"; 3]).then_some(())
    });
    let open = api_job(&server, &alice, &["waiting"], &[1, 2], false);
    let bobs = api_job(&server, &bob, &["bob"], &[5], false);

    // Others' jobs are unknown to the dashboard's API too; no token, no answer.
    let bobs_url = format!("{}/dashboard/api/jobs/{bobs}", server.url);
    assert_eq!(http("GET", &bobs_url, Some(&alice), b"").0, 404);
    let cancel_bobs = format!("{bobs_url}/cancel");
    assert_eq!(http("POST", &cancel_bobs, Some(&alice), b"").0, 404);
    assert_eq!(http("GET", &bobs_url, None, b"").0, 403);
    assert_eq!(http("GET", &bobs_url, Some(&bob), b"").0, 200);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/dashboard");
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/dashboard");
    std::fs::create_dir_all(&screenshots).unwrap();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in {}: run scripts/test (or npm ci there)",
        dir.display()
    );
    let inputs = sandbox.path().join("inputs.zip");
    std::fs::write(&inputs, inputs_zip(common::TINY_MODEL)).unwrap();
    let chromium =
        std::env::var("FREDBATCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: run scripts/test (it installs it) or set FREDBATCH_CHROMIUM"
    );
    let output = Command::new("node")
        .arg(dir.join("dashboard.mjs"))
        .env("DASHBOARD_URL", &server.url)
        .env("DASHBOARD_TOKEN", &alice)
        .env("DASHBOARD_DONE_JOB", done.to_string())
        .env("DASHBOARD_OPEN_JOB", open.to_string())
        .env("DASHBOARD_OTHER_JOB", bobs.to_string())
        .env("DASHBOARD_CHROMIUM", &chromium)
        .env("DASHBOARD_SCREENSHOTS", &screenshots)
        .env("DASHBOARD_INPUTS", &inputs)
        .output()
        .expect("node is not installed: run scripts/test (it installs it)");
    let (stdout, stderr) = (common::text(&output.stdout), common::text(&output.stderr));
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");

    // The table the page downloaded is the job's: pandas reads its 3 runs of 11 days.
    let table = screenshots.join(format!("job-{done}.parquet"));
    let read = Command::new(fredbatch_testkit::required("FREDBATCH_TABLE_PYTHON"))
        .args(["-c", "import sys, pandas; t = pandas.read_parquet(sys.argv[1]); print(len(t), t['run_number'].nunique())"])
        .arg(&table)
        .output()
        .expect("run Python");
    assert!(read.status.success(), "{}", common::text(&read.stderr));
    assert_eq!(common::text(&read.stdout).trim(), "33 3");

    // What the page cancelled is cancelled in the store; the finished job is untouched.
    let status = sandbox.json(&["status", &open.to_string()]);
    let statuses: Vec<&str> = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELLED"; 2], "{status}");
    assert_eq!(run_statuses(&server, &alice, done), ["DONE"; 3]);
    assert_eq!(run_statuses(&server, &bob, bobs), ["QUEUED"]);
    eprintln!(
        "dashboard test took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
