//! fredbatch's own checks of a template, run offline by `fredbatch infra validate` and by the
//! tests: every reference resolves, and the least-privilege rules hold.
//!
//! - **reference**: a `Ref`, `Fn::GetAtt` or `${...}` in `Fn::Sub` naming a parameter, a
//!   resource, a pseudo parameter (`AWS::...`) or a `Fn::Sub` variable;
//! - **wildcard action**: an IAM Allow statement whose action contains `*`;
//! - **wildcard resource**: an IAM Allow statement on resource `*`, allowed only where the
//!   template's metadata says why (`fredbatch.WildcardResources`).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::stacks::{MANAGED_BY, PURPOSE};
use crate::template::Template;

/// Resource types CloudFormation cannot tag.
const UNTAGGABLE: &[&str] = &["AWS::IAM::InstanceProfile", "AWS::EC2::SecurityGroupEgress"];
/// Ports the instances may reach.
const ALLOWED_EGRESS_PORTS: &[i64] = &[443, 5432];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where: a resource, parameter or output name.
    pub at: String,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.rule, self.detail)
    }
}

/// Every rule, over every part of the template.
pub fn check(template: &Template) -> Vec<Violation> {
    let mut found = Vec::new();
    references(template, &mut found);
    for (name, resource) in template.resources.iter() {
        let mut violation = |rule, detail: String| {
            found.push(Violation {
                at: name.to_owned(),
                rule,
                detail,
            })
        };
        if !UNTAGGABLE.contains(&resource.kind.as_str()) {
            for tag in ["Environment", "Purpose", "ManagedBy"] {
                if !has_tag(&resource.properties["Tags"], tag) {
                    violation("every resource is tagged", format!("no {tag} tag"));
                }
            }
        }
        if resource.kind == "AWS::IAM::Role" {
            iam_role(template, name, &resource.properties, &mut violation);
        }
        egress(&resource.properties, &mut violation);
        if resource.kind == "AWS::Batch::JobDefinition" {
            let environment = &resource.properties["ContainerProperties"]["Environment"];
            for variable in environment.as_array().into_iter().flatten() {
                let name = variable["Name"].as_str().unwrap_or_default();
                if ["DATABASE", "PASSWORD", "SECRET"]
                    .iter()
                    .any(|w| name.contains(w))
                {
                    violation(
                        "credentials come from secrets, never plain environment values",
                        format!("environment variable {name}"),
                    );
                }
            }
        }
    }
    let text = template.to_json();
    if text.contains("arn:aws:") {
        found.push(Violation {
            at: "template".into(),
            rule: "ARNs are built with ${AWS::Partition}",
            detail: "a literal `arn:aws:` ARN".into(),
        });
    }
    for (name, output) in template.outputs.iter() {
        if output.export.is_none() {
            found.push(Violation {
                at: name.to_owned(),
                rule: "every output is exported",
                detail: "no Export".into(),
            });
        }
    }
    found
}

fn tag_value<'a>(tags: &'a Value, key: &str) -> Option<&'a Value> {
    match tags {
        Value::Array(list) => list.iter().find(|t| t["Key"] == key).map(|t| &t["Value"]),
        Value::Object(map) => map.get(key),
        _ => None,
    }
}

/// The fixed tags have fixed values; Environment is the parameter's.
fn has_tag(tags: &Value, key: &str) -> bool {
    match (key, tag_value(tags, key)) {
        (_, None) => false,
        ("Purpose", Some(value)) => value == PURPOSE,
        ("ManagedBy", Some(value)) => value == MANAGED_BY,
        _ => true,
    }
}

fn iam_role(
    template: &Template,
    name: &str,
    properties: &Value,
    violation: &mut impl FnMut(&'static str, String),
) {
    let has_managed = properties["ManagedPolicyArns"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    let inline = properties["Policies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if has_managed && !inline.is_empty() {
        violation(
            "no inline policy beside a managed one",
            "the role has both; one of them repeats or widens the other".into(),
        );
    }
    let justified: Vec<&Value> = template.metadata["fredbatch"]["WildcardResources"]
        .as_array()
        .map(|list| list.iter().collect())
        .unwrap_or_default();
    for statement in inline.iter().flat_map(|p| {
        p["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }) {
        if statement["Effect"] != "Allow" {
            continue;
        }
        let actions = strings(&statement["Action"]);
        for action in &actions {
            if action.contains('*') {
                violation("no wildcard action", format!("action {action}"));
            }
        }
        if strings(&statement["Resource"]).iter().any(|r| r == "*") {
            let explained = actions.iter().all(|action| {
                justified
                    .iter()
                    .any(|j| j["Resource"] == name && j["Action"] == action.as_str())
            });
            if !explained {
                violation(
                    "`*` resource only where AWS offers none narrower, with the reason in metadata",
                    format!("actions {actions:?} on *"),
                );
            }
        }
    }
}

fn egress(properties: &Value, violation: &mut impl FnMut(&'static str, String)) {
    let rules: Vec<&Value> = match properties.get("SecurityGroupEgress") {
        Some(Value::Array(rules)) => rules.iter().collect(),
        _ if properties.get("DestinationSecurityGroupId").is_some()
            || properties.get("CidrIp").is_some() =>
        {
            vec![properties]
        }
        _ => Vec::new(),
    };
    for rule in rules {
        let (from, to) = (rule["FromPort"].as_i64(), rule["ToPort"].as_i64());
        let ports_ok = from == to && from.is_some_and(|p| ALLOWED_EGRESS_PORTS.contains(&p));
        if !ports_ok {
            violation(
                "egress on 443 and 5432 only",
                format!("ports {from:?}-{to:?}"),
            );
        }
        if from == Some(5432) && rule.get("CidrIp").is_some() {
            violation(
                "PostgreSQL only to the database's security group",
                format!("5432 to {}", rule["CidrIp"]),
            );
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn references(template: &Template, found: &mut Vec<Violation>) {
    let known: BTreeSet<&str> = template
        .parameters
        .names()
        .chain(template.resources.names())
        .collect();
    let mut visit = |at: &str, value: &Value| {
        let mut unknown = Vec::new();
        walk(value, &BTreeSet::new(), &mut |name| {
            if !name.starts_with("AWS::") && !known.contains(name) {
                unknown.push(name.to_owned());
            }
        });
        for name in unknown {
            found.push(Violation {
                at: at.to_owned(),
                rule: "every reference resolves",
                detail: format!("`{name}` is neither a parameter nor a resource"),
            });
        }
    };
    for (name, resource) in template.resources.iter() {
        visit(name, &resource.properties);
    }
    for (name, output) in template.outputs.iter() {
        visit(name, &serde_json::to_value(output).unwrap_or_default());
    }
    for (name, condition) in template.conditions.iter() {
        visit(name, condition);
    }
}

/// Calls `named` with every name a value refers to; `local` are `Fn::Sub` variables in scope.
fn walk(value: &Value, local: &BTreeSet<String>, named: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("Ref") {
                named(name);
            }
            if let Some(Value::Array(args)) = map.get("Fn::GetAtt")
                && let Some(Value::String(resource)) = args.first()
            {
                named(resource);
            }
            match map.get("Fn::Sub") {
                Some(Value::String(text)) => sub_names(text, local, named),
                Some(Value::Array(args)) => {
                    let mut scope = local.clone();
                    if let Some(Value::Object(variables)) = args.get(1) {
                        scope.extend(variables.keys().cloned());
                        for variable in variables.values() {
                            walk(variable, local, named);
                        }
                    }
                    if let Some(Value::String(text)) = args.first() {
                        sub_names(text, &scope, named);
                    }
                }
                _ => {}
            }
            for (key, inner) in map {
                if key != "Fn::Sub" {
                    walk(inner, local, named);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, local, named)),
        _ => {}
    }
}

/// The names in `${Name}` and `${Resource.Attribute}`; `${!Literal}` is text.
fn sub_names(text: &str, local: &BTreeSet<String>, named: &mut impl FnMut(&str)) {
    for part in text.split("${").skip(1) {
        let Some(inner) = part.split('}').next() else {
            continue;
        };
        if inner.starts_with('!') {
            continue;
        }
        let name = inner.split('.').next().unwrap_or(inner);
        if !local.contains(name) {
            named(name);
        }
    }
}

#[cfg(test)]
mod tests;
