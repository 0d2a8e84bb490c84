//! `fredbatch profile MODEL_DIR`: run the model on this machine, read each
//! run's measured CPU time and peak memory, and recommend the job definition's size, the
//! instance types that pack it best, and its cost per run beside the stack's default job definition.

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use fredbatch_core::model::Measurements;
use fredbatch_core::{AttemptStatus, Job, JobId, Resources, RetryPolicy};
use fredbatch_core::{BackendKind, BackendTarget, SizeOrigin};
use fredbatch_cost::estimate::parse_fraction;
use fredbatch_cost::sizing::{Comparison, Recommendation, compare, recommend};
use fredbatch_cost::{Market, PriceTable, usd};
use fredbatch_store::Store;
use fredbatch_supervisor::Supervisor;
use serde::Serialize;

use crate::Context;
use crate::backend::{LocalCapacity, local_executor};
use crate::commands::args::{ModelArgs, RunResourceArgs};
use crate::commands::cost::PricingArgs;
use crate::commands::job_size::JobSize;
use crate::commands::register::{HowItRuns, prepare};
use crate::joblock::JobLock;
use crate::output::{emit, table};
use crate::progress::Progress;

/// Measure a model's runs on this machine and recommend the vCPUs and memory per run.
///
/// Runs the model on this machine whatever backend the environment selects (a job you can
/// inspect afterwards with `fredbatch status`), takes each successful attempt's CPU-seconds
/// and peak RSS, and prints the size to ask for, how it packs onto instance types, and what a
/// run costs at that size beside the stack's default job definition (4 vCPU / 8192 MB), with
/// the command and template parameters that apply it. Sweeps (`--sweep`, `--design`) measure
/// every configuration.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch profile examples/influenza --runs 4\n  \
    fredbatch profile my-model --memory-headroom 50% --instance-types c5.xlarge,c5.2xlarge")]
#[command(mut_arg("runs", |arg| arg.default_value("3")))]
pub struct ProfileArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// How many runs to measure at once. One at a time by default: runs that share the
    /// machine's cores wait for each other, which stretches their wall time, the time a
    /// reservation is paid for.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallel: u32,
    /// Memory added above the largest measured peak (e.g. `25%`).
    #[arg(long, default_value = "25%", value_parser = parse_fraction)]
    pub memory_headroom: f64,
    #[command(flatten)]
    pub pricing: PricingArgs,
}

pub async fn run(args: ProfileArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if args.pricing.show_table(ctx)? {
        return Ok(ExitCode::SUCCESS);
    }
    let table = args.pricing.table()?;
    let store = ctx.settings.open_store().await?;
    let job = run_job(&args, ctx, &store).await?;
    let mut measured = Vec::new();
    for run in store.runs(job.id).await? {
        for attempt in store.attempts(run.id).await? {
            if let (AttemptStatus::Succeeded, Some(m)) = (attempt.status, attempt.measurements) {
                measured.push((run.run_number, m));
            }
        }
    }
    let report = profile(&table, &args, job.id, measured)?;
    emit(ctx.output, &report)?;
    Ok(ExitCode::SUCCESS)
}

/// Registers the model as a local job and runs it to the end here (every run computed: a
/// reused result measures nothing), one vCPU per run and
/// `--parallel` runs at once, with progress on stderr.
async fn run_job(args: &ProfileArgs, ctx: &Context, store: &Store) -> anyhow::Result<Job> {
    let prepared = prepare(&args.model)?;
    let resources = RunResourceArgs {
        vcpus: Some(1),
        memory: None,
        attempts: 3,
        timeout: Duration::from_secs(4 * 3600),
    };
    let key = prepared.size_key();
    let job = prepared
        .register(
            ctx,
            store,
            &resources,
            HowItRuns {
                // Given, and measured for later jobs of the same model to learn from.
                size: JobSize {
                    resources: resources.resources(BackendKind::Local),
                    origin: SizeOrigin::Given,
                    key,
                    history: Vec::new(),
                },
                budget: None,
                backend: BackendTarget::Local,
                retry_policy: RetryPolicy::default(),
                first_run_checks: false,
                reuse: false,
            },
        )
        .await?;
    let _lock = JobLock::acquire(&ctx.settings.lock_dir(), job.id)?;
    let capacity = LocalCapacity {
        vcpus: Some(args.parallel),
        memory_mb: None,
    };
    let runner = Arc::new(local_executor(&ctx.settings, capacity)?);
    let supervisor = Supervisor::new(store.clone(), runner);
    supervisor.submit(&job).await?;
    let mut progress = Progress::new(job.run_count, ctx.output.is_json());
    let ended = supervisor
        .run_to_end(
            &job,
            Duration::from_millis(100),
            |counts| progress.update(counts),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        )
        .await;
    progress.finish();
    if !ended? {
        store.request_cancel(job.id, None).await?;
        bail!(
            "interrupted; the profiling job {} was cancelled (`fredbatch resume {}` runs it again)",
            job.id,
            job.id
        );
    }
    let counts = store.status_counts(job.id).await?;
    if counts.done != counts.total() {
        bail!(
            "not every run of the profiling job {} succeeded, so its measurements would \
             mislead; see `fredbatch status {}` (it lists each failed run's reason and id; \
             `fredbatch logs RUN_ID` shows a run's log)",
            job.id,
            job.id
        );
    }
    Ok(job)
}

fn profile(
    table: &PriceTable,
    args: &ProfileArgs,
    job_id: JobId,
    measured: Vec<(u32, Measurements)>,
) -> anyhow::Result<ProfileReport> {
    let only: Vec<Measurements> = measured.iter().map(|(_, m)| *m).collect();
    let recommendation = recommend(&only, args.memory_headroom)?;
    let market = args.pricing.market();
    let types = args.pricing.types_or(Vec::new());
    let comparison = compare(table, &only, &recommendation, market, &types)?;
    Ok(ProfileReport {
        job_id,
        model_dir: args.model.model_dir.display().to_string(),
        runs: measured
            .into_iter()
            .map(|(run_number, m)| MeasuredRun {
                run_number,
                wall_seconds: m.wall_seconds,
                cpu_seconds: m.cpu_seconds,
                cores_busy: m.cpu_seconds / m.wall_seconds.max(1e-9),
                peak_rss_mib: m.peak_rss_kb as f64 / 1024.0,
            })
            .collect(),
        run_command: recommendation.run_command(&args.model.model_dir.display().to_string()),
        template_parameters: recommendation.template_parameters(),
        recommendation,
        comparison,
        prices: table.source(),
    })
}

#[derive(Serialize)]
struct MeasuredRun {
    run_number: u32,
    wall_seconds: f64,
    cpu_seconds: f64,
    cores_busy: f64,
    peak_rss_mib: f64,
}

#[derive(Serialize)]
struct ProfileReport {
    job_id: JobId,
    model_dir: String,
    runs: Vec<MeasuredRun>,
    recommendation: Recommendation,
    comparison: Comparison,
    run_command: String,
    template_parameters: String,
    prices: String,
}

impl fmt::Display for ProfileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.recommendation;
        let c = &self.comparison;
        let n = self.runs.len().max(1) as f64;
        writeln!(
            f,
            "Profiled job {}: {} measured run(s) of {}: wall {:.2} s, {:.2} cores busy, peak RSS {:.1} MiB (means).",
            self.job_id,
            self.runs.len(),
            self.model_dir,
            self.runs.iter().map(|m| m.wall_seconds).sum::<f64>() / n,
            self.runs.iter().map(|m| m.cores_busy).sum::<f64>() / n,
            self.runs.iter().map(|m| m.peak_rss_mib).sum::<f64>() / n,
        )?;
        writeln!(
            f,
            "Recommended per run: {} vCPU, {} MB.",
            r.vcpus, r.memory_mb
        )?;
        writeln!(f, "  ({})", r.rule)?;
        let market = match c.market {
            Market::Spot => "Spot",
            Market::OnDemand => "On-Demand",
        };
        writeln!(
            f,
            "Instance types that pack such runs best ({market}; best size per family):"
        )?;
        let mut t = table([
            "Type",
            "Runs/instance",
            "vCPU reserved",
            "Memory reserved",
            "$ per run-hour",
        ]);
        // The best size of each family: other sizes of a family pack the same way.
        let mut families = Vec::new();
        for p in std::iter::once(&c.right_sized).chain(c.alternatives.iter()) {
            if families.contains(&&p.family) || families.len() == 6 {
                continue;
            }
            families.push(&p.family);
            t.add_row([
                p.instance.clone(),
                p.runs_per_instance.to_string(),
                format!("{:.0}%", p.vcpu_reserved * 100.0),
                format!("{:.0}%", p.memory_reserved * 100.0),
                format!("{:.5}", p.hourly_per_run),
            ]);
        }
        writeln!(f, "{t}")?;
        writeln!(
            f,
            "Cost per run ({market}, measured wall time), and per 1,000 runs:"
        )?;
        let mut t = table(["Size", "On", "Per run", "Per 1,000 runs", "× floor"]);
        t.add_row([
            format!(
                "stack default: {} vCPU, {} MB",
                Resources::AWS_DEFAULT.vcpus,
                Resources::AWS_DEFAULT.memory_mb
            ),
            format!(
                "{} ({}/instance)",
                c.stack_default.instance, c.stack_default.runs_per_instance
            ),
            usd(c.stack_default_per_run),
            usd(c.stack_default_per_run * 1000.0),
            format!("{:.2}x", c.stack_default_over_floor),
        ]);
        t.add_row([
            format!("right-sized: {} vCPU, {} MB", r.vcpus, r.memory_mb),
            format!(
                "{} ({}/instance)",
                c.right_sized.instance, c.right_sized.runs_per_instance
            ),
            usd(c.right_sized_per_run),
            usd(c.right_sized_per_run * 1000.0),
            format!("{:.2}x", c.right_sized_over_floor),
        ]);
        t.add_row([
            "floor: CPU and memory used".to_owned(),
            format!("{} family", c.right_sized.family),
            usd(c.floor_per_run),
            usd(c.floor_per_run * 1000.0),
            "1.00x".to_owned(),
        ]);
        writeln!(f, "{t}")?;
        writeln!(f, "Apply it:")?;
        writeln!(f, "  {}", self.run_command)?;
        writeln!(
            f,
            "  stack template parameters: {}",
            self.template_parameters
        )?;
        write!(f, "{}", self.prices)
    }
}
