//! `fredbatch infra`: the AWS infrastructure as code. `template` prints a stack's CloudFormation
//! template (the committed files under `infrastructure/templates/` are exactly this output),
//! `validate` checks every template, and the rest deploy and inspect the Sceptre project's
//! stacks without Python.
//!
//! `validate` lives in [`validate`]; `status`, `outputs` and `env`, which read deployed stacks,
//! in [`deployed`].

use std::path::PathBuf;
use std::process::ExitCode;

mod deployed;
mod validate;

use anyhow::Context as _;
use fredbatch_infra::cloudformation::{Deployer, StackChange, load_aws_config, parse_overrides};
use fredbatch_infra::project::Project;
use fredbatch_infra::stacks::{self, Environment};
use serde::Serialize;

use crate::Context;
use crate::output::emit;

/// Build, check and deploy the AWS Batch stack and the stacks it depends on.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch infra template -o infrastructure/templates/batch/batch-infrastructure.json\n  \
    fredbatch infra validate\n  \
    fredbatch infra deploy --env dev --dry-run\n  \
    eval \"$(fredbatch infra env --env dev)\"")]
pub struct InfraArgs {
    #[command(subcommand)]
    pub command: InfraCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum InfraCommand {
    Template(TemplateArgs),
    Validate(ValidateArgs),
    Deploy(DeployArgs),
    /// Show each stack of an environment and its CloudFormation state.
    Status(ProjectArgs),
    /// Show each deployed stack's outputs.
    Outputs(ProjectArgs),
    /// Delete an environment's stacks, dependents first (the shared image repository stays).
    Delete(ProjectArgs),
    /// Print the `export AWS_BATCH_JOB_DEFINITION=...` and `AWS_BATCH_JOB_QUEUE=...` lines
    /// of the environment's deployed batch stack (and `AWS_BATCH_FALLBACK_JOB_QUEUE=...` when
    /// it has an On-Demand fallback).
    Env(ProjectArgs),
}

/// Which environment of which Sceptre project.
#[derive(clap::Args, Debug)]
pub struct ProjectArgs {
    #[arg(long, default_value = "dev", value_parser = parse_environment)]
    pub env: Environment,
    /// The Sceptre project: the folder with config/ and templates/.
    #[arg(long, default_value = "infrastructure", value_name = "DIR")]
    pub project: PathBuf,
}

/// Create or update an environment's stacks in dependency order, as `sceptre launch` would.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The network comes from FREDBATCH_VPC_ID and FREDBATCH_SUBNET_IDS \
    (comma-separated), as the Sceptre configuration reads them.\n\nExamples:\n  \
    fredbatch infra deploy --env dev --dry-run\n  \
    fredbatch infra deploy --env production --param MaxvCpus=512 --param DatabaseSecurityGroupId=sg-0abc"
)]
pub struct DeployArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Set a parameter of the batch stack (KEY=VALUE) or of another (STACK_PATH:KEY=VALUE);
    /// repeat for more. Replaces what the Sceptre file says.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Show what would be created or changed, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Print a stack's CloudFormation template.
#[derive(clap::Args, Debug)]
pub struct TemplateArgs {
    /// Which stack: batch-infrastructure, database-secrets, s3-upload-bucket,
    /// s3-results-bucket or simulation-runner-ecr.
    #[arg(default_value = "batch-infrastructure")]
    pub stack: String,
    /// The environment the template's parameters default to.
    #[arg(long, default_value = "dev", value_parser = parse_environment)]
    pub env: Environment,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Check every template: fredbatch's own checks offline (references resolve, least privilege
/// holds), then CloudFormation's ValidateTemplate when AWS credentials are configured.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    #[arg(long, default_value = "dev", value_parser = parse_environment)]
    pub env: Environment,
    /// Only the offline checks, even with AWS credentials at hand.
    #[arg(long)]
    pub offline: bool,
}

fn parse_environment(text: &str) -> Result<Environment, String> {
    text.parse()
        .map_err(|e: stacks::UnknownEnvironment| e.to_string())
}

pub async fn run(args: InfraArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.command {
        InfraCommand::Template(args) => template(args),
        InfraCommand::Validate(args) => validate::validate(args, ctx).await,
        InfraCommand::Deploy(args) => deploy(args, ctx).await,
        InfraCommand::Status(args) => deployed::status(args, ctx).await,
        InfraCommand::Outputs(args) => deployed::outputs(args, ctx).await,
        InfraCommand::Delete(args) => delete(args, ctx).await,
        InfraCommand::Env(args) => deployed::env(args, ctx).await,
    }
}

fn template(args: TemplateArgs) -> anyhow::Result<ExitCode> {
    let Some(stack) = stacks::named(&args.stack, args.env) else {
        let known: Vec<String> = stacks::all(args.env)
            .iter()
            .filter_map(|s| {
                std::path::Path::new(s.path)
                    .file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .collect();
        anyhow::bail!(
            "there is no stack `{}`; the stacks are {}",
            args.stack,
            known.join(", ")
        );
    };
    let text = stack.template.to_json();
    match args.file {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A deployer for the project's stacks, with the standard AWS configuration in the project's
/// region (unless `AWS_REGION` names another).
async fn deployer(args: &ProjectArgs) -> anyhow::Result<Deployer> {
    let project = Project::load(&args.project)?;
    let sdk = load_aws_config(Some(&project.region)).await;
    Ok(Deployer::new(
        &sdk,
        project,
        Box::new(|line| eprintln!("{line}")),
    ))
}

#[derive(Serialize)]
struct Changes {
    env: String,
    stacks: Vec<StackChange>,
}

impl std::fmt::Display for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for stack in &self.stacks {
            write!(f, "{:<14} {}", stack.action, stack.name)?;
            for change in &stack.changes {
                write!(f, "\n               {change}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

async fn deploy(args: DeployArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let env = args.project.env;
    let overrides = parse_overrides(env, &args.params)?;
    let deployer = deployer(&args.project).await?;
    let stacks = deployer.deploy(env, &overrides, args.dry_run).await?;
    emit(
        ctx.output,
        &Changes {
            env: env.to_string(),
            stacks,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn delete(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let deployer = deployer(&args).await?;
    let stacks = deployer.delete(args.env).await?;
    emit(
        ctx.output,
        &Changes {
            env: args.env.to_string(),
            stacks,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
