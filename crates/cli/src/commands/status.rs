//! `fredbatch status [JOB_ID] [--run N]` and `fredbatch jobs`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use chrono::Utc;
use fredbatch_core::growth::megabytes;
use fredbatch_core::sync::{explain_interruption, is_interruption};
use fredbatch_core::{Attempt, FailureClass, JobId, Resources, Run, RunSize, SimulationRunner};
use serde::Serialize;

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing, job_settings};
use crate::commands::which_run::WhichRun;
use crate::output::{emit, table};
use crate::status_document::StatusDocument;
use fredbatch_store::{DoneRun, RunInputs};
use fredbatch_supervisor::Supervisor;

/// Show a job's runs: status, attempts, duration, failure reasons, where results are.
///
/// Each run has an id, unique across jobs (the Id column), and a number within its job (the
/// Run column): `fredbatch status 3 --run 1` and `fredbatch status --run 11` show the same run
/// when run 1 of job 3 has id 11.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch status                 the latest job's runs\n  \
    fredbatch status 3               job 3's runs\n  \
    fredbatch status 3 --run 1       run 1 of job 3, with each attempt\n  \
    fredbatch status --run 11        the run whose id is 11\n  \
    fredbatch status 3 --failure out_of_memory   job 3's runs that ran out of memory")]
pub struct StatusArgs {
    /// The job [default: the latest].
    pub job_id: Option<JobId>,
    /// Show one run in detail instead, with each attempt's measurements: run N of JOB_ID (its
    /// Run column), or, without JOB_ID, the run whose id is N (the Id column).
    #[arg(long, value_name = "N")]
    pub run: Option<u64>,
    /// List every run in the table, not only the first ones.
    #[arg(long)]
    pub all: bool,
    /// Show only the runs that ended ERROR with this kind of failure: out_of_memory,
    /// over_time, interrupted, model, infrastructure or other.
    #[arg(long, value_name = "CLASS")]
    pub failure: Option<FailureClass>,
}

pub async fn run(args: StatusArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    if let Some(number) = args.run {
        let run = WhichRun::from_args(args.job_id, number)
            .find(&store)
            .await?;
        let job = store.job(run.job_id).await?;
        let runner = connect_existing(&job, &ctx.settings, LocalCapacity::default());
        refresh_from_backend(ctx, &store, &job, &runner).await;
        let job = store.job(job.id).await?;
        let run = store.run(run.id).await?;
        let attempts = store.attempts(run.id).await?;
        let inputs = store.run_inputs(run.id).await?;
        let reused_from = match inputs.as_ref().and_then(|i| i.reused_from) {
            Some(source) => Some(store.run(source).await?),
            None => None,
        };
        let attempts = attempts
            .into_iter()
            .map(|attempt| AttemptView {
                failure: attempt.failure(),
                attempt,
            })
            .collect();
        let (size, size_why) = job.run_size(&run);
        emit(
            ctx.output,
            &RunDetail {
                failure: run.failure(),
                size,
                size_why,
                run,
                attempts,
                inputs,
                reused_from: reused_from.map(|source| DoneRun {
                    run_id: source.id,
                    job_id: source.job_id,
                    run_number: source.run_number,
                }),
            },
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let job = match args.job_id {
        Some(id) => store.job(id).await?,
        None => match store.latest_job().await? {
            Some(job) => job,
            None => bail!("there are no jobs yet; start one with `fredbatch run MODEL_DIR`"),
        },
    };
    let runner = connect_existing(&job, &ctx.settings, LocalCapacity::default());
    refresh_from_backend(ctx, &store, &job, &runner).await;
    // The refresh may have moved the job on (its first wave measured its size).
    let job = store.job(job.id).await?;
    let runs = store.runs(job.id).await?;
    let results = job_settings(&job, &ctx.settings).results()?;
    let configs = store.configs(job.id).await?;
    let mut report = StatusDocument::new(job, configs, runs, Some(&results), Utc::now());
    report.show_all = args.all;
    if let Some(class) = args.failure {
        report.runs.retain(|view| view.failure == Some(class));
    }
    if let Ok(runner) = &runner {
        report.attach_failure_logs(runner.as_ref()).await;
    }
    emit(ctx.output, &report)?;
    Ok(ExitCode::SUCCESS)
}

/// Jobs on a backend that outlives any fredbatch process (AWS Batch) are refreshed from it
/// first. A local job's state is kept current by the process running it.
async fn refresh_from_backend(
    ctx: &Context,
    store: &fredbatch_store::Store,
    job: &fredbatch_core::Job,
    runner: &anyhow::Result<Arc<dyn SimulationRunner>>,
) {
    let kind = job.backend.kind();
    if !kind.outlives_process() {
        return;
    }
    let refreshed = match runner {
        Ok(runner) => Supervisor::new(store.clone(), runner.clone())
            .sync_once(job)
            .await
            .map_err(anyhow::Error::from),
        Err(error) => Err(anyhow::anyhow!("{error:#}")),
    };
    if let Err(error) = refreshed {
        ctx.note(&format!(
            "warning: showing the last known state; the {kind} backend could not be asked: {error:#}"
        ));
    }
}

#[derive(Serialize)]
struct RunDetail {
    run: Run,
    /// What it runs (or ran) with, and why (see `Job::run_size`).
    size: Resources,
    size_why: String,
    /// What kind of failure ended the run, for an ERROR run.
    failure: Option<FailureClass>,
    attempts: Vec<AttemptView>,
    /// What decided its results (see `fredbatch_core::fingerprint`), once DONE.
    inputs: Option<RunInputs>,
    /// The run whose results it took, named by job and run number.
    reused_from: Option<DoneRun>,
}

#[derive(Serialize)]
struct AttemptView {
    #[serde(flatten)]
    attempt: Attempt,
    /// What kind of failure ended the attempt, for one that failed or was stopped.
    failure: Option<FailureClass>,
}

impl std::fmt::Display for RunDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let run = &self.run;
        writeln!(
            f,
            "Run {} of job {} (id {}; configuration {}, FRED run {}): {}",
            run.run_number, run.job_id, run.id, run.config, run.replicate, run.status
        )?;
        if let Some(reason) = &run.status_reason {
            writeln!(f, "Reason: {reason}")?;
        }
        for warning in &run.warnings {
            writeln!(f, "Warning: {warning}")?;
        }
        if let Some(backend) = &run.backend_job_id {
            let state = run.backend_state.map(|s| s.to_string()).unwrap_or_default();
            writeln!(f, "Backend job: {backend} {state}")?;
        }
        match &run.size {
            Some(size) => writeln!(
                f,
                "Next attempt's size: {} ({})",
                size_text(size),
                self.size_why
            )?,
            None => writeln!(f, "Size: {} ({})", self.size, self.size_why)?,
        }
        if let Some(inputs) = &self.inputs {
            let print = &inputs.fingerprint;
            let short = |digest: &str| digest.chars().take(12).collect::<String>();
            writeln!(
                f,
                "Fingerprint: engine {}, model files {}, overrides {}, FRED run {}",
                short(&print.engine),
                short(&print.model),
                short(&print.overrides),
                print.fred_run
            )?;
            match (&self.reused_from, &inputs.note) {
                (Some(source), _) => writeln!(
                    f,
                    "Results: reused from run {} of job {} (id {}), whose fingerprint is the \
                     same; FRED did not run",
                    source.run_number, source.job_id, source.run_id
                )?,
                (None, Some(note)) => writeln!(f, "Results: computed; not reused: {note}")?,
                (None, None) => writeln!(f, "Results: computed")?,
            }
        }
        let mut table = table([
            "Attempt", "Status", "Size", "Exit", "Wall", "CPU", "Peak RSS", "Output", "Reason",
        ]);
        for AttemptView { attempt, failure } in &self.attempts {
            let m = attempt.measurements;
            table.add_row([
                attempt.number.to_string(),
                attempt.status.as_str().to_owned(),
                attempt.size.as_ref().map(size_text).unwrap_or_default(),
                attempt.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                m.map(|m| format!("{:.2}s", m.wall_seconds))
                    .unwrap_or_default(),
                m.map(|m| format!("{:.2}s", m.cpu_seconds))
                    .unwrap_or_default(),
                m.map(|m| format!("{:.1} MB", m.peak_rss_kb as f64 / 1024.0))
                    .unwrap_or_default(),
                m.map(|m| format!("{:.1} MB", m.output_bytes as f64 / 1e6))
                    .unwrap_or_default(),
                attempt
                    .reason
                    .as_deref()
                    .map(|reason| {
                        let reason = match is_interruption(reason) {
                            true => explain_interruption(reason, 1),
                            false => reason.to_owned(),
                        };
                        match failure {
                            Some(class) => format!("[{class}] {reason}"),
                            None => reason,
                        }
                    })
                    .unwrap_or_default(),
            ]);
        }
        write!(f, "{table}")
    }
}

/// What an attempt ran with, e.g. `1 vCPU, 2 GiB, 4h`.
fn size_text(size: &RunSize) -> String {
    format!(
        "{} vCPU, {}, {}",
        size.resources.vcpus,
        megabytes(size.resources.memory_mb),
        humantime::format_duration(std::time::Duration::from_secs(size.timeout_seconds))
    )
}

/// List jobs, newest first, with their run counts.
#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    /// How many jobs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

pub async fn jobs(args: JobsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let jobs = store.jobs(args.limit).await?;
    emit(ctx.output, &JobList { jobs })?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JobList {
    jobs: Vec<fredbatch_store::JobSummary>,
}

impl std::fmt::Display for JobList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.jobs.is_empty() {
            return write!(f, "No jobs yet; start one with `fredbatch run MODEL_DIR`.");
        }
        let mut table = table([
            "Job",
            "Model",
            "Runs",
            "Backend",
            "Created",
            "Runs by status",
        ]);
        for summary in &self.jobs {
            let job = &summary.job;
            table.add_row([
                job.id.to_string(),
                job.name.clone(),
                job.run_count.to_string(),
                job.backend.kind().to_string(),
                job.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                summary.counts.summary(),
            ]);
        }
        write!(f, "{table}")
    }
}
