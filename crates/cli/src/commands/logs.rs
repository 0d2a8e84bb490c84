//! `fredbatch logs RUN_ID [--follow]`: a run's log, from whichever backend ran it.
//!
//! The log interleaves FRED's output with the worker's own lines, rendered for people (see
//! [`crate::worker_line`]); `--output json` keeps every line as it was written.

use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use fredbatch_core::{LogRequest, RunId};

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing};
use crate::worker_line;

/// Lines read per request.
const PAGE_LINES: usize = 1000;
/// How often `--follow` looks for new lines.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Print a run's log (the worker's and FRED's output).
#[derive(clap::Args, Debug)]
pub struct LogsArgs {
    /// The run (ids are in `fredbatch status`).
    pub run_id: RunId,
    /// Keep printing new lines until the run ends.
    #[arg(long, short)]
    pub follow: bool,
    /// Which attempt [default: the latest].
    #[arg(long)]
    pub attempt: Option<u32>,
}

pub async fn run(args: LogsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let run = store.run(args.run_id).await?;
    let job = store.job(run.job_id).await?;
    let Some(backend_id) = run.backend_job_id.clone() else {
        bail!(
            "run {} has not been submitted yet, so it has no log; see `fredbatch status {}`",
            run.id,
            job.id
        );
    };
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
