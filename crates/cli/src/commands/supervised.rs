//! The part of `run` and `resume` after the job is registered: submit its open runs, watch
//! them with progress on stderr (Ctrl-C cancels the job's runs), print the summary, and exit 0
//! only if every run is DONE.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::{Job, SimulationRunner};
use fredbatch_store::Store;
use fredbatch_supervisor::Supervisor;

use crate::Context;
use crate::backend::{job_settings, tick};
use crate::output::emit;
use crate::progress::Progress;
use crate::status_document::StatusDocument;

/// Exit status when the user interrupted the job (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// For `--output json` of a command that returns once the runs are on their way: the job
/// document, on every backend.
pub fn print_job(ctx: &Context, job: &Job) {
    if ctx.output.is_json() {
        println!("{}", serde_json::json!({ "job": job }));
    }
}

pub async fn submit_and_watch(
    ctx: &Context,
    store: &Store,
    runner: Arc<dyn SimulationRunner>,
    job: &Job,
    detach: bool,
) -> anyhow::Result<ExitCode> {
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    let submitted = supervisor.submit(job).await?;
    ctx.note(&format!(
        "Submitted {submitted} run(s) of job {} to the {} backend.",
        job.id,
        job.backend.kind()
    ));
    if detach {
        ctx.note(&format!("Follow it with `fredbatch status {}`.", job.id));
        print_job(ctx, job);
        return Ok(ExitCode::SUCCESS);
    }
    let tick = tick(job.backend.kind());
    let mut progress = Progress::new(job.run_count, ctx.output.is_json());
    let watched = watch(&supervisor, store, job, &mut progress, tick).await;
    progress.finish();
    let interrupted = watched?;
    // As the job now is: its first wave may have learned its runs' size.
    let job = &store.job(job.id).await?;
    let mut report = StatusDocument::new(
        job.clone(),
        store.configs(job.id).await?,
        store.runs(job.id).await?,
        Some(&job_settings(job, &ctx.settings).results()?),
        Utc::now(),
    );
    report.attach_failure_logs(runner.as_ref()).await;
    emit(ctx.output, &report)?;
    // The last connection to close folds SQLite's write-ahead log into the database, so the
    // next command does not replay it.
    store.close().await;
    Ok(if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if report.all_done() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Watches the job to its end. The first Ctrl-C asks for every run to be cancelled and keeps
/// watching them end; the second stops waiting. Returns whether the user interrupted.
async fn watch(
    supervisor: &Supervisor,
    store: &Store,
    job: &Job,
    progress: &mut Progress,
    tick: Duration,
) -> anyhow::Result<bool> {
    let first = supervisor.run_to_end(job, tick, |c| progress.update(c), ctrl_c());
    if first.await? {
        return Ok(false);
    }
    progress.println("Interrupted: cancelling the job's runs (they end CANCELLED); press Ctrl-C again to stop waiting.");
    store.request_cancel(job.id, None).await?;
    let second = supervisor.run_to_end(job, tick, |c| progress.update(c), ctrl_c());
    if !second.await? {
        anyhow::bail!(
            "stopped waiting; the runs were told to stop. `fredbatch status {}` shows where they ended",
            job.id
        );
    }
    Ok(true)
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling here: never interrupt.
        std::future::pending::<()>().await;
    }
}
