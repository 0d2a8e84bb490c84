//! `fredbatch report JOB_ID`: a self-contained HTML page and SVG figures of what a job's runs
//! found (epidemic curves from each DONE run's committed `out.csv`, median and 5-95% band,
//! a table per run with its cost) and the job's status. Not to be confused with
//! `crate::report`, the status document of `fredbatch status`.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use fredbatch_core::{JobId, RunStatus};
use fredbatch_cost::Market;
use fredbatch_cost::curves::{RunSummary, parse_out_csv};
use fredbatch_cost::placement::default_instance_types;
use fredbatch_cost::report::{ConfigCurves, ConfigSummary, JobHeader, JobReport, RunRow};
use fredbatch_cost::usage::job_cost;
use serde::Serialize;

use crate::Context;
use crate::commands::cost::{PricingArgs, job_attempts, price_source};
use crate::output::emit;
use crate::progress::describe;

/// Write an HTML report of a job's results: epidemic curves of every run, the median and
/// 5-95% band across runs (of each configuration, in its own colour, for a sweep), a table of
/// the configurations, a table per run, and the job's status.
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
    let runs = store.runs(job.id).await?;
    let results = crate::backend::job_settings(&job, &ctx.settings)?.results()?;
    let table = args.pricing.table()?;
    let market = args.pricing.market();
    let types = args.pricing.types_or(default_instance_types());
    let attempts = job_attempts(&store, &job).await?;
    // A job too big for the environment's types still gets its curves, without costs.
    let cost = job_cost(&table, job.resources, market, &types, &attempts);
    let configs = store.configs(job.id).await?;
    let status = crate::report::StatusReport::new(
        job.clone(),
        configs.clone(),
        runs.clone(),
        None,
        Utc::now(),
    );

    let mut plotted: Vec<ConfigCurves> = configs
        .iter()
        .map(|config| ConfigCurves {
            number: config.number,
            label: crate::report::describe_params(&config.params),
            curves: Vec::new(),
        })
        .collect();
    let mut rows = Vec::new();
    for run in &runs {
        let mut summary: Option<RunSummary> = None;
        if let (RunStatus::Done, Some(prefix)) = (run.status, run.results_key.as_deref()) {
            let key = format!("{prefix}/RUN{}/out.csv", run.replicate);
            let bytes = results
                .get_bytes(&key)
                .await
                .with_context(|| format!("cannot read run {}'s out.csv", run.run_number))?;
            let curve = parse_out_csv(run.replicate, &String::from_utf8_lossy(&bytes))?;
            summary = Some(curve.summary());
            if let Some(config) = plotted.iter_mut().find(|c| c.number == run.config) {
                config.curves.push(curve);
            }
        }
        rows.push(RunRow {
            run_number: run.run_number,
            config: run.config,
            replicate: run.replicate,
            status: run.status.to_string(),
            attempts: run.attempts,
            cost: cost.as_ref().ok().map(|c| c.run_reserved(run.run_number)),
            summary,
        });
    }
    let market_name = match market {
        Market::Spot => "Spot",
        Market::OnDemand => "On-Demand",
    };
    let cost_basis = match &cost {
        Ok(c) => format!(
            "every attempt's measured wall time (retries included) at {} per run, {} on {} ({} per {}); {}",
            job.resources,
            market_name,
            types.join(", "),
            c.packing.runs_per_instance,
            c.packing.instance,
            price_source(&table)
        ),
        Err(error) => format!("not priced: {error}"),
    };
    let report = JobReport {
        header: JobHeader {
            job_id: job.id.to_string(),
            name: job.name.clone(),
            status: status.job.status.to_owned(),
            counts: format!("{} run(s): {}", runs.len(), describe(&status.job.counts)),
            backend: job.backend.clone(),
            resources: job.resources.to_string(),
            created_at: job.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            cost_basis,
        },
        rows,
        configs: plotted,
    };

    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("report-{}", job.id)));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut figures = Vec::new();
    if report.plotted_runs() > 0 {
        for figure in report.figures() {
            let path = out.join(&figure.file);
            std::fs::write(
                &path,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
                    figure.svg
                ),
            )
            .with_context(|| format!("cannot write {}", path.display()))?;
            figures.push(path);
        }
    }
    let html = out.join("index.html");
    std::fs::write(&html, report.html())
        .with_context(|| format!("cannot write {}", html.display()))?;
    emit(
        ctx.output,
        &Written {
            job_id: job.id,
            html,
            figures,
            runs_plotted: report.plotted_runs(),
            configs: report.config_summaries(),
            runs: report.rows,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
