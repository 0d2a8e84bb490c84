//! `fredbatch results JOB --table FILE`: a sweep's results as one tidy table, read back by
//! pandas (Parquet through pyarrow, and CSV) as a modeler would, from the Python that
//! `scripts/test` installs (FREDBATCH_TABLE_PYTHON).

mod common;

use std::process::Command;

use common::{Sandbox, text};
use fredbatch_testkit::required;
use serde_json::Value;

/// What pandas reads in `path`: shape, columns, rows per (config, replicate), each
/// configuration's transmissibility and the total of new exposures per run.
fn read_with_pandas(path: &std::path::Path) -> Value {
    let script = r#"
import json, sys
import pandas as pd
path = sys.argv[1]
table = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
runs = table.groupby(["config", "replicate"])
print(json.dumps({
    "shape": list(table.shape),
    "columns": list(table.columns),
    "rows_per_run": sorted(set(runs.size().tolist())),
    "runs": len(runs),
    "transmissibility": {str(k): float(v) for k, v in table.groupby("config")["INF.transmissibility"].first().items()},
    "new_exposures": {f"{c}-{r}": float(v) for (c, r), v in runs["INF.newE"].sum().items()},
    "first_date": str(table["date"].iloc[0]),
}))
"#;
    let output = Command::new(required("FREDBATCH_TABLE_PYTHON"))
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("run Python");
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_sweeps_results_are_one_table_pandas_reads_from_parquet_and_csv_alike() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    let run = sandbox.run(&[
        "run",
        model.to_str().unwrap(),
        "--runs",
        "3",
        "--sweep",
        "INF.transmissibility=0.8,1.3",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let parquet = sandbox.path().join("ensemble.parquet");
    let csv = sandbox.path().join("ensemble.csv");
    for path in [&parquet, &csv] {
        let written = sandbox.json(&["results", "1", "--table", path.to_str().unwrap()]);
        assert_eq!(written["runs"], 6, "{written}");
        assert_eq!(written["rows"], 6 * 11, "10 days: 11 rows a run: {written}");
    }
    let from_parquet = read_with_pandas(&parquet);
    let from_csv = read_with_pandas(&csv);
    assert_eq!(from_parquet, from_csv, "both formats hold the same table");
    let columns: Vec<&str> = from_parquet["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        &columns[..9],
        [
            "job",
            "config",
            "INF.transmissibility",
            "replicate",
            "run_number",
            "run_id",
            "seed",
            "day",
            "date"
        ]
    );
    assert!(columns.contains(&"INF.newE") && columns.contains(&"Popsize"));
    assert_eq!(from_parquet["runs"], 6);
    assert_eq!(from_parquet["rows_per_run"], serde_json::json!([11]));
    assert_eq!(
        from_parquet["transmissibility"],
        serde_json::json!({"1": 0.8, "2": 1.3})
    );
    assert_eq!(from_parquet["first_date"], "2020-01-01");

    // The numbers are each run's own: the sum of new exposures in its out.csv.
    let status = sandbox.json(&["status", "1"]);
    for run in status["runs"].as_array().unwrap() {
        let folder = run["results"].as_str().unwrap();
        let replicate = run["replicate"].as_u64().unwrap();
        let out = std::fs::read_to_string(format!("{folder}/RUN{replicate}/out.csv")).unwrap();
        let mut lines = out.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = header.iter().position(|h| *h == "INF.newE").unwrap();
        let total: f64 = lines
            .map(|l| l.split(',').nth(column).unwrap().parse::<f64>().unwrap())
            .sum();
        let key = format!("{}-{replicate}", run["config"]);
        assert_eq!(from_parquet["new_exposures"][&key], total, "run {key}");
    }
}

#[test]
fn a_table_of_an_unknown_format_is_refused_and_nothing_is_written() {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    assert!(
        sandbox
            .run(&["run", model.to_str().unwrap()])
            .status
            .success()
    );
    let target = sandbox.path().join("ensemble.xlsx");
    let output = sandbox.run(&["results", "1", "--table", target.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("name the file `.parquet` or `.csv`"),
        "{}",
        text(&output.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("ensemble") || name.starts_with(".fredbatch-table"))
        .collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}
