//! The servers `scripts/test` starts for the tests (a moto server, a PostgreSQL server), and
//! fresh, uniquely named things inside them: a database, a bucket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

/// A variable `scripts/test` sets; the test fails, never skips, without it.
pub fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with `scripts/test`, which starts the servers")
    })
}

pub fn moto_url() -> String {
    required("FREDBATCH_TEST_MOTO_URL")
}

/// A name no other test, in any process, uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

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

/// A fresh bucket on the moto server; returns its name.
pub fn bucket(kind: &str) -> String {
    let name = unique(kind);
    let answer = moto_request("PUT", &format!("/{name}"), &[], "");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    name
}

/// One plain HTTP/1.1 exchange with the moto server.
pub fn moto_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let url = moto_url();
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// A call to one of the AWS query APIs (EC2, IAM) that moto serves, by action.
pub fn aws_query(service: &str, action_and_params: &str) -> String {
    let version = match service {
        "ec2" => "2016-11-15",
        _ => "2010-05-08",
    };
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    );
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

/// The environment of a `fredbatch` talking to moto with fake credentials.
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto_url()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
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
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/logs/aws4_request, \
                 SignedHeaders=host, Signature=0",
            ),
        ],
        &format!(r#"{{"logGroupName": "/aws/batch/fred-simulations-{environment}"}}"#),
    );
}
