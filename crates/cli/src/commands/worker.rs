//! `fredbatch worker --job-id J --run-id R` (or `--array-first-run N` in an array task): one
//! attempt of one run. It parses exactly the arguments [`WorkerCommand::args`] builds, the
//! command every backend runs.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fredbatch_core::worker_command::{ARRAY_INDEX_VARS, ATTEMPT_VARS, BACKEND_JOB_ID_VARS};
use fredbatch_core::{BackendJobId, JobId, RunId, WorkerCommand, WorkerRun};
use fredbatch_inputs::ExtractLimits;
use fredbatch_store::Store;
use fredbatch_worker::{RunRef, WorkerConfig, WorkerOutcome};

use crate::Context;
use crate::model_check::this_machines_engine;

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
    #[arg(long, required_unless_present_any = ["array_first_run", "run_number"])]
    pub run_id: Option<RunId>,
    /// For an array job: the run number of index 0; this child's run is that plus
    /// AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch) or SLURM_ARRAY_TASK_ID (Slurm).
    #[arg(long, value_name = "RUN_NUMBER", conflicts_with = "run_id")]
    pub array_first_run: Option<u32>,
    /// The run, by its number in the job (a later attempt the backend sends as a job of its
    /// own, e.g. on AWS Batch's On-Demand fallback queue).
    #[arg(long, value_name = "N", conflicts_with_all = ["run_id", "array_first_run"])]
    pub run_number: Option<u32>,
    /// Largest size the job's inputs may expand to, in MB.
    #[arg(long, default_value_t = 2048, value_name = "MB")]
    pub max_input_mb: u64,
}

impl WorkerArgs {
    /// The worker command these arguments give.
    pub fn command(&self) -> anyhow::Result<WorkerCommand> {
        Ok(match (self.run_id, self.array_first_run, self.run_number) {
            (Some(id), _, _) => WorkerCommand::run(self.job_id, id),
            (None, Some(first), _) => WorkerCommand::array_task(self.job_id, first),
            (None, None, Some(number)) => WorkerCommand::run_number(self.job_id, number),
            (None, None, None) => {
                bail!("give --run-id or --run-number, or --array-first-run inside an array job")
            }
        })
    }
}

pub async fn run(args: WorkerArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let command = args.command()?;
    let settings = &ctx.settings;
    let store = Store::connect_existing(&settings.database_url).await?;
    tracing::debug!(
        since_start_ms = ctx.started.elapsed().as_secs_f64() * 1000.0,
        "store connected"
    );
    let engine = this_machines_engine(settings)?;
    let backend_job_id = BACKEND_JOB_ID_VARS
        .into_iter()
        .find_map(|name| std::env::var(name).ok())
        .map(BackendJobId);
    // The backend's count of this job's attempts, so the attempts recorded here and the
    // backend's line up even when an attempt died before its worker started.
    let backend_attempt = ATTEMPT_VARS
        .into_iter()
        .find_map(|name| std::env::var(name).ok()?.parse().ok());
    let run = match command.run {
        WorkerRun::Id(id) => RunRef::Id(id),
        WorkerRun::ArrayTask { first_run } => RunRef::Number(first_run + array_index()?),
        WorkerRun::Number(number) => RunRef::Number(number),
    };
    let outcome = fredbatch_worker::run(WorkerConfig {
        job_id: command.job_id,
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

/// This array task's index, which the backend sets for every task of an array job.
fn array_index() -> anyhow::Result<u32> {
    let (name, value) = ARRAY_INDEX_VARS
        .into_iter()
        .find_map(|name| Some((name, std::env::var(name).ok()?)))
        .with_context(|| {
            format!(
                "none of {} is set: --array-first-run works only inside an array job",
                ARRAY_INDEX_VARS.join(", ")
            )
        })?;
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

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    /// What the `fredbatch` parser makes of `args` given after the program name.
    fn parse(args: Vec<String>) -> WorkerArgs {
        let argv = std::iter::once("fredbatch".to_owned()).chain(args);
        match crate::Cli::try_parse_from(argv)
            .expect("a worker command parses")
            .command
        {
            crate::Command::Worker(args) => args,
            other => panic!("parsed as another command: {other:?}"),
        }
    }

    #[test]
    fn the_parser_reads_back_every_worker_command() {
        for command in [
            WorkerCommand::run(JobId(7), RunId(103)),
            WorkerCommand::array_task(JobId(7), 501),
            WorkerCommand::run(JobId(7), RunId(103)).for_array(1),
            WorkerCommand::run_number(JobId(7), 12),
        ] {
            let args = parse(command.args());
            assert_eq!(args.command().unwrap(), command);
        }
    }

    #[test]
    fn a_worker_command_names_one_run() {
        let both = [
            "worker",
            "--job-id",
            "7",
            "--run-id",
            "1",
            "--array-first-run",
            "1",
        ];
        assert!(crate::Cli::try_parse_from(std::iter::once("fredbatch").chain(both)).is_err());
        let number_and_id = [
            "fredbatch",
            "worker",
            "--job-id",
            "7",
            "--run-id",
            "1",
            "--run-number",
            "1",
        ];
        assert!(crate::Cli::try_parse_from(number_and_id).is_err());
        let neither = ["fredbatch", "worker", "--job-id", "7"];
        assert!(crate::Cli::try_parse_from(neither).is_err());
    }
}
