//! What every stack shares: the Environment parameter, tags, and IAM trust policies.

use serde_json::{Value, json};

use super::Environment;
use crate::template::{Parameter, func};

pub const PURPOSE: &str = "fred-simulations";
pub const MANAGED_BY: &str = "fredbatch";

pub fn environment_parameter(env: Environment) -> Parameter {
    Parameter::string("Deployment environment")
        .with_default(env.name())
        .allowed(Environment::ALL.map(Environment::name))
}

/// Tags as a list of Key/Value pairs (IAM, EC2, CloudWatch Logs, S3, ECR, Secrets Manager).
pub fn tag_list() -> Value {
    json!([
        { "Key": "Environment", "Value": func::reference("Environment") },
        { "Key": "Purpose", "Value": PURPOSE },
        { "Key": "ManagedBy", "Value": MANAGED_BY },
    ])
}

/// Tags as a map (AWS Batch resources).
pub fn tag_map() -> Value {
    json!({
        "Environment": func::reference("Environment"),
        "Purpose": PURPOSE,
        "ManagedBy": MANAGED_BY,
    })
}

/// A trust policy letting one AWS service assume a role.
pub fn assumed_by(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The ARN of an AWS managed policy, in whatever partition the stack is deployed.
pub fn managed_policy(path: &str) -> Value {
    func::sub(&format!("arn:${{AWS::Partition}}:iam::aws:policy/{path}"))
}
