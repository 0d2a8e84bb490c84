//! What only the CLI's tests need of the servers `scripts/test` starts (the rest is in
//! `fredbatch-testkit`): a fresh PostgreSQL database, moto's query APIs, a forgotten log group.

use std::process::Command;

use fredbatch_testkit::{moto_request, required, unique};

/// A fresh database on the test server.
pub fn database() -> String {
    let url = required("FREDBATCH_TEST_POSTGRES_URL");
    let name = unique("fredbatch_cli").replace('-', "_");
    let status = Command::new("psql")
        .arg(&url)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql");
    assert!(status.success(), "cannot create a test database");
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

/// A call to one of the AWS query APIs (EC2, IAM) that moto serves, by action.
pub fn aws_query(service: &str, action_and_params: &str) -> String {
    let version = match service {
        "ec2" => "2016-11-15",
        _ => "2010-05-08",
    };
    let authorization = fredbatch_testkit::fake_authorization(service);
    moto_request(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &authorization),
        ],
        &format!("Action={action_and_params}&Version={version}"),
    )
}

/// The text of every `<tag>...</tag>` in an XML answer.
pub fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next().map(str::to_owned))
        .collect()
}

/// The batch stack names its log group after the environment alone
/// (`/aws/batch/fred-simulations-<env>`): one left by an earlier test against the same server
/// would make CloudFormation refuse to create the stack again.
pub fn forget_batch_log_group(environment: &str) {
    moto_request(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "Logs_20140328.DeleteLogGroup"),
            (
                "Authorization",
                &fredbatch_testkit::fake_authorization("logs"),
            ),
        ],
        &format!(r#"{{"logGroupName": "/aws/batch/fred-simulations-{environment}"}}"#),
    );
}
