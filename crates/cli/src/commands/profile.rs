//! `fredbatch profile MODEL_DIR`: run the model locally through `fredbatch run`, read each
//! run's measured CPU time and peak memory, and recommend the job definition's size, the
//! instance types that pack it best, and its cost per run beside the seed's default.

use std::fmt;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};

use anyhow::{Context as _, bail};
use fredbatch_core::model::Measurements;
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{AttemptStatus, JobId};
use fredbatch_cost::estimate::parse_fraction;
use fredbatch_cost::sizing::{Comparison, Recommendation, compare, recommend};
use fredbatch_cost::{Market, PriceTable, usd};
use serde::Serialize;

use crate::Context;
use crate::commands::cost::{PricingArgs, price_source};
use crate::output::{emit, table};

/// Measure a model's runs on this machine and recommend the vCPUs and memory per run.
///
/// Runs the model as `fredbatch run` does (a job you can inspect afterwards with `fredbatch
/// status`), takes each successful attempt's CPU-seconds and peak RSS, and prints the size
/// to ask for, how it packs onto instance types, and what a run costs at that size beside
/// the seed's 4 vCPU / 8192 MB, with the command and template parameters that apply it.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch profile examples/influenza --runs 4\n  \
    fredbatch profile my-model --memory-headroom 50% --instance-types c5.xlarge,c5.2xlarge")]
pub struct ProfileArgs {
    /// The model directory.
    pub model_dir: PathBuf,
    /// How many runs to measure (numbered 1..N, as a job's runs are).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// How many runs to measure at once. One at a time by default: runs that share the
    /// machine's cores wait for each other, which stretches their wall time, the time a
    /// reservation is paid for.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallel: u32,
    /// The main program file inside MODEL_DIR.
    #[arg(long, default_value = "main.fred", value_name = "FILE")]
    pub program: String,
    /// Set a model key for every run, as `fredbatch run --param`.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<ParamOverride>,
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
    let job_id = run_job(&args, ctx).await?;
    let store = ctx.settings.open_store().await?;
    let mut measured = Vec::new();
    for run in store.runs(job_id).await? {
        for attempt in store.attempts(run.id).await? {
            if let (AttemptStatus::Succeeded, Some(m)) = (attempt.status, attempt.measurements) {
                measured.push((run.run_number, m));
            }
        }
    }
    let report = profile(&table, &args, job_id, measured)?;
    emit(ctx.output, &report)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the model through the `fredbatch run` code path in a child process, so its report
/// and progress stay its own, and returns the job it registered.
async fn run_job(args: &ProfileArgs, ctx: &Context) -> anyhow::Result<JobId> {
    let program = std::env::current_exe().context("cannot find the fredbatch executable")?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(["--output", "json", "run"])
        .arg(&args.model_dir)
        .args(["--runs", &args.runs.to_string(), "--program", &args.program])
        .args(["--vcpus", "1", "--max-vcpus", &args.parallel.to_string()]);
    for param in &args.params {
        command
            .arg("--param")
            .arg(format!("{}={}", param.key, param.value));
    }
    command
        .envs(ctx.settings.worker_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = command
        .output()
        .await
        .context("cannot start `fredbatch run`")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let document: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`fredbatch run` did not report a job: {text}"))?;
    let Some(id) = document["job"]["id"].as_u64() else {
        bail!("`fredbatch run` failed: {}", document["error"]);
    };
    let job_id = JobId(id as i64);
    if !output.status.success() {
        bail!(
            "not every run of the profiling job {job_id} succeeded, so its measurements would \
             mislead; see `fredbatch status {job_id}` and `fredbatch logs {job_id}`"
        );
    }
    Ok(job_id)
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
        model_dir: args.model_dir.display().to_string(),
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
        run_command: recommendation.run_command(&args.model_dir.display().to_string()),
        template_parameters: recommendation.template_parameters(),
        recommendation,
        comparison,
        prices: price_source(table),
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
            "stack default: 4 vCPU, 8192 MB".to_owned(),
            format!(
                "{} ({}/instance)",
                c.seed_default.instance, c.seed_default.runs_per_instance
            ),
            usd(c.seed_default_per_run),
            usd(c.seed_default_per_run * 1000.0),
            format!("{:.2}x", c.seed_default_over_floor),
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
