//! The committed batch stack deployed into moto (CloudFormation's query API, spoken directly),
//! and moto's AWS Batch REST API, for the tests that run jobs on it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use fredbatch_infra::contract::parameter;
use fredbatch_testkit::{moto_request, unique};
use serde_json::Value;

use super::services::{aws_query, forget_batch_log_group, xml_values};
use super::wait_for;

fn repository() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Deploys the committed batch stack template into moto's default VPC; returns its name.
pub fn deploy_batch_stack(
    environment: &str,
    uploads: &str,
    results: &str,
    extra: &[(&str, &str)],
) -> String {
    let template = std::fs::read_to_string(
        repository().join("infrastructure/templates/batch/batch-infrastructure.json"),
    )
    .expect("the committed batch stack template");
    let subnets = aws_query(
        "ec2",
        "DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
    );
    let vpc = xml_values(&subnets, "vpcId").remove(0);
    let subnet_ids = xml_values(&subnets, "subnetId").join(",");
    let stack = unique("fred-batch");
    forget_batch_log_group(environment);
    let parameters = [
        (parameter::ENVIRONMENT, environment.to_owned()),
        (parameter::VPC_ID, vpc),
        (parameter::SUBNET_IDS, subnet_ids),
        (
            parameter::ECR_REPOSITORY_URI,
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/simulation-runner".to_owned(),
        ),
        (
            parameter::DATABASE_SECRET_ARN,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:fred-db-AbCdEf".to_owned(),
        ),
        (parameter::UPLOAD_BUCKET_NAME, uploads.to_owned()),
        (parameter::RESULTS_BUCKET_NAME, results.to_owned()),
    ]
    .into_iter()
    .chain(extra.iter().map(|(k, v)| (*k, (*v).to_owned())))
    .collect::<Vec<_>>();
    let mut request = format!(
        "CreateStack&StackName={stack}&TemplateBody={}",
        encode(&template)
    );
    for (index, (key, value)) in parameters.iter().enumerate() {
        let n = index + 1;
        request.push_str(&format!(
            "&Parameters.member.{n}.ParameterKey={key}&Parameters.member.{n}.ParameterValue={}",
            encode(value)
        ));
    }
    request.push_str(
        "&Capabilities.member.1=CAPABILITY_NAMED_IAM&Capabilities.member.2=CAPABILITY_IAM",
    );
    let created = aws_query("cloudformation", &request);
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    wait_for("the stack to be created", Duration::from_secs(60), || {
        let answer = aws_query(
            "cloudformation",
            &format!("DescribeStacks&StackName={stack}"),
        );
        let status = xml_values(&answer, "StackStatus").pop().unwrap_or_default();
        assert!(
            !status.contains("FAILED") && !status.contains("ROLLBACK"),
            "{answer}"
        );
        (status == "CREATE_COMPLETE").then_some(())
    });
    stack
}

/// Percent-encoding for form bodies.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A call to moto's AWS Batch REST API.
pub fn batch(operation: &str, body: Value) -> Value {
    let answer = moto_request(
        "POST",
        &format!("/v1/{operation}"),
        &[
            ("Content-Type", "application/json"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/batch/aws4_request, \
                 SignedHeaders=host, Signature=0",
            ),
        ],
        &body.to_string(),
    );
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{answer}");
    serde_json::from_str(body).unwrap()
}

/// A deployed stack's outputs, by key.
pub fn stack_outputs(stack: &str) -> HashMap<String, String> {
    let answer = aws_query(
        "cloudformation",
        &format!("DescribeStacks&StackName={stack}"),
    );
    xml_values(&answer, "OutputKey")
        .into_iter()
        .zip(xml_values(&answer, "OutputValue"))
        .collect()
}
