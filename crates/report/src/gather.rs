//! Building a job's report from the store and the results storage: each DONE run's curve
//! from its committed `out.csv`, every attempt priced (and where the cost went: each
//! configuration, interruptions, failed attempts), the job's status and counts. What
//! `fredbatch report` writes to a folder and the dashboard shows.

use fredbatch_core::keys::attempt_file_key;
use fredbatch_core::{Job, Run, RunStatus};
use fredbatch_cost::CostError;
use fredbatch_cost::Pricing;
use fredbatch_cost::breakdown::breakdown;
use fredbatch_cost::usage::{JobCost, Pricer, RunAttempts, job_cost};
use fredbatch_storage::Storage;
use fredbatch_store::{StatusCounts, Store, StoreError};

use crate::curves::{Curve, parse_out_csv};
use crate::error::ReportError;
use crate::model::{ConfigCurves, Costs, JobHeader, JobReport, RunRow};

/// The report of `job`: each DONE run's curve read from `results`, costs from every
/// attempt's measured time at `pricing` (a job too big for the types gets its curves
/// without costs).
pub async fn build_report(
    store: &Store,
    results: &Storage,
    job: &Job,
    pricing: &Pricing,
) -> Result<JobReport, ReportError> {
    let from_store = store_error(job);
    let runs = store.runs(job.id).await.map_err(from_store)?;
    let mut attempts = Vec::with_capacity(runs.len());
    let mut counts = StatusCounts::default();
    for run in &runs {
        counts.add(run.status, 1);
        // A run that took an identical run's results ran nothing and costs nothing here.
        let reused = run.reused_from.is_some();
        attempts.push(RunAttempts {
            run_number: run.run_number,
            config: run.config,
            attempts: if reused {
                Vec::new()
            } else {
                store.attempts(run.id).await.map_err(from_store)?
            },
            reused,
        });
    }
    let cost = job_cost(
        &pricing.table,
        job.resources,
        pricing.market,
        &pricing.types,
        &attempts,
    );
    let split = breakdown(
        job.resources,
        &attempts,
        Some(&mut Pricer::new(&pricing.table, &pricing.types)),
    )
    .ok();
    let mut configs = empty_configs(store, job).await?;
    let mut rows = Vec::with_capacity(runs.len());
    for run in &runs {
        let curve = committed_curve(results, run).await?;
        let (size, size_why) = job.run_size(run);
        rows.push(RunRow {
            size: size.to_string(),
            size_why,
            run_number: run.run_number,
            config: run.config,
            replicate: run.replicate,
            status: run.status.to_string(),
            failure: run.failure(),
            reason: (run.status != RunStatus::Done)
                .then(|| run.status_reason.clone())
                .flatten(),
            attempts: run.attempts,
            cost: cost.as_ref().ok().map(|c| c.run_reserved(run.run_number)),
            summary: curve.as_ref().map(Curve::summary),
        });
        if let (Some(curve), Some(config)) =
            (curve, configs.iter_mut().find(|c| c.number == run.config))
        {
            config.curves.push(curve);
        }
    }
    Ok(JobReport {
        header: JobHeader {
            job_id: job.id.to_string(),
            name: job.name.clone(),
            status: counts.job_status().to_string(),
            counts: format!("{} run(s): {}", runs.len(), counts.summary()),
            backend: job.backend.kind().to_string(),
            resources: format!("{} ({})", job.resources, job.size_origin),
            created_at: job.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            cost_basis: cost_basis(job, pricing, &cost),
        },
        rows,
        configs,
        warnings: warnings_of(&runs),
        costs: split.map(|breakdown| Costs {
            market: pricing.market,
            breakdown,
        }),
    })
}

/// Each warning line of the runs, with how many runs it concerns.
fn warnings_of(runs: &[Run]) -> Vec<(String, usize)> {
    let mut warned: std::collections::BTreeMap<&str, usize> = Default::default();
    for line in runs.iter().flat_map(|run| &run.warnings) {
        *warned.entry(line).or_default() += 1;
    }
    warned
        .into_iter()
        .map(|(line, runs)| (line.to_owned(), runs))
        .collect()
}

/// Each configuration of `job` with the curves of its DONE runs, read from `results`: what
/// the report's figures draw, without the rest of the report (costs, the runs' table).
pub async fn config_curves(
    store: &Store,
    results: &Storage,
    job: &Job,
) -> Result<Vec<ConfigCurves>, ReportError> {
    let mut configs = empty_configs(store, job).await?;
    let runs = store.runs(job.id).await.map_err(store_error(job))?;
    for run in &runs {
        if let (Some(curve), Some(config)) = (
            committed_curve(results, run).await?,
            configs.iter_mut().find(|c| c.number == run.config),
        ) {
            config.curves.push(curve);
        }
    }
    Ok(configs)
}

/// `job`'s configurations, labelled by their overrides, with no curves yet.
async fn empty_configs(store: &Store, job: &Job) -> Result<Vec<ConfigCurves>, ReportError> {
    let configs = store.configs(job.id).await.map_err(store_error(job))?;
    Ok(configs
        .iter()
        .map(|config| ConfigCurves {
            number: config.number,
            label: fredbatch_core::params::describe(&config.params),
            curves: Vec::new(),
        })
        .collect())
}

fn store_error(job: &Job) -> impl Fn(StoreError) -> ReportError + Copy {
    let job = job.id;
    move |source| ReportError::Store { job, source }
}

/// The curve of a DONE run's committed `out.csv`; `None` for a run without results.
async fn committed_curve(results: &Storage, run: &Run) -> Result<Option<Curve>, ReportError> {
    let (RunStatus::Done, Some(prefix)) = (run.status, run.results_key.as_deref()) else {
        return Ok(None);
    };
    let key = attempt_file_key(prefix, &format!("RUN{}/out.csv", run.fred_run));
    let bytes = results
        .get_bytes(&key)
        .await
        .map_err(|source| ReportError::Results {
            run: run.run_number,
            source,
        })?;
    parse_out_csv(run.fred_run, &String::from_utf8_lossy(&bytes))
        .map(Some)
        .map_err(|source| ReportError::Curve {
            run: run.run_number,
            key,
            source,
        })
}

/// How the cost column was priced, in one sentence, or why it was not.
fn cost_basis(job: &Job, pricing: &Pricing, cost: &Result<JobCost, CostError>) -> String {
    match cost {
        Ok(c) => format!(
            "every attempt's measured wall time (retries included) at the size it ran with \
             (the job's: {} per run, {} per {}), {} on {}; {}",
            job.resources,
            c.packing.runs_per_instance,
            c.packing.instance,
            pricing.market.label(),
            pricing.types.join(", "),
            pricing.table.source()
        ),
        Err(error) => format!("not priced: {error}"),
    }
}
