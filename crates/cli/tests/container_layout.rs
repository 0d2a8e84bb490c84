//! The simulation-runner image's layout, without a container engine: `install-runtime.sh`
//! (which the Dockerfile runs) lays the runtime out in a folder, and the worker runs from it
//! as the job definition would start it.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Sandbox, text};

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

#[test]
fn the_image_layout_runs_a_worker_with_fred_from_opt_fred() {
    let sandbox = Sandbox::new();
    // A job registered and run once through the ordinary flow, so there is a run to re-run.
    let model = sandbox.tiny_model();
    let fred = sandbox.fake_fred(
        "mkdir -p \"$6/RUN$4\" && echo 'Day,Date' > \"$6/RUN$4/out.csv\"; echo \"FRED from $0\"",
    );
    let registered = sandbox
        .command()
        .env("FRED_HOME", &fred)
        .args(["run", model.to_str().unwrap(), "--runs", "2"])
        .output()
        .unwrap();
    assert!(registered.status.success(), "{}", text(&registered.stderr));

    let root = sandbox.path().join("image-root");
    let install = Command::new(repository().join("docker/install-runtime.sh"))
        .arg(env!("CARGO_BIN_EXE_fredbatch"))
        .arg(&fred)
        .arg(&root)
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install.stderr));
    assert!(root.join("usr/local/bin/fredbatch").is_file());
    assert!(root.join("opt/fred/bin/FRED").is_file());

    // As in the image: FRED_HOME=/opt/fred, FREDBATCH_HOME for scratch, the entrypoint binary.
    let worker = Command::new(root.join("usr/local/bin/fredbatch"))
        .args(["worker", "--job-id", "1", "--run-id", "2"])
        .env("FRED_HOME", root.join("opt/fred"))
        .env("FREDBATCH_HOME", root.join("var/lib/fredbatch"))
        .env("DATABASE_URL", fredbatch_store_url(&sandbox))
        .env("FREDBATCH_UPLOADS", sandbox.home().join("uploads"))
        .env("FREDBATCH_RESULTS", sandbox.home().join("results"))
        .output()
        .unwrap();
    assert!(worker.status.success(), "{}", text(&worker.stderr));
    // Run 2 is DONE already, so the worker says so; run it on a fresh job for the engine path.
    assert!(
        text(&worker.stderr).contains("already ended"),
        "{}",
        text(&worker.stderr)
    );

    let fresh = sandbox
        .command()
        .env("FRED_HOME", root.join("opt/fred"))
        .args(["run", model.to_str().unwrap(), "--no-reuse"])
        .output()
        .unwrap();
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
    let run_id = sandbox.json(&["status"])["runs"][0]["id"].to_string();
    let logs = sandbox.run(&["logs", &run_id]);
    assert!(
        text(&logs.stdout).contains(&format!(
            "FRED from {}",
            root.join("opt/fred/bin/FRED").display()
        )),
        "{}",
        text(&logs.stdout)
    );
}

#[test]
fn the_dockerfile_uses_the_tested_layout_and_a_non_root_user() {
    let dockerfile =
        std::fs::read_to_string(repository().join("docker/simulation-runner.Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("install-runtime.sh /tmp/fredbatch /tmp/fred-build /"),
        "the image runs the tested script"
    );
    assert!(dockerfile.contains("FRED_HOME=/opt/fred"));
    assert!(dockerfile.contains("USER 10001"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/fredbatch\"]"));
}

fn fredbatch_store_url(sandbox: &Sandbox) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        sandbox.home().join("fredbatch.db").display()
    )
}
