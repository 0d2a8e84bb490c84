//! `fredbatch logs RUN_ID [--follow]` / `fredbatch logs JOB_ID --run N`: a run's log, from
//! whichever backend ran it.
//!
//! The log interleaves FRED's output with the worker's own lines, rendered for people (see
//! [`fredbatch_core::worker_line`]); `--output json` keeps every line as it was written.

use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use fredbatch_core::{JobId, LogRequest, RunId};

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing};
use crate::commands::which_run::{WhichRun, describe};
use fredbatch_core::worker_line;

/// Lines read per request.
const PAGE_LINES: usize = 1000;
/// How often `--follow` looks for new lines.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Print a run's log (the worker's and FRED's output).
///
/// Name the run by its id (the Id column of `fredbatch status`), or by its job and its run
/// number within the job (the Run column): `fredbatch logs 3 --run 1`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch logs 11              the run whose id is 11\n  \
    fredbatch logs 3 --run 1       run 1 of job 3\n  \
    fredbatch logs 3 --run 1 -f    the same, following it until it ends")]
pub struct LogsArgs {
    /// The run's id (the Id column of `fredbatch status`); with --run, the job.
    #[arg(value_name = "ID")]
    pub id: i64,
    /// Run N of the job ID (the Run column of `fredbatch status ID`).
    #[arg(long, value_name = "N")]
    pub run: Option<u64>,
    /// Keep printing new lines until the run ends.
    #[arg(long, short)]
    pub follow: bool,
    /// Which attempt [default: the latest].
    #[arg(long)]
    pub attempt: Option<u32>,
}

pub async fn run(args: LogsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let which = match args.run {
        Some(number) => WhichRun::from_args(Some(JobId(args.id)), number),
        None => WhichRun::Id(RunId(args.id)),
    };
    let run = which.find(&store).await?;
    let job = store.job(run.job_id).await?;
    let Some(backend_id) = run.backend_job_id.clone() else {
        bail!(
            "{} has not been submitted yet, so it has no log; see `fredbatch status {}`",
            describe(&run),
            job.id
        );
    };
    // On stderr, so the log itself stays as it is: which run this is, by both its numbers.
    ctx.note(&format!("Log of {}:", describe(&run)));
    let runner = connect_existing(&job, &ctx.settings, LocalCapacity::default())?;
    let mut cursor = None;
    let mut stdout = std::io::stdout().lock();
    loop {
        let page = runner
            .logs(
                &backend_id,
                &LogRequest {
                    attempt: args.attempt,
                    cursor: cursor.clone(),
                    limit: PAGE_LINES,
                    tail: false,
                },
            )
            .await?;
        for line in &page.lines {
            let shown = match ctx.output.is_json() {
                true => Cow::Borrowed(line.as_str()),
                false => worker_line::for_people(line),
            };
            if writeln!(stdout, "{shown}").is_err() {
                return Ok(ExitCode::SUCCESS); // the reader went away (e.g. `| head`)
            }
        }
        let more = page.lines.len() == PAGE_LINES;
        cursor = page.next_cursor.or(cursor);
        if more {
            continue;
        }
        if !args.follow || store.run(run.id).await?.status.is_terminal() && page.lines.is_empty() {
            break;
        }
        stdout.flush().ok();
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
    Ok(ExitCode::SUCCESS)
}
