//! `fredbatch run MODEL_DIR`: register a job from a model directory and run it.

use std::process::ExitCode;

use anyhow::bail;
use fredbatch_core::BackendKind;

use crate::Context;
use crate::backend::{choose, connect_new};
use crate::commands::args::{BackendArgs, BudgetArgs, ModelArgs, RetryArgs, RunResourceArgs};
use crate::commands::estimate::Estimate;
use crate::commands::job_size::decide;
use crate::commands::register::{HowItRuns, prepare};
use crate::commands::supervised::{print_job, submit_and_watch};
use crate::joblock::JobLock;
use crate::model_check::{can_check_here, check_model, this_machines_checker};
use crate::output::emit;

/// Run a FRED model: register a job, store its inputs, run every run, and report.
///
/// Exits 0 only if every run ends DONE. A job holds one configuration, or one per combination
/// of `--sweep` values (or per row of a `--design` file); each configuration runs `--runs`
/// times as FRED runs 1, 2, ... (`-r`), so configurations are compared on common random
/// numbers and FRED run 3 of the same model always gives the same result. The job numbers
/// its runs 1, 2, ... across every configuration (the Run column of `fredbatch status`).
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch run examples/influenza --runs 4\n  \
    fredbatch run examples/influenza --runs 100 --param days=30 --param INF.transmissibility=1.2\n  \
    fredbatch run examples/influenza --runs 20 --sweep INF.transmissibility=1.2,1.5,1.8 --sweep days=60,90\n  \
    fredbatch run examples/influenza --runs 20 --design designs/transmissibility.csv\n  \
    fredbatch run my-model --program model.fred --vcpus 2 --memory 4096 --detach")]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Return once the runs are submitted; follow with `fredbatch status`.
    #[arg(long)]
    pub detach: bool,
    /// Run even if FRED's check of the model warns that it would ignore part of it (a key it
    /// does not know, most often misspelt). Without it, such a job is refused before anything
    /// is stored; its runs' warnings are kept and shown either way.
    #[arg(long)]
    pub allow_warnings: bool,
    /// Run every run, even those identical to a run DONE before. Without it, a run with the
    /// same engine, model files, overrides and FRED run number (or seed) as a DONE run takes
    /// that run's results at once, without running FRED or copying anything
    /// (`fredbatch status JOB --run N` says which run it took them from, or why it ran).
    #[arg(long)]
    pub no_reuse: bool,
    #[command(flatten)]
    pub resources: RunResourceArgs,
    #[command(flatten)]
    pub retries: RetryArgs,
    #[command(flatten)]
    pub cost: BudgetArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub async fn run(args: RunArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let kind = choose(&args.backend);
    let budget = args.cost.budget()?;
    // Everything about the model is checked before anything is connected or stored.
    let prepared = prepare(&args.model)?;
    let history = ctx.settings.open_existing_store().await?;
    let size = decide(&args.resources, kind, &prepared, history.as_ref()).await?;
    let capacity = args.backend.capacity().resolve();
    if args.cost.estimate {
        let estimate = Estimate::new(prepared.run_count(), kind, &size, capacity);
        emit(ctx.output, &estimate)?;
        return Ok(ExitCode::SUCCESS);
    }
    let resources = size.resources;
    let retry_policy = args
        .retries
        .policy(&resources, args.backend.capacity.max_memory)?;
    if kind == BackendKind::Local && !resources.fits_in(&capacity) {
        bail!(
            "each run asks for {resources}, but this machine offers at most {capacity} to runs; \
             lower --vcpus/--memory, or raise --max-vcpus/--max-memory if the machine really has more"
        );
    }
    if kind == BackendKind::Local && ctx.settings.fred_home.is_none() {
        ctx.note("FRED_HOME is not set: using the built-in demo engine (set FRED_HOME to run real FRED).");
    }
    let checks_here = can_check_here(kind, &ctx.settings);
    if checks_here {
        let checker = this_machines_checker(&ctx.settings)?;
        check_model(ctx, &checker, prepared.to_check(), args.allow_warnings).await?;
    } else {
        ctx.note(&format!(
            "FRED_HOME is not set, so this machine cannot check the model with FRED's check \
             mode: the job's first run on the {kind} backend is the check, and its other runs \
             are submitted only if it ends without FRED's errors or warnings."
        ));
    }

    let mut settings = ctx.settings.clone();
    let backend = connect_new(kind, &args.backend, resources, &mut settings).await?;
    let ctx = &ctx.with_settings(settings);
    let store = match history {
        Some(store) => store,
        None => ctx.settings.open_store().await?,
    };
    let job = prepared
        .register(
            ctx,
            &store,
            &args.resources,
            HowItRuns {
                size,
                budget,
                backend: backend.target,
                retry_policy,
                first_run_checks: !checks_here,
                reuse: !args.no_reuse,
            },
        )
        .await?;

    if kind == BackendKind::Local && args.detach {
        let log = crate::commands::resume::spawn_detached(
            &ctx.settings,
            job.id,
            args.backend.capacity(),
        )?;
        ctx.note(&format!(
            "Running in the background (log: {}). Follow it with `fredbatch status {}`.",
            log.display(),
            job.id
        ));
        print_job(ctx, &job);
        return Ok(ExitCode::SUCCESS);
    }
    let _lock = match kind {
        BackendKind::Local => Some(JobLock::acquire(&ctx.settings.lock_dir(), job.id)?),
        BackendKind::AwsBatch | BackendKind::Slurm => None,
    };
    submit_and_watch(ctx, &store, backend.runner, &job, args.detach).await
}
