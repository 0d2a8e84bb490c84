//! `fredbatch infra deploy|status|outputs|env` and the real `sceptre` on the same Sceptre
//! project, against moto (`scripts/test` starts it and installs sceptre). Each test works on a
//! copy of `infrastructure/` with its own project code, so stack names never collide.
//!
//! moto 5.2.5 does not implement AWS::SecretsManager::Secret in CloudFormation: the secret stack
//! deploys without its SecretArn output, so the batch stack is given the secret's ARN with
//! `--param`, as a team with an existing secret would.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::services::{aws_query, forget_batch_log_group, xml_values};
use common::{Sandbox, text};
use fredbatch_testkit::{aws_env, required, unique};

const SECRET: &str =
    "DatabaseSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:fred-db-AbCdEf";

/// A copy of the Sceptre project whose stacks are named `<code>-...`.
fn project_copy(sandbox: &Sandbox, code: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure");
    let copy = sandbox.path().join("infrastructure");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&source)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let config = copy.join("config/config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "project_code: fred-simulations",
            &format!("project_code: {code}"),
        ),
    )
    .unwrap();
    copy
}

/// The network variables the batch stack's Sceptre file reads, from moto's default VPC.
fn network() -> Vec<(&'static str, String)> {
    let subnets = aws_query(
        "ec2",
        "DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
    );
    vec![
        ("FREDBATCH_VPC_ID", xml_values(&subnets, "vpcId").remove(0)),
        (
            "FREDBATCH_SUBNET_IDS",
            xml_values(&subnets, "subnetId").join(","),
        ),
    ]
}

fn infra(sandbox: &Sandbox, project: &Path, args: &[&str]) -> Output {
    sandbox
        .command()
        .envs(aws_env())
        .envs(network())
        .arg("infra")
        .args(args)
        .arg("--project")
        .arg(project)
        .output()
        .unwrap()
}

#[test]
fn deploy_creates_every_dev_stack_in_order_then_changes_nothing() {
    let sandbox = Sandbox::new();
    let code = unique("fbt");
    let project = project_copy(&sandbox, &code);
    forget_batch_log_group("dev");

    let planned = infra(&sandbox, &project, &["deploy", "--env", "dev", "--dry-run"]);
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    assert_eq!(
        text(&planned.stdout).matches("would create").count(),
        5,
        "{}",
        text(&planned.stdout)
    );

    let deployed = infra(
        &sandbox,
        &project,
        &[
            "--output", "json", "deploy", "--env", "dev", "--param", SECRET,
        ],
    );
    assert!(deployed.status.success(), "{}", text(&deployed.stderr));
    let report: serde_json::Value = serde_json::from_slice(&deployed.stdout).unwrap();
    let order: Vec<&str> = report["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        order.last(),
        Some(&"dev/batch-infrastructure.yaml"),
        "the batch stack comes last: {order:?}"
    );
    assert!(
        report["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] == "created"),
        "{report}"
    );

    let outputs = infra(&sandbox, &project, &["outputs", "--env", "dev"]);
    let listed = text(&outputs.stdout);
    assert!(
        listed.contains(&format!(
            "{} = ",
            fredbatch_infra::contract::output::JOB_QUEUE_NAME
        )) && listed.contains("BucketName = "),
        "{listed}"
    );

    let env = infra(&sandbox, &project, &["env", "--env", "dev"]);
    assert!(env.status.success(), "{}", text(&env.stderr));
    let lines: Vec<String> = text(&env.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("export AWS_BATCH_JOB_DEFINITION=arn:aws:batch:"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        format!("export AWS_BATCH_JOB_QUEUE={code}-dev-batch-infrastructure-queue")
    );
    assert_eq!(
        lines[2],
        format!(
            "export AWS_BATCH_FALLBACK_JOB_QUEUE={code}-dev-batch-infrastructure-fallback-queue"
        ),
        "dev deploys the On-Demand fallback"
    );

    let again = infra(
        &sandbox,
        &project,
        &[
            "--output", "json", "deploy", "--env", "dev", "--param", SECRET,
        ],
    );
    assert!(
        again.status.success(),
        "no change is a success: {}",
        text(&again.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(
        report["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] == "unchanged"),
        "{report}"
    );
}

#[test]
fn bad_input_gets_one_clear_message_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let project = project_copy(&sandbox, &unique("fbt"));

    let unknown = infra(&sandbox, &project, &["deploy", "--env", "qa"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("use dev, staging or production"));

    let undeployed = infra(&sandbox, &project, &["env", "--env", "production"]);
    assert_eq!(undeployed.status.code(), Some(1));
    assert!(
        text(&undeployed.stderr).contains("is not deployed"),
        "{}",
        text(&undeployed.stderr)
    );

    let no_network = sandbox
        .command()
        .envs(aws_env())
        .args(["infra", "deploy", "--env", "staging", "--project"])
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(no_network.status.code(), Some(1));
    assert!(
        text(&no_network.stderr).contains("export FREDBATCH_"),
        "{}",
        text(&no_network.stderr)
    );
    let status = infra(&sandbox, &project, &["status", "--env", "staging"]);
    assert_eq!(
        text(&status.stdout).matches("NOT DEPLOYED").count(),
        5,
        "nothing was created before the missing variable was found: {}",
        text(&status.stdout)
    );

    let batch = project.join("config/staging/batch-infrastructure.yaml");
    std::fs::write(&batch, "template:\n  path: [unclosed\n").unwrap();
    let malformed = infra(&sandbox, &project, &["deploy", "--env", "staging"]);
    assert_eq!(malformed.status.code(), Some(1));
    let error = text(&malformed.stderr);
    assert!(
        error.contains("staging/batch-infrastructure.yaml") && error.contains("not valid YAML"),
        "{error}"
    );
}

#[test]
fn sceptre_itself_launches_the_same_project() {
    let sceptre = required("FREDBATCH_SCEPTRE");
    let sandbox = Sandbox::new();
    let project = project_copy(&sandbox, &unique("sct"));
    let run = |args: &[&str]| {
        Command::new(&sceptre)
            .arg("--dir")
            .arg(&project)
            .args(args)
            .envs(aws_env())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(network())
            .output()
            .unwrap()
    };
    for stack in [
        "production/s3-upload-bucket.yaml",
        "production/s3-results-bucket.yaml",
        "docker-images/simulation-runner-ecr.yaml",
    ] {
        let validated = run(&["validate", stack]);
        assert!(
            validated.status.success(),
            "{stack}: {}",
            text(&validated.stderr)
        );
        let launched = run(&["launch", "-y", stack]);
        assert!(
            launched.status.success(),
            "{stack}: {}{}",
            text(&launched.stdout),
            text(&launched.stderr)
        );
    }
    let outputs = run(&["list", "outputs", "production/s3-upload-bucket.yaml"]);
    assert!(
        text(&outputs.stdout).contains("BucketName"),
        "{}",
        text(&outputs.stdout)
    );
    let repository = run(&[
        "list",
        "outputs",
        "docker-images/simulation-runner-ecr.yaml",
    ]);
    assert!(
        text(&repository.stdout).contains("RepositoryUri"),
        "{}",
        text(&repository.stdout)
    );
    let validated = run(&["validate", "production/batch-infrastructure.yaml"]);
    assert!(
        validated.status.success() || text(&validated.stderr).contains("SecretArn"),
        "sceptre resolves the batch stack's wiring up to moto's missing secret output: {}",
        text(&validated.stderr)
    );
    // fredbatch sees what sceptre deployed, under the same names.
    let status = infra(&sandbox, &project, &["status", "--env", "production"]);
    let listed = text(&status.stdout);
    assert!(
        listed.contains("CREATE_COMPLETE") && listed.contains("production-s3-upload-bucket"),
        "{listed}"
    );
}
