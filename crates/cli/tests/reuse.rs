//! A run identical to one already DONE (same engine, model files, overrides and FRED run
//! number) takes its results instead of running FRED again.

mod common;

use std::path::{Path, PathBuf};

use common::{Sandbox, text};
use serde_json::Value;

/// A FRED installation running the demo engine that counts the runs it computes (not its
/// check mode) in `runs.log` beside it.
fn counting_fred(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let home = sandbox.path().join("counting-fred");
    let counter = sandbox.path().join("runs.log");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    std::fs::create_dir_all(home.join("data")).unwrap();
    std::fs::write(home.join("data/config.fred"), "days = 100\n").unwrap();
    let fred = home.join("bin/FRED");
    std::fs::write(
        &fred,
        format!(
            "#!/bin/sh\ncase \" $* \" in *\" -c \"*) ;; *) echo run >> {counter} ;; esac\n\
             exec {fredbatch} demo-fred \"$@\"\n",
            counter = counter.display(),
            fredbatch = env!("CARGO_BIN_EXE_fredbatch"),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fred, std::fs::Permissions::from_mode(0o755)).unwrap();
    (home, counter)
}

fn computed(counter: &Path) -> usize {
    std::fs::read_to_string(counter)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

struct Reuse<'a> {
    sandbox: &'a Sandbox,
    fred_home: PathBuf,
    counter: PathBuf,
}

impl Reuse<'_> {
    /// Runs `fredbatch ARGS` to the end with the counting FRED and returns how many runs it
    /// computed.
    fn run(&self, args: &[&str]) -> usize {
        let before = computed(&self.counter);
        let output = self
            .sandbox
            .command()
            .env("FRED_HOME", &self.fred_home)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        computed(&self.counter) - before
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self
            .sandbox
            .command()
            .env("FRED_HOME", &self.fred_home)
            .args(["--output", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// `status JOB --run N` as JSON and as text.
    fn run_detail(&self, job: u32, run: u32) -> (Value, String) {
        let args = ["status", &job.to_string(), "--run", &run.to_string()];
        let shown = self
            .sandbox
            .command()
            .env("FRED_HOME", &self.fred_home)
            .args(args)
            .output()
            .unwrap();
        (self.json(&args), text(&shown.stdout))
    }
}

#[test]
fn identical_runs_take_the_results_of_runs_done_before_and_say_why_others_ran() {
    let sandbox = Sandbox::new();
    let (fred_home, counter) = counting_fred(&sandbox);
    let reuse = Reuse {
        sandbox: &sandbox,
        fred_home: fred_home.clone(),
        counter,
    };
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();

    assert_eq!(reuse.run(&["run", model, "--runs", "2"]), 2);
    // 4 runs after 2: only FRED runs 3 and 4 are new.
    assert_eq!(reuse.run(&["run", model, "--runs", "4"]), 2);
    let status = reuse.json(&["status", "2"]);
    let first = reuse.json(&["status", "1"]);
    for (number, run) in status["runs"].as_array().unwrap().iter().enumerate() {
        assert_eq!(run["status"], "DONE", "{run}");
        match number {
            0 | 1 => assert_eq!(run["reused_from"], first["runs"][number]["id"], "{run}"),
            _ => assert!(run["reused_from"].is_null(), "{run}"),
        }
    }
    let shown = text(&sandbox.run(&["status", "2"]).stdout);
    assert!(
        shown.contains("2 of 4 runs took the results of identical runs DONE before"),
        "{shown}"
    );

    let cost = reuse.json(&["cost", "--job", "2"]);
    assert_eq!(cost["reused_runs"], 2, "{cost}");
    assert_eq!(
        cost["attempts"].as_array().unwrap().len(),
        2,
        "only the runs that computed are priced: {cost}"
    );

    let (detail, shown) = reuse.run_detail(2, 1);
    assert_eq!(detail["reused_from"]["job_id"], 1, "{detail}");
    assert_eq!(detail["reused_from"]["run_number"], 1, "{detail}");
    assert!(detail["attempts"][0]["measurements"].is_null(), "{detail}");
    assert!(
        shown.contains("Results: reused from run 1 of job 1"),
        "{shown}"
    );
    let (detail, shown) = reuse.run_detail(2, 3);
    assert!(detail["reused_from"].is_null());
    assert!(
        shown.contains("differs in the FRED run number"),
        "run 3 is new because no DONE run was FRED run 3: {shown}"
    );
    assert!(
        shown.contains("(run 2 of job 1)") || shown.contains("(run 1 of job 1)"),
        "the nearest run is named by the run that computed it: {shown}"
    );

    // The reused runs' results are the very bytes job 1 computed.
    let out = sandbox.path().join("out");
    let copied = sandbox.run(&["results", "2", "--out", out.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    let original = sandbox.path().join("original");
    let copied = sandbox.run(&["results", "1", "--out", original.to_str().unwrap()]);
    assert!(copied.status.success(), "{}", text(&copied.stderr));
    assert_eq!(
        std::fs::read(out.join("run-2/RUN2/out.csv")).unwrap(),
        std::fs::read(original.join("run-2/RUN2/out.csv")).unwrap()
    );

    // Each part of the fingerprint, changed alone, makes every run compute again and says so.
    assert_eq!(reuse.run(&["run", model, "--runs", "2", "--no-reuse"]), 2);
    let (_, shown) = reuse.run_detail(3, 1);
    assert!(
        shown.contains("reuse is off for this job (--no-reuse)"),
        "{shown}"
    );

    assert_eq!(
        reuse.run(&["run", model, "--runs", "2", "--param", "days=9"]),
        2
    );
    let (_, shown) = reuse.run_detail(4, 1);
    assert!(shown.contains("differs in the overrides"), "{shown}");

    let edited = sandbox.path().join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    let main = std::fs::read_to_string(Path::new(model).join("main.fred")).unwrap();
    std::fs::write(edited.join("main.fred"), format!("{main} ")).unwrap();
    assert_eq!(
        reuse.run(&["run", edited.to_str().unwrap(), "--runs", "2"]),
        2,
        "one byte more in a model file"
    );
    let (_, shown) = reuse.run_detail(5, 1);
    assert!(
        shown.contains("no DONE run has these model files"),
        "{shown}"
    );

    std::fs::write(fred_home.join("data/config.fred"), "days = 101\n").unwrap();
    assert_eq!(reuse.run(&["run", model, "--runs", "2"]), 2);
    let (_, shown) = reuse.run_detail(6, 2);
    assert!(shown.contains("differs in the engine"), "{shown}");

    // Identical again under the new engine: nothing computed.
    assert_eq!(reuse.run(&["run", model, "--runs", "2"]), 0);
}

#[test]
fn a_sweep_run_again_computes_nothing_and_an_added_scenario_computes_only_itself() {
    let sandbox = Sandbox::new();
    let (fred_home, counter) = counting_fred(&sandbox);
    let reuse = Reuse {
        sandbox: &sandbox,
        fred_home,
        counter,
    };
    let model = sandbox.tiny_model();
    let model = model.to_str().unwrap();
    let sweep = |values: &str| {
        reuse.run(&[
            "run",
            model,
            "--runs",
            "3",
            "--sweep",
            &format!("INF.transmissibility={values}"),
        ])
    };
    assert_eq!(sweep("0.8,1.3"), 6);
    assert_eq!(sweep("0.8,1.3"), 0, "the same sweep again");
    assert_eq!(sweep("0.8,1.3,2"), 3, "one scenario added");
    // Set the same way by a job-wide override, a configuration is the same run.
    assert_eq!(
        reuse.run(&[
            "run",
            model,
            "--runs",
            "3",
            "--param",
            "INF.transmissibility=2"
        ]),
        0
    );
}
