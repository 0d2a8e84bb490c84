//! `fredbatch infra template` and `validate`: the committed templates are the command's
//! output, and CloudFormation (moto, from `scripts/test`) accepts them.

mod common;

use std::path::Path;

use common::{Sandbox, text};
use fredbatch_testkit::aws_env;

fn committed(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../infrastructure/templates")
            .join(path),
    )
    .unwrap()
}

#[test]
fn the_committed_templates_are_what_infra_template_prints() {
    let sandbox = Sandbox::new();
    let printed = sandbox.run(&["infra", "template"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    assert_eq!(
        text(&printed.stdout),
        committed("batch/batch-infrastructure.json")
    );

    let file = sandbox.path().join("out/ecr.json");
    let written = sandbox.run(&[
        "infra",
        "template",
        "simulation-runner-ecr",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        committed("ecr/simulation-runner-ecr.json")
    );

    let production = sandbox.run(&["infra", "template", "--env", "production"]);
    let template: serde_json::Value = serde_json::from_slice(&production.stdout).unwrap();
    assert_eq!(
        template["Parameters"]["Environment"]["Default"],
        "production"
    );

    let unknown = sandbox.run(&["infra", "template", "batch-infra"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("the stacks are"),
        "{}",
        text(&unknown.stderr)
    );
    let bad_env = sandbox.run(&["infra", "template", "--env", "prod"]);
    assert_eq!(bad_env.status.code(), Some(2));
    assert!(text(&bad_env.stderr).contains("use dev, staging or production"));
}

#[test]
fn validate_runs_fredbatchs_checks_and_cloudformations() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command()
        .envs(aws_env())
        .args(["--output", "json", "infra", "validate"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["cloudformation"], true);
    assert_eq!(report["stacks"].as_array().unwrap().len(), 5);
    assert!(
        report["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["problems"].as_array().unwrap().is_empty())
    );

    let offline = sandbox
        .command()
        .envs(aws_env())
        .args(["infra", "validate", "--offline"])
        .output()
        .unwrap();
    assert!(offline.status.success());
    assert!(text(&offline.stdout).contains("CloudFormation was not asked"));
}
