//! `fredbatch report JOB_ID`: a self-contained HTML page and SVG figures of what a job's runs
//! found (epidemic curves from each DONE run's committed `out.csv`, median and 5-95% band,
//! a table per run with its cost) and the job's status, built and rendered by
//! `fredbatch-report`.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use fredbatch_core::JobId;
use fredbatch_cost::Pricing;
use fredbatch_cost::placement::default_instance_types;
use fredbatch_report::{ConfigSummary, Costs, RunRow, build_report};
use serde::Serialize;

use crate::Context;
use crate::commands::cost::PricingArgs;
use crate::output::emit;

/// Write an HTML report of a job's results: epidemic curves of every run, the median and
/// 5-95% band across runs (of each configuration, in its own colour, for a sweep), a table of
/// the configurations, a table per run, what the job cost (per configuration for a sweep, and
/// what interrupted and failed attempts cost), and the job's status.
///
/// The page is one file with its figures inline (no network, no server: open it in any
/// browser); the figures are also written as SVG files beside it.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  fredbatch report 1 --out report-1/")]
pub struct ReportArgs {
    /// The job.
    pub job_id: JobId,
    /// Where to write index.html and the figures [default: report-<JOB_ID>].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub pricing: PricingArgs,
}

#[derive(Serialize)]
struct Written {
    job_id: JobId,
    html: PathBuf,
    figures: Vec<PathBuf>,
    runs_plotted: usize,
    /// What each configuration's runs found (median and 5-95% range).
    configs: Vec<ConfigSummary>,
    runs: Vec<RunRow>,
    /// Where the job's cost went: every attempt, each configuration, interruptions and failed
    /// attempts (absent when the job could not be priced).
    cost: Option<Costs>,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Report of job {} ({} of {} run(s) plotted): {}",
            self.job_id,
            self.runs_plotted,
            self.runs.len(),
            self.html.display()
        )?;
        for figure in &self.figures {
            write!(f, "\n  figure: {}", figure.display())?;
        }
        Ok(())
    }
}

pub async fn run(args: ReportArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let job = store.job(args.job_id).await?;
    let results = crate::backend::job_settings(&job, &ctx.settings).results()?;
    let pricing = Pricing {
        table: args.pricing.table()?,
        market: args.pricing.market(),
        types: args.pricing.types_or(default_instance_types()),
    };
    let report = build_report(&store, &results, &job, &pricing).await?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("report-{}", job.id)));
    let written = report.write_to(&out)?;
    emit(
        ctx.output,
        &Written {
            job_id: job.id,
            html: written.html,
            figures: written.figures,
            runs_plotted: report.plotted_runs(),
            configs: report.config_summaries(),
            cost: report.costs.clone(),
            runs: report.rows,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
