//! `fredbatch report`: the HTML page and figures of a job run on the demo engine, rendered in
//! headless Chromium (FREDBATCH_CHROMIUM, which scripts/test exports) to prove the figures
//! draw and the page logs no error.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{Sandbox, text};

fn influenza() -> String {
    format!("{}/../../examples/influenza", env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> String {
    std::env::var("FREDBATCH_CHROMIUM")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| {
            panic!(
                "FREDBATCH_CHROMIUM is not set: this test renders the report in headless Chromium. \
             Install Debian's `chromium` package and run scripts/test (it exports the variable), \
             or export FREDBATCH_CHROMIUM=/usr/bin/chromium"
            )
        })
}

/// Runs headless Chromium on `page` with `mode` (`--dump-dom` or `--screenshot=...`);
/// returns (stdout, stderr).
fn headless(browser: &str, page: &Path, mode: &str, scratch: &Path) -> (String, String) {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=900,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("start chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        text(&output.stderr)
    );
    (text(&output.stdout), text(&output.stderr))
}

#[test]
fn the_report_renders_in_chromium_with_every_figure_and_no_error() {
    let browser = chromium();
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["run", &influenza(), "--runs", "3"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = sandbox.path().join("report");
    let json = sandbox.json(&["report", "1", "--out", out.to_str().unwrap()]);
    assert_eq!(json["runs_plotted"], 3, "{json}");
    let rows = json["runs"].as_array().unwrap();
    for row in rows {
        let attack = row["summary"]["attack_rate"].as_f64().unwrap();
        assert!(attack > 0.0 && attack < 1.0, "{row}");
        assert!(row["summary"]["peak_size"].as_f64().unwrap() > 0.0);
        assert!(row["cost"].as_f64().unwrap() > 0.0);
        assert_eq!(row["attempts"], 1);
    }
    // No size given: the first two runs measured the model at the default, the third ran at
    // what they measured; each row says so.
    assert_eq!(rows[0]["size"], "1 vCPU, 2048 MB", "{}", rows[0]);
    assert!(
        rows[1]["size_why"]
            .as_str()
            .unwrap()
            .contains("first 2 runs")
    );
    let learned = rows[2]["size_why"].as_str().unwrap();
    assert!(
        learned.contains("learned from 2 measured runs"),
        "{learned}"
    );
    assert_ne!(rows[2]["size"], rows[0]["size"]);
    for figure in ["new-infections.svg", "current-infections.svg"] {
        let svg = std::fs::read_to_string(out.join(figure)).unwrap();
        assert!(
            svg.contains("<svg") && svg.contains("class=\"median\""),
            "{figure}"
        );
        assert_eq!(
            svg.matches("class=\"run\"").count(),
            3,
            "{figure}: one curve per run"
        );
    }

    let page = out.join("index.html");
    let (dom, stderr) = headless(&browser, &page, "--dump-dom", sandbox.path());
    // The page's own check ran, and found both figures drawn with a median line; it leaves
    // its verdict in an attribute, not in text a reader sees.
    assert!(
        dom.contains("data-figures=\"ok 2/2\""),
        "render check failed:\n{dom}"
    );
    assert!(
        !dom.contains("figures-ok") && !dom.contains("not checked"),
        "{dom}"
    );
    assert!(
        dom.contains("id=\"fig-new-infections\"") && dom.contains("id=\"fig-current-infections\"")
    );
    assert!(dom.contains("<strong>DONE</strong>"));
    assert!(
        dom.contains("<th>Size</th>") && dom.contains("title=\"learned from 2 measured runs"),
        "each run's size and why: {dom}"
    );
    // A demo run costs a fraction of a cent: shown in decimals, and per 1,000 runs.
    assert!(dom.contains("per 1,000 runs"), "{dom}");
    assert_eq!(
        dom.matches("<tr>").count(),
        4,
        "a header and one row per run"
    );
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "the page logged: {console:#?}");

    let shot = sandbox.path().join("report.png");
    headless(
        &browser,
        &page,
        &format!("--screenshot={}", shot.display()),
        sandbox.path(),
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

#[test]
fn a_job_without_results_still_gets_a_page_that_says_so() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let run = sandbox
        .command()
        .env("FRED_HOME", common::fred_failing_in_runs(&sandbox))
        .args(["run", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let out = sandbox.path().join("report");
    let output = sandbox.run(&["report", "1", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("nothing to plot"));
    assert!(html.contains("FAILED"), "the job's status is shown");
    assert!(!out.join("new-infections.svg").exists());
}

#[test]
fn the_report_shows_each_configurations_cost_and_what_interruptions_cost() {
    let sandbox = Sandbox::new();
    common::sweep_with_an_interruption(&sandbox);
    let out = sandbox.path().join("report");
    let json = sandbox.json(&["report", "1", "--out", out.to_str().unwrap()]);
    let cost = &json["cost"];
    assert_eq!(cost["market"], "spot", "{json}");
    let configs = cost["configurations"].as_array().expect("configurations");
    assert_eq!(configs.len(), 2, "{json}");
    assert_eq!(cost["interruptions"]["attempts"], 1, "{json}");
    let total = cost["total"]["spot"].as_f64().unwrap();
    let summed: f64 = configs.iter().map(|c| c["spot"].as_f64().unwrap()).sum();
    assert!((summed - total).abs() <= 1e-6 * total, "{json}");
    // The same figures as `cost --job`.
    let priced = sandbox.json(&["cost", "--job", "1"]);
    assert_eq!(priced["interruptions"], cost["interruptions"]);
    assert_eq!(priced["total"], cost["total"]);
    // Each run's cost column holds its interrupted attempt too.
    let runs: f64 = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cost"].as_f64().unwrap())
        .sum();
    assert!((runs - total).abs() <= 1e-6 * total, "{json}");

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h2>Cost</h2>"), "{html}");
    assert!(html.contains("Interruptions: 1 attempt, "), "{html}");
    assert!(html.contains("Failed attempts: none."), "{html}");
    let table = html
        .split("id=\"config-costs\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("a cost table per configuration");
    assert_eq!(table.matches("<tr>").count(), 3, "{table}");
    assert!(table.contains("INF.transmissibility=2.5"), "{table}");
}
