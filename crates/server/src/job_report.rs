//! Building a job's results report (`fredbatch_cost::report::JobReport`) from the store and
//! the results storage: what `fredbatch report` writes to a folder and the dashboard shows.

use fredbatch_core::keys::attempt_file_key;
use fredbatch_core::{Job, RunStatus};
use fredbatch_cost::curves::{RunSummary, parse_out_csv};
use fredbatch_cost::placement::default_instance_types;
use fredbatch_cost::prices::PriceTable;
use fredbatch_cost::report::{ConfigCurves, JobHeader, JobReport, RunRow};
use fredbatch_cost::usage::job_cost;
use fredbatch_cost::{CostError, Market};
use fredbatch_storage::{Storage, StorageError};
use fredbatch_store::{StatusCounts, Store, StoreError};

/// What runs are priced at.
#[derive(Clone, Debug)]
pub struct Pricing {
    pub table: PriceTable,
    pub market: Market,
    /// The compute environment's instance types.
    pub types: Vec<String>,
}

impl Default for Pricing {
    /// The bundled table, Spot, the stack's default instance types.
    fn default() -> Pricing {
        Pricing {
            table: PriceTable::bundled(),
            market: Market::Spot,
            types: default_instance_types(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read run {run}'s out.csv: {source}")]
    Results {
        run: u32,
        #[source]
        source: StorageError,
    },
    #[error("run {run}'s out.csv: {source}")]
    Curve {
        run: u32,
        #[source]
        source: CostError,
    },
}

/// The report of `job`: each DONE run's curve read from `results`, costs from every
/// attempt's measured time at `pricing` (a job too big for the types gets its curves
/// without costs).
pub async fn build(
    store: &Store,
    results: &Storage,
    job: &Job,
    pricing: &Pricing,
) -> Result<JobReport, ReportError> {
    let runs = store.runs(job.id).await?;
    let mut attempts = Vec::with_capacity(runs.len());
    let mut counts = StatusCounts::default();
    for run in &runs {
        attempts.push((run.run_number, store.attempts(run.id).await?));
        counts.add(run.status, 1);
    }
    let cost = job_cost(
        &pricing.table,
        job.resources,
        pricing.market,
        &pricing.types,
        &attempts,
    );
    let mut plotted: Vec<ConfigCurves> = store
        .configs(job.id)
        .await?
        .iter()
        .map(|config| ConfigCurves {
            number: config.number,
            label: fredbatch_core::params::describe(&config.params),
            curves: Vec::new(),
        })
        .collect();
    let mut rows = Vec::with_capacity(runs.len());
    for run in &runs {
        let mut summary: Option<RunSummary> = None;
        if let (RunStatus::Done, Some(prefix)) = (run.status, run.results_key.as_deref()) {
            let key = attempt_file_key(prefix, &format!("RUN{}/out.csv", run.replicate));
            let bytes = results
                .get_bytes(&key)
                .await
                .map_err(|source| ReportError::Results {
                    run: run.run_number,
                    source,
                })?;
            let curve = parse_out_csv(run.replicate, &String::from_utf8_lossy(&bytes)).map_err(
                |source| ReportError::Curve {
                    run: run.run_number,
                    source,
                },
            )?;
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
    let market_name = match pricing.market {
        Market::Spot => "Spot",
        Market::OnDemand => "On-Demand",
    };
    let cost_basis = match &cost {
        Ok(c) => format!(
            "every attempt's measured wall time (retries included) at {} per run, {} on {} ({} per {}); {}",
            job.resources,
            market_name,
            pricing.types.join(", "),
            c.packing.runs_per_instance,
            c.packing.instance,
            pricing.table.source()
        ),
        Err(error) => format!("not priced: {error}"),
    };
    Ok(JobReport {
        header: JobHeader {
            job_id: job.id.to_string(),
            name: job.name.clone(),
            status: counts.job_status().to_string(),
            counts: format!("{} run(s): {}", runs.len(), counts.summary()),
            backend: job.backend.kind().to_string(),
            resources: job.resources.to_string(),
            created_at: job.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            cost_basis,
        },
        rows,
        configs: plotted,
    })
}
