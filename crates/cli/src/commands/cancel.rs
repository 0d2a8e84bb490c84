//! `fredbatch cancel JOB_ID` / `fredbatch cancel JOB_ID --run N` / `fredbatch cancel --run RUN_ID`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::Utc;
use fredbatch_core::BackendKind;
use fredbatch_core::{JobId, RunId};
use fredbatch_supervisor::Supervisor;

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing};
use crate::commands::which_run::WhichRun;
use crate::joblock::JobLock;

/// How long to wait for a supervising process to confirm a local cancellation.
const CONFIRM_WITHIN: Duration = Duration::from_secs(60);

/// Cancel a job's runs, or one run.
///
/// Queued runs never start; running ones are stopped. Cancelled runs end CANCELLED; runs that
/// already ended keep their status.
#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("target").required(true).multiple(true))]
#[command(after_help = "Examples:\n  \
    fredbatch cancel 3              every open run of job 3\n  \
    fredbatch cancel 3 --run 1      run 1 of job 3\n  \
    fredbatch cancel --run 11       the run whose id is 11")]
pub struct CancelArgs {
    /// Cancel every open run of this job (or, with --run, one of its runs).
    #[arg(group = "target")]
    pub job_id: Option<JobId>,
    /// Cancel only one run: run N of JOB_ID (its Run column in `fredbatch status`), or,
    /// without JOB_ID, the run whose id is N (the Id column).
    #[arg(long, value_name = "N", group = "target")]
    pub run: Option<u64>,
}

pub async fn run(args: CancelArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let (job_id, run_id) = match (args.job_id, args.run) {
        (job, Some(number)) => {
            let run = WhichRun::from_args(job, number).find(&store).await?;
            (run.job_id, Some(run.id))
        }
        (Some(job), None) => (job, None),
        (None, None) => bail!(
            "name a job (`fredbatch cancel JOB_ID`) or a run (`fredbatch cancel JOB_ID --run N`)"
        ),
    };
    let job = store.job(job_id).await?;
    let targets = store.request_cancel(job.id, run_id).await?;
    if targets.is_empty() {
        ctx.note("Nothing to cancel: the runs already ended.");
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<RunId> = targets.iter().map(|r| r.id).collect();
    match job.backend.kind() {
        BackendKind::Local if JobLock::is_held(&ctx.settings.lock_dir(), job.id) => {
            // The supervising process owns the executor: it sees the request and stops the runs.
            let deadline = Instant::now() + CONFIRM_WITHIN;
            while store
                .runs_by_ids(&ids)
                .await?
                .iter()
                .any(|r| !r.status.is_terminal())
            {
                if Instant::now() > deadline {
                    bail!(
                        "the process running job {} has not confirmed the cancellation yet; check `fredbatch status {}`",
                        job.id,
                        job.id
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        BackendKind::Local => store.mark_cancelled(&ids, Utc::now()).await?,
        BackendKind::AwsBatch | BackendKind::Slurm => {
            // The backend outlives any process: this one forwards the request now.
            let runner = connect_existing(&job, &ctx.settings, LocalCapacity::default())?;
            Supervisor::new(store.clone(), runner)
                .forward_cancellations(&targets)
                .await?;
        }
    }
    let message = format!("Cancelled {} run(s) of job {}.", ids.len(), job.id);
    if ctx.output.is_json() {
        println!(
            "{}",
            serde_json::json!({ "job_id": job.id, "cancelled_runs": ids })
        );
    } else {
        println!("{message}");
    }
    Ok(ExitCode::SUCCESS)
}
