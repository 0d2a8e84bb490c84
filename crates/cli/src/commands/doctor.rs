//! `fredbatch doctor`: checks the AWS Batch deployment runs go to for the troubleshooting
//! causes of the design this project implements (`docs/design.md`), or the Slurm partition
//! (`--backend slurm`), and says what to do about each problem.

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use fredbatch_batch::BatchRunner;
use fredbatch_batch::doctor::{DoctorOptions, diagnose};

use crate::Context;
use fredbatch_core::SlurmTarget;

use crate::backend::{BackendArg, slurm_runner};
use crate::commands::args::SlurmArgs;
use crate::output::{emit, table};

/// Check the AWS Batch queue, compute environments, On-Demand fallback queue (On-Demand, not
/// Spot; or what runs Spot keeps interrupting do without one), job definition and log group,
/// and find runs stuck RUNNABLE or failing; or, with `--backend slurm`, the partition, its nodes, and
/// why a job's runs are pending.
///
/// Exits 1 when something needs fixing. Uses the stack named by --stack, or
/// AWS_BATCH_JOB_QUEUE and AWS_BATCH_JOB_DEFINITION, and the standard AWS configuration.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch doctor --stack fred-batch-dev\n  \
    fredbatch doctor --stuck-after 10m --failures-since 2h --output json\n  \
    fredbatch doctor --backend slurm --partition compute --job 12")]
pub struct DoctorArgs {
    /// Which backend to check: `aws` (the default) or `slurm`.
    #[arg(long, value_enum, env = "FREDBATCH_BACKEND")]
    pub backend: Option<BackendArg>,
    /// With --backend slurm: group this job's pending runs by Slurm's reason.
    #[arg(long, value_name = "JOB_ID")]
    pub job: Option<fredbatch_core::JobId>,
    #[command(flatten)]
    pub slurm: SlurmArgs,
    /// The deployed AWS Batch stack to check.
    #[arg(long, value_name = "NAME", env = "FREDBATCH_STACK")]
    pub stack: Option<String>,
    /// Runs RUNNABLE for longer than this count as stuck (e.g. `10m`, `1h`).
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub stuck_after: Duration,
    /// Report failures that ended within this long.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub failures_since: Duration,
}

pub async fn run(args: DoctorArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    match args.backend {
        Some(BackendArg::Slurm) => return slurm(args, ctx).await,
        Some(BackendArg::Local) => anyhow::bail!(
            "the local executor has nothing to check: doctor checks AWS Batch (--stack) or Slurm (--backend slurm)"
        ),
        Some(BackendArg::Aws) | None => {}
    }
    let connection = fredbatch_batch::stack::connect(args.stack.as_deref()).await?;
    let runner = BatchRunner::with_clients(connection.config, connection.clients);
    let report = diagnose(
        &runner,
        DoctorOptions {
            runnable_threshold: args.stuck_after,
            failures_since: args.failures_since,
            now: Utc::now(),
        },
    )
    .await?;
    emit(ctx.output, &report)?;
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn slurm(args: DoctorArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let target = SlurmTarget {
        partition: args.slurm.partition.clone(),
        account: args.slurm.account.clone(),
        qos: args.slurm.qos.clone(),
        extra_args: args.slurm.slurm_args.clone(),
        log_dir: ctx.settings.log_dir().join("slurm"),
    };
    let runner = slurm_runner(&ctx.settings, &target)?;
    let report = SlurmDoctor(runner.doctor(args.job).await?);
    emit(ctx.output, &report)?;
    Ok(
        if report.0.partition.problem.is_none() && report.0.pending.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// The Slurm findings, for people and for scripts.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct SlurmDoctor(fredbatch_slurm::doctor::Report);

impl std::fmt::Display for SlurmDoctor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let report = &self.0;
        let partition = &report.partition;
        match &partition.problem {
            None => writeln!(
                f,
                "ok   partition {} is {}",
                partition.name, partition.state
            )?,
            Some(problem) => writeln!(f, "FIX  {problem}")?,
        }
        if !report.nodes.is_empty() {
            let mut nodes = table(["Nodes", "State", "Names"]);
            for group in &report.nodes {
                nodes.add_row([
                    group.nodes.len().to_string(),
                    group.state.clone(),
                    group.nodes.join(", "),
                ]);
            }
            writeln!(f, "{nodes}")?;
        }
        if report.pending.is_empty() {
            write!(f, "No pending runs to explain.")
        } else {
            let mut pending = table(["Runs pending", "Slurm's reason", "What to do"]);
            for group in &report.pending {
                pending.add_row([
                    group.runs.to_string(),
                    group.reason.clone(),
                    group.advice.clone(),
                ]);
            }
            write!(f, "{pending}")
        }
    }
}
