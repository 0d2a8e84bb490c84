//! Shared by the moto tests of deploying (`tests/deploy.rs`, `tests/sceptre_interop.rs`).
//!
//! - **fixture**: a small Sceptre project in a temporary folder (`config/config.yaml` with a
//!   project code no other test uses, stack files, `templates/`), so tests running in parallel
//!   processes against one moto server never share a stack;
//! - **moto configuration**: an AWS SDK configuration pointing at the moto server
//!   (`FREDBATCH_TEST_MOTO_URL`) with test credentials, given to the deployer directly: no
//!   test changes its own process environment.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};

use aws_sdk_cloudformation::config::Credentials;
use fredbatch_infra::cloudformation::{Deployer, SdkConfig};
use fredbatch_infra::project::Project;
use fredbatch_testkit::{moto_url, unique};

/// An AWS configuration for the moto server, in us-east-1, with the credentials
/// [`fredbatch_testkit::aws_env`] gives processes (so both see the same moto account).
pub async fn moto_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "fredbatch-infra-tests",
        ))
        .load()
        .await
}

/// A CloudFormation client on the moto server, to look behind the deployer's back.
pub async fn client() -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&moto_config().await)
}

/// A deployer of `fixture`'s project on the moto server, printing its progress.
pub async fn deployer(fixture: &Fixture) -> Deployer {
    let project = Project::load(fixture.root()).unwrap();
    Deployer::new(
        &moto_config().await,
        project,
        Box::new(|line| eprintln!("{line}")),
    )
}

/// The committed templates (`infrastructure/templates`).
pub fn committed_templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure/templates")
}

pub struct Fixture {
    dir: tempfile::TempDir,
    pub code: String,
}

impl Fixture {
    pub fn new(prefix: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let code = unique(prefix);
        let fixture = Fixture { dir, code };
        fixture.write(
            "config/config.yaml",
            &format!("project_code: {}\nregion: us-east-1\n", fixture.code),
        );
        fixture
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the project root, creating its folders.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Copies a committed template to the same path under this project's `templates/`.
    pub fn use_template(&self, path: &str) {
        let text = std::fs::read_to_string(committed_templates().join(path)).unwrap();
        self.write(&format!("templates/{path}"), &text);
    }

    /// `config/dev/uploads.yaml`: the committed upload bucket stack, with the `test/queues.json`
    /// template beside it for the stacks a test wires to it.
    pub fn with_upload_bucket(&self) {
        self.use_template("s3-upload-bucket/s3-upload-bucket.json");
        self.write("templates/test/queues.json", &queue_template(&["First"]));
        self.write(
            "config/dev/uploads.yaml",
            "template:\n  path: s3-upload-bucket/s3-upload-bucket.json\n  type: file\n\
             parameters:\n  Environment: dev\n",
        );
    }

    /// The CloudFormation name of the stack at `path` (Sceptre's naming).
    pub fn stack_name(&self, path: &str) -> String {
        format!(
            "{}-{}",
            self.code,
            path.trim_end_matches(".yaml").replace('/', "-")
        )
    }
}

/// A template of `queues` SQS queues (`First`, `Second`, ...) that also echoes its `Echo`
/// parameter as an output: small, and fully supported by moto's CloudFormation.
pub fn queue_template(queues: &[&str]) -> String {
    let resources: serde_json::Map<String, serde_json::Value> = queues
        .iter()
        .map(|q| {
            (
                (*q).to_owned(),
                serde_json::json!({ "Type": "AWS::SQS::Queue" }),
            )
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": { "Echo": { "Type": "String", "Default": "none" } },
        "Resources": resources,
        "Outputs": {
            "Echo": { "Value": { "Ref": "Echo" } },
            "QueueName": { "Value": { "Fn::GetAtt": [queues[0], "QueueName"] } }
        }
    }))
    .unwrap()
}
