//! `fredbatch logs RUN_ID [--follow]`: a run's log, from whichever backend ran it.
//!
//! The log interleaves FRED's output with the worker's own lines, which the worker writes as
//! tracing JSON objects when its stderr is not a terminal (so log systems can index them). For
//! people those become one readable line each, `[worker 12:00:01 INFO] attempt started
//! (engine=demo)`; `--output json` keeps every line as it was written.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use fredbatch_core::{LogRequest, RunId};

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing};

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
                true => None,
                false => worker_line::readable(line),
            };
            if writeln!(stdout, "{}", shown.as_deref().unwrap_or(line)).is_err() {
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

/// The worker's tracing JSON lines, rendered for people.
mod worker_line {
    use serde_json::{Map, Value};

    const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

    /// `line` as `[worker HH:MM:SS LEVEL] message (key=value ...)` when it is one of the
    /// worker's tracing JSON lines; `None` for any other line (FRED's output, or JSON of
    /// another shape), which is shown as it is.
    pub fn readable(line: &str) -> Option<String> {
        if !line.trim_start().starts_with('{') {
            return None;
        }
        let Value::Object(event) = serde_json::from_str::<Value>(line).ok()? else {
            return None;
        };
        let level = event
            .get("level")?
            .as_str()
            .filter(|l| LEVELS.contains(l))?;
        let time = chrono::DateTime::parse_from_rfc3339(event.get("timestamp")?.as_str()?)
            .ok()?
            .format("%H:%M:%S");
        event.get("target")?.as_str()?;
        let fields = event.get("fields")?.as_object()?;
        let mut text = format!("[worker {time} {level}]");
        if let Some(message) = fields.get("message") {
            text.push(' ');
            text.push_str(&plain(message));
        }
        let rest = rest_of(fields);
        if !rest.is_empty() {
            text.push_str(&format!(" ({rest})"));
        }
        Some(text)
    }

    /// The fields beside the message, `key=value` separated by spaces.
    fn rest_of(fields: &Map<String, Value>) -> String {
        fields
            .iter()
            .filter(|(key, _)| key.as_str() != "message")
            .map(|(key, value)| format!("{key}={}", plain(value)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A string as itself, anything else as JSON.
    fn plain(value: &Value) -> String {
        match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::readable;

        #[test]
        fn a_worker_line_reads_as_time_level_message_and_fields() {
            let line = r#"{"timestamp":"2025-03-04T12:00:01.123456Z","level":"INFO","fields":{"message":"fetched inputs","files":3,"bucket":"s3://in"},"target":"fredbatch_worker","span":{"run":7,"name":"attempt"}}"#;
            assert_eq!(
                readable(line).as_deref(),
                Some("[worker 12:00:01 INFO] fetched inputs (files=3 bucket=s3://in)")
            );
        }

        #[test]
        fn a_line_without_fields_beside_the_message_has_no_parentheses() {
            let line = r#"{"timestamp":"2025-03-04T23:59:59Z","level":"WARN","fields":{"message":"slow"},"target":"fredbatch"}"#;
            assert_eq!(
                readable(line).as_deref(),
                Some("[worker 23:59:59 WARN] slow")
            );
        }

        #[test]
        fn freds_lines_and_other_json_pass_through() {
            for line in [
                "FRED finished in 1.5 s",
                "",
                "{ not json",
                r#"{"level":"INFO","message":"another program's JSON"}"#,
                r#"{"timestamp":"yesterday","level":"INFO","fields":{},"target":"x"}"#,
                r#"{"timestamp":"2025-03-04T12:00:01Z","level":"LOUD","fields":{},"target":"x"}"#,
                r#"["timestamp","level"]"#,
            ] {
                assert_eq!(readable(line), None, "{line}");
            }
        }
    }
}
