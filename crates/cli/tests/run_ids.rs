//! Naming one run: by its id (unique across jobs) or by its job and its number within the job,
//! the two numbers `status` shows side by side. A second job's run 1 is not run id 1.

mod common;

use common::{Sandbox, text};

/// Two finished jobs of two runs each: job 2's run 1 has id 3. Both compute their runs
/// (`--no-reuse`), so each run has a log and results of its own.
fn two_jobs() -> Sandbox {
    let sandbox = Sandbox::new();
    let model = sandbox.tiny_model();
    for _ in 0..2 {
        let output = sandbox.run(&[
            "run",
            model.to_str().unwrap(),
            "--runs",
            "2",
            "--param",
            "days=3",
            "--no-reuse",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    sandbox
}

#[test]
fn status_shows_each_runs_id_beside_its_number_and_how_to_use_them() {
    let sandbox = two_jobs();
    let table = text(&sandbox.run(&["status", "2"]).stdout);
    let cells = |line: &str| -> Vec<String> {
        line.split(['│', '┆'])
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let header = table.lines().find(|l| l.contains("Status")).unwrap();
    assert_eq!(cells(header)[..3], ["Id", "Run", "Status"], "{table}");
    let first = table
        .lines()
        .find(|l| l.contains("/job-2/run-1/"))
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(cells(first)[..2], ["3", "1"], "{table}");
    assert!(
        table.contains("`fredbatch logs <Id>` (or `fredbatch logs 2 --run <Run>`)"),
        "{table}"
    );

    // Scripts get both numbers too.
    let status = sandbox.json(&["status", "2"]);
    assert_eq!(status["runs"][0]["id"], 3, "{status}");
    assert_eq!(status["runs"][0]["run_number"], 1, "{status}");
}

#[test]
fn a_run_is_named_by_its_job_and_number_or_by_its_id_alone() {
    let sandbox = two_jobs();
    for args in [
        &["status", "2", "--run", "1"][..],
        &["status", "--run", "3"],
    ] {
        let detail = sandbox.json(args);
        assert_eq!(
            (&detail["run"]["id"], &detail["run"]["job_id"]),
            (&3.into(), &2.into()),
            "{args:?}: {detail}"
        );
    }
    let detail = text(&sandbox.run(&["status", "2", "--run", "1"]).stdout);
    assert!(detail.starts_with("Run 1 of job 2 (id 3;"), "{detail}");

    let by_number = sandbox.run(&["logs", "2", "--run", "1"]);
    let by_id = sandbox.run(&["logs", "3"]);
    assert!(by_number.status.success(), "{}", text(&by_number.stderr));
    assert!(text(&by_id.stdout).contains("FRED finished"));
    assert_eq!(text(&by_number.stdout), text(&by_id.stdout));
    // Which run a log is of is never left to guess: `logs 1` is job 1's, and says so.
    assert!(
        text(&by_number.stderr).contains("Log of run 1 of job 2 (id 3):"),
        "{}",
        text(&by_number.stderr)
    );
    let first = sandbox.run(&["logs", "1"]);
    assert!(
        text(&first.stderr).contains("Log of run 1 of job 1 (id 1):"),
        "{}",
        text(&first.stderr)
    );
}

#[test]
fn a_run_number_the_job_does_not_have_is_refused_with_the_ones_it_has() {
    let sandbox = two_jobs();
    for args in [
        &["status", "2", "--run", "3"][..],
        &["logs", "2", "--run", "3"],
        &["cancel", "2", "--run", "3"],
    ] {
        let output = sandbox.run(args);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            text(&output.stderr).contains("job 2 has no run 3: its runs are numbered 1 to 2"),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let output = sandbox.run(&["logs", "9", "--run", "1"]);
    assert!(
        text(&output.stderr).contains("no job 9"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn help_says_which_number_each_form_takes() {
    let sandbox = Sandbox::new();
    for command in ["status", "logs", "cancel"] {
        // Help text wraps anywhere: compare words, not lines.
        let help = text(&sandbox.run(&[command, "--help"]).stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.contains("Id column") && help.contains("Run column"),
            "{command} --help: {help}"
        );
        assert!(help.contains(" 3 --run 1 "), "{command} --help: {help}");
    }
}
