//! The part of `run` and `resume` after the job is registered: submit its open runs, watch
//! them, print the summary, and exit 0 only if every run is DONE.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fredbatch_core::{Job, SimulationRunner};
use fredbatch_store::Store;

use crate::Context;
use crate::backend::{BackendKind, job_settings};
use crate::commands::args::job_spec;
use crate::output::emit;
use crate::progress::Progress;
use crate::report::StatusReport;
use crate::supervise::{Ending, submit_open_runs, watch};

/// Exit status when the user interrupted the job (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

pub async fn submit_and_watch(
    ctx: &Context,
    store: &Store,
    runner: Arc<dyn SimulationRunner>,
    kind: BackendKind,
    job: &Job,
    detach: bool,
) -> anyhow::Result<ExitCode> {
    let spec = job_spec(job, kind);
    let submitted = submit_open_runs(store, runner.as_ref(), job, &spec).await?;
    ctx.note(&format!(
        "Submitted {submitted} run(s) of job {} to the {} backend.",
        job.id,
        kind.name()
    ));
    if detach {
        ctx.note(&format!("Follow it with `fredbatch status {}`.", job.id));
        return Ok(ExitCode::SUCCESS);
    }
    let mut progress = Progress::new(job.run_count, ctx.output.is_json());
    let tick = match kind {
        BackendKind::Local => Duration::from_millis(100),
        BackendKind::Aws => Duration::from_secs(5),
    };
    let ending = watch(store, runner.clone(), job, &mut progress, tick).await;
    progress.finish();
    let ending = ending?;
    let mut report = StatusReport::new(
        job.clone(),
        store.runs(job.id).await?,
        Some(&job_settings(job, &ctx.settings)?.results()?),
        Utc::now(),
    );
    report.attach_failure_logs(runner.as_ref()).await;
    emit(ctx.output, &report)?;
    // The last connection to close folds SQLite's write-ahead log into the database, so the
    // next command does not replay it.
    store.close().await;
    Ok(match ending {
        Ending::Interrupted => ExitCode::from(EXIT_INTERRUPTED),
        Ending::Finished if report.all_done() => ExitCode::SUCCESS,
        Ending::Finished => ExitCode::FAILURE,
    })
}
