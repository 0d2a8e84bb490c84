//! `fredbatch infra`: the AWS infrastructure as code. `template` prints a stack's CloudFormation
//! template (the committed files under `infrastructure/templates/` are exactly this output),
//! `validate` checks every template, and the rest deploy and inspect the Sceptre project's
//! stacks without Python.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use fredbatch_infra::checks::check;
use fredbatch_infra::cloudformation::{
    Deployer, StackChange, TemplateValidator, load_aws_config, parse_overrides,
};
use fredbatch_infra::contract::output as stack_output;
use fredbatch_infra::health::{StackHealth, stack_health};
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
    /// of the environment's deployed batch stack.
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
        InfraCommand::Validate(args) => validate(args, ctx).await,
        InfraCommand::Deploy(args) => deploy(args, ctx).await,
        InfraCommand::Status(args) => status(args, ctx).await,
        InfraCommand::Outputs(args) => outputs(args, ctx).await,
        InfraCommand::Delete(args) => delete(args, ctx).await,
        InfraCommand::Env(args) => env(args, ctx).await,
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

async fn validate(args: ValidateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
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

async fn status(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    emit(ctx.output, &states(&args, false).await?)?;
    Ok(ExitCode::SUCCESS)
}

async fn outputs(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    emit(ctx.output, &states(&args, true).await?)?;
    Ok(ExitCode::SUCCESS)
}

/// The two variables the AWS Batch backend reads, from the deployed batch stack.
async fn env(args: ProjectArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
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
    if ctx.output.is_json() {
        println!(
            "{}",
            serde_json::json!({
                "AWS_BATCH_JOB_DEFINITION": definition,
                "AWS_BATCH_JOB_QUEUE": queue,
                "FREDBATCH_STACK": deployed.name,
            })
        );
    } else {
        println!("export AWS_BATCH_JOB_DEFINITION={definition}");
        println!("export AWS_BATCH_JOB_QUEUE={queue}");
    }
    Ok(ExitCode::SUCCESS)
}
