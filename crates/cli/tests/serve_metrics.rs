//! `/metrics` in Prometheus's text format and the audit log, for a server's operator: after a
//! job runs, the scrape counts its runs by status and backend, the requests by route, the
//! supervision rounds, the backend's requests and the inputs checks; and every state change
//! made through the API has its audit line.

mod common;

use std::time::Duration;

use common::serve::{add_user, api_job, http, run_statuses, serve};
use common::{Sandbox, text, wait_for};

/// The value of the sample whose line starts with `series` (name and labels as rendered).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[test]
fn metrics_count_runs_requests_and_rounds_and_state_changes_are_audited() {
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);
    let job = api_job(&server, &token, &["metrics"], &[1, 2], true);
    wait_for("the runs", Duration::from_secs(60), || {
        (run_statuses(&server, &token, job) == ["DONE"; 2]).then_some(())
    });

    // Counts only, so no token is needed: Prometheus scrapes as it is configured to.
    let (status, body) = http("GET", &format!("{}/metrics", server.url), None, b"");
    assert_eq!(status, 200);
    let scrape = text(&body);
    assert_eq!(
        sample(&scrape, "fredbatch_runs{status=\"DONE\",backend=\"local\"}"),
        Some(2.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "fredbatch_queue_depth{backend=\"local\"}"),
        Some(0.0)
    );
    assert!(
        sample(
            &scrape,
            "fredbatch_http_requests_total{route=\"/runs\",status=\"200\"}"
        )
        .is_some_and(|n| n >= 2.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "fredbatch_inputs_checks_total{outcome=\"passed\"}"),
        Some(1.0)
    );
    assert!(sample(&scrape, "fredbatch_backend_requests_total{call=\"submit\"}").is_some());
    assert!(sample(&scrape, "fredbatch_supervision_round_seconds_count").is_some_and(|n| n > 0.0));
    assert!(!scrape.contains("alice"), "no names in metrics");

    let (status, _) = http(
        "DELETE",
        &format!("{}/jobs/{job}", server.url),
        Some(&token),
        b"",
    );
    assert_eq!(status, 200);
    let audit = wait_for("the audit lines", Duration::from_secs(10), || {
        let said = server.said.lock().unwrap().join("\n");
        said.contains("delete job").then_some(said)
    });
    for action in ["register job", "add runs", "delete job"] {
        let line = audit
            .lines()
            .find(|line| line.contains("fredbatch::audit") && line.contains(action))
            .unwrap_or_else(|| panic!("no audit line for {action}: {audit}"));
        assert!(
            line.contains("alice") && line.contains(&job.to_string()),
            "{line}"
        );
    }
}
