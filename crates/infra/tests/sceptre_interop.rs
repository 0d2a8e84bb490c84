//! fredbatch and the real `sceptre` (FREDBATCH_SCEPTRE, installed by `scripts/test`) agree on
//! one Sceptre project against moto: what fredbatch deploys, sceptre sees under the same names
//! and resolves `!stack_output` from; what sceptre launches, fredbatch sees and finds nothing to
//! change in. (`crates/cli/tests/infra_stacks.rs` runs sceptre on the committed project.)

#[path = "deploy/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::process::Command;

use aws_sdk_cloudformation::types::StackStatus;
use fixture::{Fixture, deployer};
use fredbatch_infra::cloudformation::StackAction;
use fredbatch_infra::stacks::Environment;
use fredbatch_testkit::{aws_env, required};

fn sceptre(fixture: &Fixture, args: &[&str]) -> String {
    let output = Command::new(required("FREDBATCH_SCEPTRE"))
        .arg("--dir")
        .arg(fixture.root())
        .args(args)
        .envs(aws_env())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "sceptre {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn sceptre_and_fredbatch_share_stacks_and_outputs() {
    let fixture = Fixture::new("fbi");
    fixture.with_upload_bucket();
    fixture.write(
        "config/production/consumer.yaml",
        "template:\n  path: test/queues.json\n  type: file\n\
         dependencies:\n  - dev/uploads.yaml\n\
         parameters:\n  Echo: !stack_output dev/uploads.yaml::BucketName\n\
         stack_tags:\n  ManagedBy: sceptre\n",
    );
    let deployer = deployer(&fixture).await;
    let none = BTreeMap::new();

    deployer
        .deploy(Environment::Dev, &none, false)
        .await
        .unwrap();
    let bucket = deployer
        .describe(&fixture.stack_name("dev/uploads.yaml"))
        .await
        .unwrap()
        .unwrap()
        .outputs["BucketName"]
        .clone();
    let status = sceptre(&fixture, &["status", "dev/uploads.yaml"]);
    assert!(
        status.contains("\"dev/uploads\": \"CREATE_COMPLETE\""),
        "{status}"
    );
    let outputs = sceptre(&fixture, &["list", "outputs", "dev/uploads.yaml"]);
    assert!(
        outputs.contains("BucketName") && outputs.contains(&bucket),
        "sceptre reads the stack fredbatch deployed: {outputs}"
    );

    sceptre(&fixture, &["launch", "-y", "production/consumer.yaml"]);
    let consumer = deployer
        .describe(&fixture.stack_name("production/consumer.yaml"))
        .await
        .unwrap()
        .expect("fredbatch finds the stack sceptre launched under the same name");
    assert_eq!(consumer.status, StackStatus::CreateComplete);
    assert_eq!(
        consumer.outputs["Echo"], bucket,
        "sceptre resolved !stack_output from the stack fredbatch deployed"
    );
    let again = deployer
        .deploy(Environment::Production, &none, false)
        .await
        .unwrap();
    assert!(
        again.iter().all(|c| c.action == StackAction::Unchanged),
        "fredbatch builds the same parameters and template sceptre did: {again:?}"
    );

    deployer.delete(Environment::Production).await.unwrap();
    deployer.delete(Environment::Dev).await.unwrap();
}
