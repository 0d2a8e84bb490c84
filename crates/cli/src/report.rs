//! The status document of a job: one shape for the summary table people read and the JSON
//! scripts read (`{"job": {...}, "runs": [...]}`).

use std::fmt;

use chrono::{DateTime, Utc};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use fredbatch_core::{Job, Run, RunStatus};
use fredbatch_storage::Storage;
use fredbatch_store::StatusCounts;
use serde::Serialize;

use crate::progress::describe;

/// Rows shown in text before the rest is summarized.
const TEXT_ROWS: usize = 40;

#[derive(Serialize)]
pub struct StatusReport {
    pub job: JobView,
    pub runs: Vec<RunView>,
    /// Show every run in text, not only the first ones.
    #[serde(skip)]
    pub show_all: bool,
}

#[derive(Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    /// DONE when every run is DONE, RUNNING while any run is open, else what ended it.
    pub status: &'static str,
    pub counts: StatusCounts,
}

#[derive(Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub run: Run,
    pub duration_seconds: Option<f64>,
    /// Where the committed result is, for DONE runs.
    pub results: Option<String>,
}

impl StatusReport {
    pub fn new(
        job: Job,
        runs: Vec<Run>,
        results: Option<&Storage>,
        now: DateTime<Utc>,
    ) -> StatusReport {
        let mut counts = StatusCounts::default();
        for run in &runs {
            counts.add(run.status, 1);
        }
        let runs = runs
            .into_iter()
            .map(|run| RunView {
                duration_seconds: run
                    .duration(now)
                    .map(|d| d.num_milliseconds() as f64 / 1000.0),
                results: match (results, &run.results_key) {
                    (Some(storage), Some(key)) => Some(storage.describe(key)),
                    _ => None,
                },
                run,
            })
            .collect();
        StatusReport {
            job: JobView {
                status: job_status(&counts),
                job,
                counts,
            },
            runs,
            show_all: false,
        }
    }

    /// Whether every run is DONE.
    pub fn all_done(&self) -> bool {
        self.job.counts.done == self.job.counts.total()
    }
}

fn job_status(counts: &StatusCounts) -> &'static str {
    if counts.queued + counts.running > 0 {
        "RUNNING"
    } else if counts.done == counts.total() {
        "DONE"
    } else if counts.error > 0 {
        "FAILED"
    } else {
        "CANCELLED"
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let job = &self.job.job;
        writeln!(
            f,
            "Job {} ({}, {} runs on {}): {} — {}",
            job.id,
            job.name,
            job.run_count,
            job.backend,
            self.job.status,
            describe(&self.job.counts)
        )?;
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["Run", "Status", "Attempts", "Duration", "Reason", "Results"]);
        // Problems first, so they are seen even when the table is cut.
        let mut rows: Vec<&RunView> = self.runs.iter().collect();
        rows.sort_by_key(|r| (r.run.status == RunStatus::Done, r.run.run_number));
        let shown = if self.show_all {
            rows.len()
        } else {
            rows.len().min(TEXT_ROWS)
        };
        for view in &rows[..shown] {
            table.add_row([
                view.run.run_number.to_string(),
                view.run.status.to_string(),
                view.run.attempts.to_string(),
                view.duration_seconds
                    .map(|s| format!("{s:.1}s"))
                    .unwrap_or_else(|| "-".into()),
                view.run.status_reason.clone().unwrap_or_default(),
                view.results.clone().unwrap_or_default(),
            ]);
        }
        write!(f, "{table}")?;
        if shown < rows.len() {
            write!(
                f,
                "\n... and {} more runs (all of them: `fredbatch status {} --all` or `--output json`)",
                rows.len() - shown,
                job.id
            )?;
        }
        Ok(())
    }
}
