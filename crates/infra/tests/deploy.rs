//! Deploying a Sceptre project with `Deployer` against moto (given an SDK configuration for the
//! moto server, not the process environment): dependencies first with their
//! outputs wired in, a changed template shown by a dry run and applied through a change set, no
//! change as a success, deleting dependents first, and bad input refused before any stack is
//! touched. Each test deploys its own small project (unique project code), never the committed
//! batch stack, whose log group name is shared per environment with the CLI tests.
//!
//! Not reachable in moto 5.2.5, so covered only by unit tests: a stack in a ROLLBACK state
//! (`health.rs`; moto raises resource errors from CreateStack itself and never rolls back) and a
//! stack failing while it is created (the failing events).

#[path = "deploy/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::StackStatus;
use fixture::{Fixture, client, deployer, queue_template};
use fredbatch_infra::cloudformation::{DeployError, StackAction, StackChange};
use fredbatch_infra::project::{Project, ProjectError};
use fredbatch_infra::stacks::Environment;

const DEV: Environment = Environment::Dev;

fn actions(changes: &[StackChange]) -> Vec<(String, StackAction)> {
    changes.iter().map(|c| (c.path.clone(), c.action)).collect()
}

/// `dev/uploads.yaml` (the committed upload bucket), `dev/consumer.yaml` reading its bucket name
/// through `!stack_output`, and `shared/queue.yaml` outside the environment's folder.
fn wired_project() -> Fixture {
    let fixture = Fixture::new("fbd");
    fixture.with_upload_bucket();
    fixture.write(
        "config/dev/consumer.yaml",
        "template:\n  path: test/queues.json\n  type: file\n\
         dependencies:\n  - shared/queue.yaml\n\
         parameters:\n  Echo: !stack_output dev/uploads.yaml::BucketName\n\
         stack_tags:\n  Purpose: test\n",
    );
    fixture.write(
        "config/shared/queue.yaml",
        "template:\n  path: test/queues.json\n  type: file\n",
    );
    fixture
}

#[tokio::test]
async fn dependencies_deploy_first_with_their_outputs_and_delete_last() {
    let fixture = wired_project();
    let deployer = deployer(&fixture).await;
    let none = BTreeMap::new();

    let created = deployer.deploy(DEV, &none, false).await.unwrap();
    let order: Vec<&str> = created.iter().map(|c| c.path.as_str()).collect();
    let at = |path: &str| order.iter().position(|p| *p == path).unwrap();
    assert!(
        at("dev/uploads.yaml") < at("dev/consumer.yaml"),
        "{order:?}"
    );
    assert!(
        at("shared/queue.yaml") < at("dev/consumer.yaml"),
        "{order:?}"
    );
    assert!(
        created.iter().all(|c| c.action == StackAction::Created),
        "{created:?}"
    );

    let uploads = deployer
        .describe(&fixture.stack_name("dev/uploads.yaml"))
        .await
        .unwrap()
        .expect("the upload bucket stack exists");
    let consumer = deployer
        .describe(&fixture.stack_name("dev/consumer.yaml"))
        .await
        .unwrap()
        .expect("the consumer stack exists");
    assert!(!uploads.outputs["BucketName"].is_empty());
    assert_eq!(
        consumer.outputs["Echo"], uploads.outputs["BucketName"],
        "!stack_output passed the deployed bucket's name"
    );
    let tags = client()
        .await
        .describe_stacks()
        .stack_name(&consumer.name)
        .send()
        .await
        .unwrap();
    let tags = tags.stacks()[0].tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == Some("Purpose") && t.value() == Some("test")),
        "stack_tags reach the stack: {tags:?}"
    );

    let again = deployer.deploy(DEV, &none, false).await.unwrap();
    assert!(
        again.iter().all(|c| c.action == StackAction::Unchanged),
        "no change is a success: {again:?}"
    );

    let deleted = deployer.delete(DEV).await.unwrap();
    assert_eq!(
        actions(&deleted),
        [
            ("dev/consumer.yaml".to_owned(), StackAction::Deleted),
            ("dev/uploads.yaml".to_owned(), StackAction::Deleted)
        ],
        "dependents go first; the shared stack is kept"
    );
    let states: BTreeMap<String, Option<StackStatus>> = deployer
        .status(DEV)
        .await
        .unwrap()
        .into_iter()
        .map(|(path, deployed)| (path, deployed.map(|d| d.status)))
        .collect();
    assert_eq!(states["dev/uploads.yaml"], None);
    assert_eq!(states["dev/consumer.yaml"], None);
    assert!(states["shared/queue.yaml"].is_some(), "{states:?}");
    let twice = deployer.delete(DEV).await.unwrap();
    assert!(
        twice.iter().all(|c| c.action == StackAction::Absent),
        "{twice:?}"
    );
}

#[tokio::test]
async fn a_changed_template_is_shown_by_a_dry_run_then_applied_through_a_change_set() {
    let fixture = Fixture::new("fbu");
    fixture.write("templates/test/queues.json", &queue_template(&["First"]));
    fixture.write(
        "config/dev/queues.yaml",
        "template:\n  path: test/queues.json\n  type: file\nparameters:\n  Echo: one\n",
    );
    let name = fixture.stack_name("dev/queues.yaml");
    let deployer = deployer(&fixture).await;
    let cfn = client().await;
    let none = BTreeMap::new();
    let resources = || async {
        cfn.describe_stack_resources()
            .stack_name(&name)
            .send()
            .await
            .unwrap()
            .stack_resources()
            .iter()
            .filter_map(|r| r.logical_resource_id().map(str::to_owned))
            .collect::<Vec<_>>()
    };

    let planned = deployer.deploy(DEV, &none, true).await.unwrap();
    assert_eq!(planned[0].action, StackAction::WouldCreate);
    assert!(
        planned[0].changes.contains(&"Echo = one".to_owned()),
        "a new stack's dry run lists its parameters: {planned:?}"
    );
    assert!(deployer.describe(&name).await.unwrap().is_none());
    deployer.deploy(DEV, &none, false).await.unwrap();

    fixture.write(
        "templates/test/queues.json",
        &queue_template(&["First", "Second"]),
    );
    let planned = deployer.deploy(DEV, &none, true).await.unwrap();
    assert_eq!(planned[0].action, StackAction::WouldUpdate, "{planned:?}");
    assert!(
        planned[0]
            .changes
            .iter()
            .any(|c| c.starts_with("Add Second") && c.contains("AWS::SQS::Queue")),
        "{planned:?}"
    );
    let listed = cfn
        .list_change_sets()
        .stack_name(&name)
        .send()
        .await
        .unwrap();
    // moto lists every stack's change sets whatever the stack asked for.
    let left: Vec<_> = listed
        .summaries()
        .iter()
        .filter(|s| s.stack_name() == Some(name.as_str()))
        .collect();
    assert!(
        left.is_empty(),
        "a dry run leaves no change set behind: {left:?}"
    );
    assert_eq!(resources().await, ["First"], "a dry run changes nothing");

    let updated = deployer.deploy(DEV, &none, false).await.unwrap();
    assert_eq!(updated[0].action, StackAction::Updated, "{updated:?}");
    let mut now = resources().await;
    now.sort();
    assert_eq!(now, ["First", "Second"]);
    let status = deployer.describe(&name).await.unwrap().unwrap().status;
    assert_eq!(status, StackStatus::UpdateComplete);

    let again = deployer.deploy(DEV, &none, false).await.unwrap();
    assert_eq!(again[0].action, StackAction::Unchanged, "{again:?}");
    deployer.delete(DEV).await.unwrap();
}

#[tokio::test]
async fn a_stack_cloudformation_is_still_busy_with_is_reported_and_left_alone() {
    let fixture = Fixture::new("fbs");
    let template = queue_template(&["First"]);
    fixture.write("templates/test/queues.json", &template);
    fixture.write(
        "config/dev/queues.yaml",
        "template:\n  path: test/queues.json\n  type: file\n",
    );
    let name = fixture.stack_name("dev/queues.yaml");
    // A change set that creates a stack and is never executed leaves the stack in
    // REVIEW_IN_PROGRESS: the closest moto comes to a stack fredbatch must not touch.
    let cfn = client().await;
    cfn.create_change_set()
        .stack_name(&name)
        .change_set_name("someone-elses")
        .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
        .template_body(&template)
        .send()
        .await
        .unwrap();
    let deployer = deployer(&fixture).await;
    let error = deployer
        .deploy(DEV, &BTreeMap::new(), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DeployError::Busy { status, .. } if *status == StackStatus::ReviewInProgress),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&name) && message.contains("has not finished"),
        "{message}"
    );
    let status = deployer.describe(&name).await.unwrap().unwrap().status;
    assert_eq!(
        status,
        StackStatus::ReviewInProgress,
        "fredbatch left it alone"
    );
    // Not left for other tests sharing the server to trip over.
    cfn.delete_stack().stack_name(&name).send().await.unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_with_one_clear_error_before_any_stack_is_created() {
    let fixture = Fixture::new("fbb");
    fixture.write("templates/test/queues.json", &queue_template(&["First"]));
    fixture.write(
        "config/dev/a.yaml",
        "template:\n  path: test/queues.json\n  type: file\n",
    );
    fixture.write(
        "config/dev/b.yaml",
        "template:\n  path: test/queues.json\n  type: file\n\
         dependencies: [dev/a.yaml]\n\
         parameters:\n  Echo: !environment_variable FREDBATCH_TEST_NEVER_SET\n",
    );
    let first = fixture.stack_name("dev/a.yaml");
    let deployer = deployer(&fixture).await;
    let none = BTreeMap::new();

    let error = deployer.deploy(DEV, &none, false).await.unwrap_err();
    assert!(
        matches!(&error, DeployError::Project(ProjectError::UnsetVariable { variable, .. })
            if variable == "FREDBATCH_TEST_NEVER_SET"),
        "{error}"
    );
    assert!(error.to_string().contains("dev/b.yaml"), "{error}");
    assert!(
        deployer.describe(&first).await.unwrap().is_none(),
        "the unset variable of the second stack was found before the first was created"
    );

    // An override replaces the resolver, so the variable is no longer needed.
    let overrides =
        fredbatch_infra::cloudformation::parse_overrides(DEV, &["dev/b.yaml:Echo=given".into()])
            .unwrap();
    let planned = deployer.deploy(DEV, &overrides, true).await.unwrap();
    assert!(
        planned[1].changes.contains(&"Echo = given".to_owned()),
        "{planned:?}"
    );

    fixture.write(
        "config/dev/b.yaml",
        "template:\n  path: test/queues.json\n  type: file\n\
         parameters:\n  Echo: !stack_output dev/missing.yaml::Out\n",
    );
    let deployer = fixture::deployer(&fixture).await;
    let error = deployer.deploy(DEV, &none, false).await.unwrap_err();
    assert!(
        matches!(&error, DeployError::Project(ProjectError::UnknownStack(path))
            if path == "dev/missing.yaml"),
        "{error}"
    );
    assert!(deployer.describe(&first).await.unwrap().is_none());

    let error = deployer.deploy(Environment::Staging, &none, false).await;
    assert!(
        error.as_ref().is_ok_and(Vec::is_empty),
        "an environment without stack files deploys nothing: {error:?}"
    );
}

#[tokio::test]
async fn a_missing_required_parameter_names_the_parameter() {
    let fixture = Fixture::new("fbp");
    let mut template: serde_json::Value =
        serde_json::from_str(&queue_template(&["First"])).unwrap();
    template["Parameters"]["Needed"] = serde_json::json!({ "Type": "String" });
    fixture.write("templates/test/needs.json", &template.to_string());
    fixture.write(
        "config/dev/needs.yaml",
        "template:\n  path: test/needs.json\n  type: file\n",
    );
    let name = fixture.stack_name("dev/needs.yaml");
    let deployer = deployer(&fixture).await;
    let error = deployer
        .deploy(DEV, &BTreeMap::new(), false)
        .await
        .unwrap_err();
    let message = error.to_string();
    // Found by fredbatch (names the file) or refused by CloudFormation (names the stack).
    assert!(
        message.contains("Needed")
            && (message.contains("dev/needs.yaml") || message.contains(&name)),
        "{message}"
    );
    assert!(deployer.describe(&name).await.unwrap().is_none());
}

#[test]
fn a_malformed_stack_file_is_named_with_its_line() {
    let fixture = Fixture::new("fbm");
    fixture.write(
        "config/dev/broken.yaml",
        "template:\n  path: test/queues.json\nparameters:\n  Echo: [unclosed\n",
    );
    let error = Project::load(fixture.root()).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, ProjectError::Malformed { path, .. } if path.ends_with("dev/broken.yaml")),
        "{message}"
    );
    assert!(
        message.contains("line"),
        "the YAML error's position: {message}"
    );
}
