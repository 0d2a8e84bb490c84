//! `fredbatch worker --job-id J --run-id R`: one attempt of one run. The exact command the
//! AWS Batch container runs, and what the local executor starts as a child process.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fredbatch_core::{BackendJobId, JobId, RunId};
use fredbatch_inputs::ExtractLimits;
use fredbatch_store::Store;
use fredbatch_worker::{Engine, RunRef, WorkerConfig, WorkerOutcome};

use crate::Context;

/// Run one attempt of one run (used by the backends; rarely typed by hand).
///
/// Reads DATABASE_URL, FREDBATCH_UPLOADS, FREDBATCH_RESULTS and FRED_HOME (the built-in demo
/// engine without it). Exits 0 when the run is DONE, 1 when it failed; on SIGTERM it stops
/// FRED, records the interruption and ends by SIGTERM so the backend can retry it.
#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// The run's job.
    #[arg(long)]
    pub job_id: JobId,
    /// The run.
    #[arg(long, required_unless_present = "array_first_run")]
    pub run_id: Option<RunId>,
    /// For an array job: the run number of index 0; this child's run is that plus
    /// AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch) or SLURM_ARRAY_TASK_ID (Slurm).
    #[arg(long, value_name = "RUN_NUMBER", conflicts_with = "run_id")]
    pub array_first_run: Option<u32>,
    /// Largest size the job's inputs may expand to, in MB.
    #[arg(long, default_value_t = 2048, value_name = "MB")]
    pub max_input_mb: u64,
}

pub async fn run(args: WorkerArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let settings = &ctx.settings;
    let store = Store::connect_existing(&settings.database_url).await?;
    tracing::debug!(
        since_start_ms = ctx.started.elapsed().as_secs_f64() * 1000.0,
        "store connected"
    );
    let engine = match &settings.fred_home {
        Some(home) => Engine::fred(home),
        None => {
            Engine::demo(std::env::current_exe().context("cannot find the fredbatch executable")?)
        }
    };
    let backend_job_id = ["FREDBATCH_BACKEND_JOB_ID", "AWS_BATCH_JOB_ID"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok())
        .map(BackendJobId);
    // The backend's count of this job's attempts, so the attempts recorded here and the
    // backend's line up even when an attempt died before its worker started.
    let backend_attempt = ["FREDBATCH_ATTEMPT", "AWS_BATCH_JOB_ATTEMPT"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok()?.parse().ok());
    let run = match (args.run_id, args.array_first_run) {
        (Some(id), _) => RunRef::Id(id),
        (None, Some(first)) => RunRef::Number(first + array_index()?),
        (None, None) => bail!("give --run-id, or --array-first-run inside an AWS Batch array job"),
    };
    let outcome = fredbatch_worker::run(WorkerConfig {
        job_id: args.job_id,
        run,
        store,
        uploads: settings.uploads()?,
        results: settings.results()?,
        engine,
        workspace_root: settings.workspace_root(),
        backend_job_id,
        backend_attempt,
        extract_limits: ExtractLimits {
            max_bytes: args.max_input_mb << 20,
            ..ExtractLimits::default()
        },
        stop_grace: Duration::from_secs(10),
        started: ctx.started,
    })
    .await?;
    if let WorkerOutcome::Interrupted { .. } = outcome {
        end_by_sigterm();
    }
    Ok(ExitCode::from(outcome.exit_code() as u8))
}

/// This array child's index, which AWS Batch (`AWS_BATCH_JOB_ARRAY_INDEX`) or Slurm
/// (`SLURM_ARRAY_TASK_ID`) sets for every child of an array job.
fn array_index() -> anyhow::Result<u32> {
    let (name, value) = ["AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"]
        .into_iter()
        .find_map(|name| Some((name, std::env::var(name).ok()?)))
        .context("neither AWS_BATCH_JOB_ARRAY_INDEX nor SLURM_ARRAY_TASK_ID is set: --array-first-run works only inside an array job")?;
    value
        .parse()
        .with_context(|| format!("{name} is `{value}`, not a number"))
}

/// Ends the process by SIGTERM itself, so whoever waits for it sees an interruption, not an
/// ordinary failure.
fn end_by_sigterm() {
    use nix::sys::signal::{SigHandler, Signal, raise, signal};
    // SAFETY: restoring the default disposition installs no handler code.
    #[allow(unsafe_code)]
    unsafe {
        let _ = signal(Signal::SIGTERM, SigHandler::SigDfl);
    }
    let _ = raise(Signal::SIGTERM);
}
