//! Shared by the moto tests of deploying (`tests/deploy.rs`, `tests/sceptre_interop.rs`).
//!
//! - **fixture**: a small Sceptre project in a temporary folder (`config/config.yaml` with a
//!   project code no other test uses, stack files, `templates/`), so tests running in parallel
//!   processes against one moto server never share a stack;
//! - **child**: the test binary run again for one test, with the standard AWS variables
//!   (`AWS_ENDPOINT_URL`, credentials, region) pointing at moto. `Deployer::connect` reads the
//!   process environment, and changing it inside a running (possibly multi-threaded) test
//!   harness would be unsound, so the variables are given to a fresh process instead.

#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

use fredbatch_testkit::{aws_env, unique};

/// Set in the child process: the test body runs there.
const CHILD: &str = "FREDBATCH_INFRA_TEST_CHILD";

/// `true` in the child (run the test's body); in the parent, runs `test` in a child and fails
/// when it fails, then returns `false`.
pub fn in_child(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(aws_env())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    print!("{stdout}");
    assert!(
        output.status.success(),
        "{test} failed in its child process"
    );
    // libtest answers "0 passed" for a name it does not know; that must not look like success.
    assert!(
        stdout.contains("1 passed"),
        "{test} did not run in its child"
    );
    false
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

/// A CloudFormation client with the standard configuration (in the child: moto).
pub async fn client() -> aws_sdk_cloudformation::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_cloudformation::Client::new(&config)
}
