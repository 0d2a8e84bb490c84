use super::*;
use crate::stacks::{self, Environment};
use crate::template::{Resource, func};
use serde_json::json;

#[test]
fn every_stack_passes_every_rule() {
    for stack in stacks::all(Environment::Dev) {
        assert_eq!(check(&stack.template), Vec::new(), "{}", stack.path);
    }
}

#[test]
fn broken_templates_are_caught() {
    let mut template = stacks::batch::template(Environment::Dev);
    template.resources.add(
        "Wide",
        Resource::new(
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": {},
                "Policies": [{ "PolicyName": "p", "PolicyDocument": { "Statement": [
                    { "Effect": "Allow", "Action": "s3:*", "Resource": "*" },
                ]}}],
                "Tags": [],
                "Description": func::sub("${Nowhere} arn:aws:s3:::x"),
            }),
        ),
    );
    let rules: BTreeSet<&str> = check(&template).iter().map(|v| v.rule).collect();
    for rule in [
        "no wildcard action",
        "`*` resource only where AWS offers none narrower, with the reason in metadata",
        "every resource is tagged",
        "every reference resolves",
        "ARNs are built with ${AWS::Partition}",
    ] {
        assert!(rules.contains(rule), "{rule} not caught: {rules:?}");
    }
}
