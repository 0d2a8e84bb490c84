//! `fredbatch doctor`: checks the AWS Batch deployment runs go to for the troubleshooting
//! causes of the design this project implements (`docs/design.md`), and says what to do about
//! each problem.

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use fredbatch_batch::BatchRunner;
use fredbatch_batch::doctor::{DoctorOptions, diagnose};

use crate::Context;
use crate::output::emit;

/// Check the AWS Batch queue, compute environments, job definition and log group, and find
/// runs stuck RUNNABLE or failing.
///
/// Exits 1 when something needs fixing. Uses the stack named by --stack, or
/// AWS_BATCH_JOB_QUEUE and AWS_BATCH_JOB_DEFINITION, and the standard AWS configuration.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch doctor --stack fred-batch-dev\n  \
    fredbatch doctor --stuck-after 10m --failures-since 2h --output json")]
pub struct DoctorArgs {
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
