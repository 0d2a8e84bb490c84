//! `fredbatch cost`: the cost estimate of the AWS Batch design this project implements
//! (`docs/design.md`) from its assumptions, or what a real job cost
//! (or would cost on AWS Batch) from its attempts' measurements, beside the floor of what its
//! runs actually used, each configuration's share, and what interrupted and failed attempts
//! cost (`fredbatch_cost::breakdown`).

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use fredbatch_core::Resources;
use fredbatch_core::{BackendKind, Job, JobId};
use fredbatch_cost::breakdown::{Breakdown, ConfigCost, FailedAttempts, Tally, breakdown};
use fredbatch_cost::estimate::{Assumptions, Estimate, estimate, parse_fraction};
use fredbatch_cost::placement::{default_instance_types, runs_per_instance, usable_memory_mib};
use fredbatch_cost::usage::{JobCost, Pricer, RunAttempts, job_cost};
use fredbatch_cost::{Market, PriceTable, figure, per_thousand_runs, usd};
use fredbatch_store::Store;
use serde::Serialize;

use crate::Context;
use crate::output::{emit, table};

/// Estimate what runs cost on AWS Batch, from assumptions or from a job's measured attempts.
///
/// Without --job: the design's arithmetic (one run holds one instance for its runtime, 30-day
/// month) priced from the bundled table. With --job: every finished attempt (retries included)
/// priced at its measured wall time with the vCPUs and memory it ran with packed onto the
/// compute environment's instance types, beside the floor: the CPU-seconds and peak memory the
/// attempts used, priced on the same family; then each configuration's share (a table for a
/// sweep), and what interrupted and failed attempts cost with nothing kept.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch cost --runs-per-day 100 --runtime 30m --instance c5.xlarge\n  \
    fredbatch cost --instance c5.xlarge --spot-price 0.068 --on-demand-fallback 5%\n  \
    fredbatch cost --job 3")]
pub struct CostArgs {
    /// Price this job's attempts instead of assumptions.
    #[arg(long, value_name = "JOB_ID")]
    pub job: Option<JobId>,
    /// Runs started per day.
    #[arg(long, default_value_t = 100.0, conflicts_with = "job")]
    pub runs_per_day: f64,
    /// Wall time of one run (e.g. `30m`, `1h30m`).
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, conflicts_with = "job")]
    pub runtime: Duration,
    /// Share of runs that fall back to On-Demand when Spot is short (e.g. `10%`).
    #[arg(long, default_value = "10%", value_parser = parse_fraction, conflicts_with = "job")]
    pub on_demand_fallback: f64,
    #[command(flatten)]
    pub pricing: PricingArgs,
}

/// How prices are chosen; shared by `cost`, `profile` and `report`.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Prices")]
pub struct PricingArgs {
    /// The instance type whose prices --spot-price/--on-demand-price set (and, without --job,
    /// the one the estimate is for).
    #[arg(long, default_value = "c5.xlarge")]
    pub instance: String,
    /// Spot price of --instance in USD per hour [default: the table's estimate].
    #[arg(long, value_name = "USD")]
    pub spot_price: Option<f64>,
    /// On-Demand price of --instance in USD per hour [default: the table's].
    #[arg(long, value_name = "USD")]
    pub on_demand_price: Option<f64>,
    /// A price table of your own, in the shape of the bundled one (`fredbatch cost --output
    /// json --show-prices` prints it).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Which market runs are priced on.
    #[arg(long, value_enum, default_value = "spot")]
    pub market: MarketArg,
    /// Instance types of the compute environment, comma-separated [default: the design's
    /// c5.xlarge,c5.2xlarge for job costs; every type in the table for right-sizing].
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub instance_types: Vec<String>,
    /// Print the price table in use and stop.
    #[arg(long)]
    pub show_prices: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MarketArg {
    Spot,
    OnDemand,
}

impl PricingArgs {
    pub fn market(&self) -> Market {
        match self.market {
            MarketArg::Spot => Market::Spot,
            MarketArg::OnDemand => Market::OnDemand,
        }
    }

    /// The table with any overrides applied.
    pub fn table(&self) -> anyhow::Result<PriceTable> {
        let mut table = match &self.prices {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the price table {}", path.display()))?;
                PriceTable::from_json(&text)
                    .with_context(|| format!("in the price table {}", path.display()))?
            }
            None => PriceTable::bundled(),
        };
        for (flag, price) in [
            ("--spot-price", self.spot_price),
            ("--on-demand-price", self.on_demand_price),
        ] {
            if price.is_some_and(|p| !(p > 0.0 && p.is_finite())) {
                anyhow::bail!("{flag} must be a positive number of USD per hour");
            }
        }
        table.override_prices(&self.instance, self.on_demand_price, self.spot_price)?;
        Ok(table)
    }

    /// The compute environment's types, or `default` when none were given.
    pub fn types_or(&self, default: Vec<String>) -> Vec<String> {
        if self.instance_types.is_empty() {
            default
        } else {
            self.instance_types.clone()
        }
    }

    /// Prints the table when asked; true if it did (and the command should stop).
    pub fn show_table(&self, ctx: &Context) -> anyhow::Result<bool> {
        if !self.show_prices {
            return Ok(false);
        }
        let prices = self.table()?;
        if ctx.output.is_json() {
            println!("{}", serde_json::to_string_pretty(&prices)?);
        } else {
            let mut t = table(["Type", "vCPUs", "Memory GiB", "On-Demand $/h", "Spot $/h"]);
            for i in &prices.instances {
                t.add_row([
                    i.name.clone(),
                    i.vcpus.to_string(),
                    i.memory_gib.to_string(),
                    format!("{:.4}", prices.hourly(i, Market::OnDemand)),
                    format!("{:.4}", prices.hourly(i, Market::Spot)),
                ]);
            }
            println!("{}", prices.source());
            println!("{t}");
        }
        Ok(true)
    }
}

pub async fn run(args: CostArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if args.pricing.show_table(ctx)? {
        return Ok(ExitCode::SUCCESS);
    }
    let table = args.pricing.table()?;
    match args.job {
        None => {
            if !(args.runs_per_day >= 0.0 && args.runs_per_day.is_finite()) {
                anyhow::bail!(
                    "--runs-per-day must be zero or more, not {}",
                    args.runs_per_day
                );
            }
            let instance = table.get(&args.pricing.instance)?;
            let fits = runs_per_instance(&Resources::AWS_DEFAULT, instance);
            let report = DesignEstimate {
                estimate: estimate(Assumptions {
                    runs_per_day: args.runs_per_day,
                    runtime_hours: args.runtime.as_secs_f64() / 3600.0,
                    instance: instance.name.clone(),
                    spot_hourly: table.hourly(instance, Market::Spot),
                    on_demand_hourly: table.hourly(instance, Market::OnDemand),
                    on_demand_fallback: args.on_demand_fallback,
                }),
                default_job_definition_fits: fits,
                usable_memory_mib: usable_memory_mib(instance),
                prices: table.source(),
            };
            emit(ctx.output, &report)?;
        }
        Some(job_id) => {
            let store = ctx.settings.open_store().await?;
            let job = store.job(job_id).await?;
            let runs = job_attempts(&store, &job).await?;
            let labels = config_labels(&store, &job).await?;
            let reused_runs = runs.iter().filter(|r| r.reused).count();
            if job.backend.kind() == BackendKind::Slurm {
                // A cluster has no price list: what a job cost is the CPU time it held.
                let split = breakdown(job.resources, &runs, None)?;
                emit(ctx.output, &CpuHours::of(&job, split, &labels))?;
                return Ok(ExitCode::SUCCESS);
            }
            let types = args.pricing.types_or(default_instance_types());
            let market = args.pricing.market();
            let cost = job_cost(&table, job.resources, market, &types, &runs)?;
            let split = breakdown(job.resources, &runs, Some(&mut Pricer::new(&table, &types)))?;
            emit(
                ctx.output,
                &JobCostReport {
                    job_id: job.id,
                    backend: job.backend.kind(),
                    instance_types: types,
                    cost,
                    split: Split::of(split, &labels),
                    reused_runs,
                    prices: table.source(),
                },
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every run of `job` with its attempts, in run order; a run that took the results of an
/// identical run is marked reused (it ran no FRED, so costs nothing here: the job that computed
/// them paid).
pub async fn job_attempts(store: &Store, job: &Job) -> anyhow::Result<Vec<RunAttempts>> {
    let mut out = Vec::new();
    for run in store.runs(job.id).await? {
        let reused = run.reused_from.is_some();
        out.push(RunAttempts {
            run_number: run.run_number,
            config: run.config,
            attempts: if reused {
                Vec::new()
            } else {
                store.attempts(run.id).await?
            },
            reused,
        });
    }
    Ok(out)
}

/// Each configuration's overrides for people, by number.
async fn config_labels(store: &Store, job: &Job) -> anyhow::Result<Vec<(u32, String)>> {
    Ok(store
        .configs(job.id)
        .await?
        .into_iter()
        .map(|config| {
            (
                config.number,
                fredbatch_core::params::describe(&config.params),
            )
        })
        .collect())
}

#[derive(Serialize)]
struct DesignEstimate {
    #[serde(flatten)]
    estimate: Estimate,
    /// How many runs of the stack's default job definition (4 vCPU / 8192 MB) fit this
    /// instance.
    default_job_definition_fits: u32,
    usable_memory_mib: u64,
    prices: String,
}

impl fmt::Display for DesignEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.estimate;
        let a = &e.assumptions;
        writeln!(
            f,
            "{} runs/day × {:.2} h on {}, one run per instance, 30-day month:",
            a.runs_per_day, a.runtime_hours, a.instance
        )?;
        let mut t = table(["Market", "Per hour", "Per run", "Per day", "Per month"]);
        for (name, m) in [("Spot", &e.spot), ("On-Demand", &e.on_demand)] {
            t.add_row([
                name.to_owned(),
                usd(m.per_hour),
                usd(m.per_run),
                usd(m.per_day),
                usd(m.per_month),
            ]);
        }
        writeln!(f, "{t}")?;
        writeln!(
            f,
            "Spot saves {:.0}% against On-Demand. Expected: {}-{}/month with Spot and {:.0}% of runs falling back to On-Demand.",
            e.spot_saving * 100.0,
            usd(e.expected_month_low),
            usd(e.expected_month_high),
            a.on_demand_fallback * 100.0
        )?;
        if self.default_job_definition_fits == 0 {
            writeln!(
                f,
                "Note: the stack's default job definition (4 vCPU, 8192 MB) does not fit a {} ({} MiB usable by jobs); AWS Batch places it on a larger type.",
                a.instance, self.usable_memory_mib
            )?;
        }
        write!(f, "{}", self.prices)
    }
}

#[derive(Serialize)]
struct JobCostReport {
    job_id: JobId,
    backend: BackendKind,
    instance_types: Vec<String>,
    #[serde(flatten)]
    cost: JobCost,
    #[serde(flatten)]
    split: Split,
    /// Runs that took the results of identical runs DONE before: not counted.
    reused_runs: usize,
    prices: String,
}

/// Where a job's cost went (see `fredbatch_cost::breakdown`), each configuration with its
/// overrides.
#[derive(Serialize)]
struct Split {
    /// Every counted attempt: CPU-hours reserved and used and, where priced, both markets.
    total: Tally,
    configurations: Vec<ConfigRow>,
    interruptions: Tally,
    failed_attempts: FailedAttempts,
    /// The attempts that succeeded.
    useful: Tally,
}

#[derive(Serialize)]
struct ConfigRow {
    /// Its overrides, e.g. `INF.transmissibility=1.5`.
    overrides: String,
    #[serde(flatten)]
    cost: ConfigCost,
}

impl Split {
    fn of(split: Breakdown, labels: &[(u32, String)]) -> Split {
        let label = |number: u32| {
            labels
                .iter()
                .find(|(n, _)| *n == number)
                .map(|(_, label)| label.clone())
                .unwrap_or_default()
        };
        Split {
            configurations: split
                .configurations
                .into_iter()
                .map(|cost| ConfigRow {
                    overrides: label(cost.config),
                    cost,
                })
                .collect(),
            total: split.total,
            interruptions: split.interruptions,
            failed_attempts: split.failed_attempts,
            useful: split.useful,
        }
    }

    /// The interruptions' and failed attempts' lines, then, for a sweep, one row per
    /// configuration (with its cost on both markets when `priced`).
    fn write(&self, f: &mut dyn fmt::Write, market: Market, priced: bool) -> fmt::Result {
        if self.interruptions.attempts == 0 {
            writeln!(f, "Interruptions: none.")?;
        } else {
            writeln!(
                f,
                "Interruptions: {}, paid for with nothing kept (reclaimed Spot instances, failed nodes, killed workers).",
                self.interruptions.describe(market)
            )?;
        }
        if self.failed_attempts.tally.attempts == 0 {
            writeln!(f, "Failed attempts: none.")?;
        } else {
            writeln!(
                f,
                "Failed attempts: {}, paid for with nothing kept.",
                self.failed_attempts.describe(market)
            )?;
        }
        if self.configurations.len() < 2 {
            return Ok(());
        }
        let mut header = vec![
            "Config",
            "Overrides",
            "Runs",
            "Attempts",
            "Lost",
            "CPU-h reserved",
            "CPU-h used",
        ];
        if priced {
            header.extend(["Spot", "On-Demand"]);
        }
        let mut t = table(header);
        for row in self.configurations.iter().take(TEXT_ROWS) {
            let c = &row.cost;
            let runs = if c.reused_runs > 0 {
                format!("{} (+{} reused)", c.runs, c.reused_runs)
            } else {
                c.runs.to_string()
            };
            let mut cells = vec![
                c.config.to_string(),
                row.overrides.clone(),
                runs,
                c.paid.attempts.to_string(),
                (c.interrupted.attempts + c.failed.attempts).to_string(),
                figure(c.paid.reserved_cpu_hours),
                figure(c.paid.used_cpu_hours),
            ];
            if priced {
                let money = |v: Option<f64>| v.map(usd).unwrap_or_else(|| "-".into());
                cells.extend([money(c.paid.spot), money(c.paid.on_demand)]);
            }
            t.add_row(cells);
        }
        writeln!(
            f,
            "Per configuration (Lost: interrupted and failed attempts):"
        )?;
        writeln!(f, "{t}")?;
        if self.configurations.len() > TEXT_ROWS {
            writeln!(
                f,
                "... and {} more configurations (all of them: --output json)",
                self.configurations.len() - TEXT_ROWS
            )?;
        }
        Ok(())
    }
}

/// "Per run: $0.00000082 ($0.00082 per 1,000 runs)." over the runs with a priced attempt.
fn per_run_line(cost: &JobCost) -> Option<String> {
    let runs: std::collections::BTreeSet<u32> =
        cost.attempts.iter().map(|a| a.used.run_number).collect();
    if runs.is_empty() {
        return None;
    }
    let per_run = cost.reserved / runs.len() as f64;
    Some(match per_thousand_runs(per_run) {
        Some(thousand) => format!("Per run: {} ({thousand}).", usd(per_run)),
        None => format!("Per run: {}.", usd(per_run)),
    })
}

/// Rows shown in text before the rest is summarized.
const TEXT_ROWS: usize = 40;

impl fmt::Display for JobCostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cost;
        let p = &c.packing;
        let market = c.market.label();
        let verb = if self.backend == BackendKind::Local {
            "would cost on AWS Batch"
        } else {
            "cost"
        };
        writeln!(
            f,
            "Job {} {verb}: {} ({market}) for {} attempt(s) ({} retried), {:.1} s of wall time at {}.",
            self.job_id,
            usd(c.reserved),
            c.attempts.len(),
            c.retried_attempts,
            c.wall_seconds,
            c.request
        )?;
        if let Some(line) = per_run_line(c) {
            writeln!(f, "{line}")?;
        }
        let total = &self.split.total;
        writeln!(
            f,
            "CPU-hours: {} reserved (wall time x vCPUs held), {} used (the engine's measured CPU time).",
            figure(total.reserved_cpu_hours),
            figure(total.used_cpu_hours)
        )?;
        writeln!(
            f,
            "Packing: {} run(s) per {} ({}/h) on [{}] = {} per run-hour; {:.0}% of its vCPUs, {:.0}% of its memory reserved.",
            p.runs_per_instance,
            p.instance,
            usd(p.instance_hourly),
            self.instance_types.join(", "),
            usd(p.hourly_per_run),
            p.vcpu_reserved * 100.0,
            p.memory_reserved * 100.0
        )?;
        match c.reserved_over_floor {
            Some(ratio) => writeln!(
                f,
                "Floor: {}, the CPU-seconds and peak memory actually used, on {}; the job pays {ratio:.2}x that.",
                usd(c.floor),
                p.family
            )?,
            None => writeln!(f, "Floor: unknown, no attempt has measurements.")?,
        }
        if self.reused_runs > 0 {
            writeln!(
                f,
                "{} run(s) took the results of identical runs DONE before and ran nothing: not counted.",
                self.reused_runs
            )?;
        }
        if c.running_attempts + c.unmeasured_attempts > 0 {
            writeln!(
                f,
                "{} attempt(s) still running (not counted), {} without measurements (lost workers: wall time from timestamps, up to the retry's start; no floor).",
                c.running_attempts, c.unmeasured_attempts
            )?;
        }
        if c.resized_attempts > 0 {
            writeln!(
                f,
                "{} attempt(s) ran at another size than {} (a retry grew them): priced at theirs.",
                c.resized_attempts, c.request
            )?;
        }
        self.split.write(f, c.market, true)?;
        let mut t = table([
            "Run", "Attempt", "Status", "Failure", "Wall s", "CPU s", "Peak MiB", "Cost", "Floor",
        ]);
        for a in c.attempts.iter().take(TEXT_ROWS) {
            let opt = |v: Option<f64>, digits: usize| {
                v.map(|v| format!("{v:.digits$}"))
                    .unwrap_or_else(|| "-".into())
            };
            let u = &a.used;
            t.add_row([
                u.run_number.to_string(),
                u.attempt.to_string(),
                u.status.as_str().to_owned(),
                u.failure.map_or("", |class| class.label()).to_owned(),
                format!("{:.2}", u.wall_seconds),
                opt(u.cpu_seconds, 2),
                opt(u.peak_rss_mib, 1),
                usd(a.reserved),
                a.floor.map(usd).unwrap_or_else(|| "-".into()),
            ]);
        }
        writeln!(f, "{t}")?;
        if c.attempts.len() > TEXT_ROWS {
            writeln!(
                f,
                "... and {} more attempts (all of them: --output json)",
                c.attempts.len() - TEXT_ROWS
            )?;
        }
        write!(f, "{}", self.prices)
    }
}

/// What a job on a cluster cost in CPU-hours: reserved (each attempt's wall time times the
/// vCPUs it held) beside used (the CPU time its engine measured), and where they went.
#[derive(Serialize)]
struct CpuHours {
    job_id: fredbatch_core::JobId,
    backend: BackendKind,
    vcpus_per_run: u32,
    attempts: usize,
    reserved_cpu_hours: f64,
    used_cpu_hours: f64,
    #[serde(flatten)]
    split: Split,
}

impl CpuHours {
    fn of(job: &Job, split: Breakdown, labels: &[(u32, String)]) -> CpuHours {
        let total = &split.total;
        CpuHours {
            job_id: job.id,
            backend: job.backend.kind(),
            vcpus_per_run: job.resources.vcpus,
            attempts: total.attempts,
            reserved_cpu_hours: total.reserved_cpu_hours,
            used_cpu_hours: total.used_cpu_hours,
            split: Split::of(split, labels),
        }
    }
}

impl fmt::Display for CpuHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Job {} on {}: {} attempt(s) at {} vCPU per run.",
            self.job_id, self.backend, self.attempts, self.vcpus_per_run
        )?;
        writeln!(
            f,
            "CPU-hours reserved: {:.4} (wall time x vCPUs held)",
            self.reserved_cpu_hours
        )?;
        writeln!(
            f,
            "CPU-hours used:     {:.4} (the engine's measured CPU time){}",
            self.used_cpu_hours,
            if self.reserved_cpu_hours > 0.0 {
                format!(
                    "; {:.0}% of what was reserved",
                    100.0 * self.used_cpu_hours / self.reserved_cpu_hours
                )
            } else {
                String::new()
            }
        )?;
        let mut rest = String::new();
        self.split.write(&mut rest, Market::Spot, false)?;
        write!(f, "{}", rest.trim_end())
    }
}
