//! Parameter sweeps end to end on the local executor with the demo engine: configurations from
//! `--sweep` and `--design`, FRED run r of each configuration, status, results layout
//! and the report; bad sweeps refused before anything is stored.

mod common;

use common::{Sandbox, text};

#[test]
fn a_sweep_runs_every_configuration_and_lays_out_its_results() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "2",
        "--param",
        "days=6",
        "--sweep",
        "INF.transmissibility=0.5,2.5",
        "--sweep",
        "INF.imports=1,3",
    ]);
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        text(&output.stderr).contains("4 configurations x 2 run(s) = 8 runs"),
        "{}",
        text(&output.stderr)
    );
    let summary = text(&output.stdout);
    assert!(
        summary.contains("Configurations (FRED run r of each draws the same random numbers):"),
        "{summary}"
    );
    assert!(
        summary.contains("4: INF.transmissibility=2.5 INF.imports=3"),
        "{summary}"
    );

    let status = sandbox.json(&["status"]);
    assert_eq!(status["job"]["config_count"], 4);
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 8);
    let shape: Vec<(u64, u64, String)> = runs
        .iter()
        .map(|r| {
            (
                r["config"].as_u64().unwrap(),
                r["replicate"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        shape.iter().map(|(c, r, _)| (*c, *r)).collect::<Vec<_>>(),
        [
            (1, 1),
            (1, 2),
            (2, 1),
            (2, 2),
            (3, 1),
            (3, 2),
            (4, 1),
            (4, 2)
        ],
        "the cartesian product in the order given, the first --sweep slowest"
    );
    assert!(shape.iter().all(|(_, _, s)| s == "DONE"), "{shape:?}");
    // Each run carries its own overrides in order, the job-wide --param first.
    let params = &runs[3]["params"];
    assert_eq!(
        serde_json::to_string(params).unwrap(),
        r#"{"days":"6","INF.transmissibility":"0.5","INF.imports":"3"}"#
    );

    let out = sandbox.path().join("collected");
    let copied = sandbox.run(&["results", "1", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    // Run N of the job, configuration k, FRED run r.
    let csv = |config: u32, run: u32, fred_run: u32| {
        std::fs::read_to_string(
            out.join(format!("config-{config}/run-{run}/RUN{fred_run}/out.csv")),
        )
        .unwrap_or_else(|e| panic!("config {config} run {run}: {e}"))
    };
    assert_eq!(
        csv(1, 1, 1).lines().count(),
        8,
        "days = 6: a header and days 0..=6"
    );
    assert_ne!(csv(1, 1, 1), csv(4, 7, 1), "the configurations differ");
    assert!(
        !out.join("run-1").exists(),
        "a sweep's results are laid out per configuration"
    );

    // The report draws each configuration and tabulates it.
    let report = sandbox.path().join("report");
    let written = sandbox.json(&["report", "1", "--out", report.to_str().unwrap()]);
    assert_eq!(written["runs_plotted"], 8);
    let configs = written["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 4);
    assert_eq!(
        configs[3]["label"],
        "INF.transmissibility=2.5 INF.imports=3"
    );
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert_eq!(
        html.matches("class=\"median\"").count(),
        8,
        "2 figures x 4 configurations"
    );
    assert!(html.contains("id=\"configs\""));
}

#[test]
fn replicate_r_of_every_configuration_is_fred_run_r() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    // Two configurations that set the same value: only the FRED run number tells runs apart.
    let design = sandbox.path().join("design.csv");
    std::fs::write(&design, "# same twice\ndays\n5\n5\n").unwrap();
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "2",
        "--design",
        design.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let out = sandbox.path().join("collected");
    assert!(
        sandbox
            .run(&["results", "1", "--out", out.to_str().unwrap()])
            .status
            .success()
    );
    // Runs 1 and 2 are configuration 1's FRED runs 1 and 2; runs 3 and 4 configuration 2's.
    let read = |config: u32, run: u32, fred_run: u32| {
        std::fs::read(out.join(format!("config-{config}/run-{run}/RUN{fred_run}/out.csv"))).unwrap()
    };
    assert_eq!(
        read(1, 1, 1),
        read(2, 3, 1),
        "common random numbers across configurations"
    );
    assert_eq!(read(1, 2, 2), read(2, 4, 2));
    assert_ne!(read(1, 1, 1), read(1, 2, 2));
}

#[test]
fn a_sweeps_runs_are_numbered_alike_in_its_table_its_stored_results_and_its_results_folder() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let output = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "2",
        "--param",
        "days=3",
        "--sweep",
        "INF.imports=1,3",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Configuration 2's first run is run 3 of the job: the table says so in its Run column,
    // beside its configuration and FRED run, and its stored results are under `run-3`.
    let table = text(&sandbox.run(&["status"]).stdout);
    let header = table
        .lines()
        .find(|l| l.contains("Status"))
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(
        cells(header)[..4],
        ["Id", "Run", "Config", "FRED run"],
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.contains("/run-3/"))
        .unwrap_or_else(|| panic!("run 3's stored results: {table}"));
    assert_eq!(cells(row)[1..4], ["3", "2", "1"], "{table}");

    let out = sandbox.path().join("collected");
    let copied = sandbox.run(&["results", "1", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert!(out.join("config-2/run-3/RUN1/out.csv").is_file());
    assert!(
        !out.join("config-2/run-1").exists(),
        "run 1 is configuration 1's"
    );

    // The report's table of runs numbers them alike.
    let report = sandbox.path().join("report");
    let written = sandbox.run(&["report", "1", "--out", report.to_str().unwrap()]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(
        html.contains("<th>Run</th><th>Config</th><th>FRED run</th>"),
        "the report's runs table"
    );
    assert!(html.contains("<tr><td>3</td><td>2</td><td>1</td>"));
}

/// The cells of a row of a text table.
fn cells(line: &str) -> Vec<&str> {
    line.split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn bad_sweeps_are_refused_before_anything_is_stored() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let design = sandbox.path().join("design.csv");
    std::fs::write(&design, "a,b,c\n1,2,3\n4,5,6\n7,8\n").unwrap();
    let design = design.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--sweep", "days="], "--sweep `days` has no values"),
        (&["--sweep", "days=1,,2"], "value 2 is empty"),
        (
            &["--design", design],
            "design.csv line 4: 2 values for 3 keys",
        ),
        (
            &["--sweep", "days=1,2", "--param", "days=3"],
            "`days` is set twice",
        ),
        (
            &["--runs", "50000", "--sweep", "days=1,2,3"],
            "150000 runs; a job holds at most 100000",
        ),
        (
            &["--design", "/nonexistent/design.csv"],
            "cannot read the design file",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["run", model];
        all.extend_from_slice(args);
        let output = sandbox.run(&all);
        assert!(!output.status.success(), "{args:?} should be refused");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // Nothing was registered by any of them.
    let jobs = sandbox.json(&["jobs"]);
    assert_eq!(jobs["jobs"].as_array().map_or(0, Vec::len), 0, "{jobs}");
}
