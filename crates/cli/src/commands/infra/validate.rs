//! `fredbatch infra validate`: fredbatch's own offline checks of every template, then
//! CloudFormation's ValidateTemplate when AWS credentials are configured.

use std::path::PathBuf;
use std::process::ExitCode;

use fredbatch_infra::checks::check;
use fredbatch_infra::cloudformation::{TemplateValidator, load_aws_config};
use fredbatch_infra::stacks;
use serde::Serialize;

use super::ValidateArgs;
use crate::Context;
use crate::output::emit;

#[derive(Serialize)]
struct Validation {
    stacks: Vec<StackValidation>,
    /// Whether CloudFormation itself validated the templates too.
    cloudformation: bool,
}

#[derive(Serialize)]
struct StackValidation {
    path: &'static str,
    problems: Vec<String>,
}

impl std::fmt::Display for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for stack in &self.stacks {
            if stack.problems.is_empty() {
                writeln!(f, "ok      {}", stack.path)?;
            } else {
                writeln!(f, "FAILED  {}", stack.path)?;
                for problem in &stack.problems {
                    writeln!(f, "        {problem}")?;
                }
            }
        }
        let failed = self
            .stacks
            .iter()
            .filter(|s| !s.problems.is_empty())
            .count();
        let by = match self.cloudformation {
            true => "fredbatch's checks and CloudFormation's ValidateTemplate",
            false => "fredbatch's checks (no AWS credentials: CloudFormation was not asked)",
        };
        match failed {
            0 => write!(f, "Every template passes {by}."),
            n => write!(f, "{n} template(s) need fixing."),
        }
    }
}

pub(super) async fn validate(args: ValidateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let validator = match !args.offline && has_aws_credentials() {
        true => Some(TemplateValidator::new(&load_aws_config(None).await)),
        false => None,
    };
    let mut report = Validation {
        stacks: Vec::new(),
        cloudformation: validator.is_some(),
    };
    for stack in stacks::all(args.env) {
        let mut problems: Vec<String> = check(&stack.template)
            .iter()
            .map(ToString::to_string)
            .collect();
        if let Some(validator) = &validator {
            let answer = validator
                .validate(stack.path, stack.template.to_json())
                .await;
            if let Err(error) = answer {
                problems.push(error.to_string());
            }
        }
        report.stacks.push(StackValidation {
            path: stack.path,
            problems,
        });
    }
    emit(ctx.output, &report)?;
    let clean = report.stacks.iter().all(|s| s.problems.is_empty());
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether the standard AWS configuration names credentials, checked without calling AWS (the
/// instance metadata service would make a laptop wait).
fn has_aws_credentials() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let files = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"]
        .iter()
        .filter_map(|name| std::env::var_os(name).map(PathBuf::from))
        .chain(
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .into_iter()
                .flat_map(|home| [home.join(".aws/credentials"), home.join(".aws/config")]),
        )
        .any(|path| path.is_file());
    set("AWS_ACCESS_KEY_ID")
        || set("AWS_PROFILE")
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        || files
}
