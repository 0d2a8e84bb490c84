//! `fredbatch infra status`, `outputs` and `env`: what CloudFormation says about an
//! environment's deployed stacks.

use std::process::ExitCode;

use anyhow::Context as _;
use fredbatch_batch::config::FALLBACK_QUEUE_VAR;
use fredbatch_infra::contract::output as stack_output;
use fredbatch_infra::health::{StackHealth, stack_health};
use serde::Serialize;

use super::{ProjectArgs, deployer};
use crate::Context;
use crate::output::emit;

#[derive(Serialize)]
struct StackStates {
    stacks: Vec<StackState>,
}

#[derive(Serialize)]
struct StackState {
    path: String,
    name: String,
    /// `NOT DEPLOYED` or CloudFormation's status.
    status: String,
    outputs: std::collections::BTreeMap<String, String>,
    #[serde(skip)]
    show_outputs: bool,
}

impl std::fmt::Display for StackStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for stack in &self.stacks {
            writeln!(f, "{:<22} {} ({})", stack.status, stack.name, stack.path)?;
            if stack.show_outputs {
                for (key, value) in &stack.outputs {
                    writeln!(f, "    {key} = {value}")?;
                }
            }
        }
        Ok(())
    }
}

async fn states(args: &ProjectArgs, show_outputs: bool) -> anyhow::Result<StackStates> {
    let deployer = deployer(args).await?;
    let stacks = deployer
        .status(args.env)
        .await?
        .into_iter()
        .map(|(path, deployed)| StackState {
            name: deployer.project().stack_name(&path),
            path,
            status: deployed
                .as_ref()
                .map_or("NOT DEPLOYED", |d| d.status.as_str())
                .to_owned(),
            outputs: deployed.map(|d| d.outputs).unwrap_or_default(),
            show_outputs,
        })
        .collect();
    Ok(StackStates { stacks })
}

pub(super) async fn status(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    emit(ctx.output, &states(&args, false).await?)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn outputs(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    emit(ctx.output, &states(&args, true).await?)?;
    Ok(ExitCode::SUCCESS)
}

/// The variables the AWS Batch backend reads, from the deployed batch stack: its queue and job
/// definition, and its On-Demand fallback queue when it has one.
pub(super) async fn env(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let deployed = deployer(&args).await?.batch_stack(args.env).await?;
    // The same policy `fredbatch run --stack` applies: no variables for a stack runs cannot use.
    if stack_health(&deployed.status) != StackHealth::Usable {
        anyhow::bail!(
            "stack {} is {}: runs cannot use it; see `fredbatch infra status --env {}`",
            deployed.name,
            deployed.status,
            args.env
        );
    }
    let output =
        |key: &str| {
            deployed.outputs.get(key).cloned().with_context(|| {
                format!("stack {} has no output {key}; redeploy it", deployed.name)
            })
        };
    let (definition, queue) = (
        output(stack_output::JOB_DEFINITION_ARN)?,
        output(stack_output::JOB_QUEUE_NAME)?,
    );
    let fallback = deployed
        .outputs
        .get(stack_output::FALLBACK_JOB_QUEUE_NAME)
        .cloned();
    if ctx.output.is_json() {
        let mut variables = serde_json::json!({
            "AWS_BATCH_JOB_DEFINITION": definition,
            "AWS_BATCH_JOB_QUEUE": queue,
            "FREDBATCH_STACK": deployed.name,
        });
        if let Some(fallback) = &fallback {
            variables[FALLBACK_QUEUE_VAR] = fallback.as_str().into();
        }
        println!("{variables}");
    } else {
        println!("export AWS_BATCH_JOB_DEFINITION={definition}");
        println!("export AWS_BATCH_JOB_QUEUE={queue}");
        if let Some(fallback) = fallback {
            println!("export {FALLBACK_QUEUE_VAR}={fallback}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
