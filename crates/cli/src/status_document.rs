//! The status document of a job: one shape for the summary table people read and the JSON
//! scripts read (`{"job": {...}, "runs": [...]}`).

use std::collections::BTreeMap;
use std::fmt;

use fredbatch_core::FailureClass;

use chrono::{DateTime, Utc};
use comfy_table::ContentArrangement;
use fredbatch_core::program::run_overrides;
use fredbatch_core::{
    Config, Job, JobStatus, LogRequest, Resources, Run, RunStatus, SimulationRunner,
};
use fredbatch_storage::Storage;
use fredbatch_store::StatusCounts;
use serde::Serialize;

/// Rows shown in text before the rest is summarized.
const TEXT_ROWS: usize = 40;
/// Failed runs whose last log lines the report shows, and how many lines.
const FAILED_LOGS_SHOWN: usize = 3;
const LOG_TAIL_LINES: usize = 10;

#[derive(Serialize)]
pub struct StatusDocument {
    pub job: JobView,
    /// The job's configurations with their own overrides (one, with none, unless a sweep).
    pub configs: Vec<Config>,
    pub runs: Vec<RunView>,
    /// Show every run in text, not only the first ones.
    #[serde(skip)]
    pub show_all: bool,
}

#[derive(Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    /// See [`fredbatch_core::StatusCounts::job_status`].
    pub status: JobStatus,
    pub counts: StatusCounts,
}

#[derive(Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub run: Run,
    /// Every model key the run sets, in order: the job's `--param`s, then its configuration's.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub duration_seconds: Option<f64>,
    /// Where the committed result is, for DONE runs.
    pub results: Option<String>,
    /// What kind of failure ended it, for an ERROR run.
    pub failure: Option<FailureClass>,
    /// What it runs (or ran) with, and why (see [`Job::run_size`]).
    pub size: Resources,
    pub size_why: String,
    /// The last lines of a failed run's log (for the first few failed runs), as written: the
    /// text form renders the worker's lines as `fredbatch logs` does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

impl StatusDocument {
    pub fn new(
        job: Job,
        configs: Vec<Config>,
        runs: Vec<Run>,
        results: Option<&Storage>,
        now: DateTime<Utc>,
    ) -> StatusDocument {
        let mut counts = StatusCounts::default();
        for run in &runs {
            counts.add(run.status, 1);
        }
        let params: Vec<serde_json::Map<String, serde_json::Value>> = configs
            .iter()
            .map(|config| {
                run_overrides(&job, config)
                    .into_iter()
                    .map(|p| (p.key, serde_json::Value::String(p.value)))
                    .collect()
            })
            .collect();
        let runs = runs
            .into_iter()
            .map(|run| {
                let (size, size_why) = job.run_size(&run);
                RunView {
                    failure: run.failure(),
                    size,
                    size_why,
                    params: run
                        .config
                        .checked_sub(1)
                        .and_then(|i| params.get(i as usize))
                        .cloned()
                        .unwrap_or_default(),
                    duration_seconds: run
                        .duration(now)
                        .map(|d| d.num_milliseconds() as f64 / 1000.0),
                    results: match (results, &run.results_key) {
                        (Some(storage), Some(key)) => Some(storage.describe(key)),
                        _ => None,
                    },
                    log_tail: Vec::new(),
                    run,
                }
            })
            .collect();
        StatusDocument {
            job: JobView {
                status: counts.job_status(),
                job,
                counts,
            },
            configs,
            runs,
            show_all: false,
        }
    }

    /// Adds the last lines of the first failed runs' logs, so the summary shows why they
    /// failed. A log that cannot be read is left out: the report stands without it.
    pub async fn attach_failure_logs(&mut self, runner: &dyn SimulationRunner) {
        let failed = self
            .runs
            .iter_mut()
            .filter(|view| view.run.status == RunStatus::Error)
            .take(FAILED_LOGS_SHOWN);
        for view in failed {
            let Some(id) = &view.run.backend_job_id else {
                continue;
            };
            let request = LogRequest {
                limit: LOG_TAIL_LINES,
                tail: true,
                ..LogRequest::default()
            };
            match runner.logs(id, &request).await {
                Ok(page) => view.log_tail = page.lines,
                Err(error) => tracing::debug!(run = %view.run.id, %error, "no log tail"),
            }
        }
    }

    /// Whether every run is DONE.
    pub fn all_done(&self) -> bool {
        self.job.counts.done == self.job.counts.total()
    }
}

impl fmt::Display for StatusDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let job = &self.job.job;
        writeln!(
            f,
            "Job {} ({}, {} runs on {}): {} — {}",
            job.id,
            job.name,
            job.run_count,
            job.backend.kind(),
            self.job.status,
            self.job.counts.summary()
        )?;
        if let Some(reason) = &job.status_reason {
            writeln!(f, "Reason: {reason}")?;
        }
        writeln!(f, "Size: {} per run ({})", job.resources, job.size_origin)?;
        if let Some(budget) = job.budget {
            writeln!(f, "Budget: {budget}")?;
        }
        let sweep = job.is_sweep();
        if sweep {
            writeln!(
                f,
                "Configurations (FRED run r of each draws the same random numbers):"
            )?;
            for config in &self.configs {
                writeln!(
                    f,
                    "  {}: {}",
                    config.number,
                    fredbatch_core::params::describe(&config.params)
                )?;
            }
        }
        // Run is the run's number within the job, as in its results' paths and in
        // `JOB --run N`; Id is what names it alone (`fredbatch logs <Id>`).
        let mut headers = vec!["Id", "Run"];
        if sweep {
            headers.extend(["Config", "FRED run"]);
        }
        headers.extend([
            "Status", "Attempts", "Size", "Duration", "Reason", "Results",
        ]);
        let mut table = crate::output::table(headers);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        // Problems first, so they are seen even when the table is cut.
        let mut rows: Vec<&RunView> = self.runs.iter().collect();
        rows.sort_by_key(|r| (r.run.status == RunStatus::Done, r.run.run_number));
        let shown = if self.show_all {
            rows.len()
        } else {
            rows.len().min(TEXT_ROWS)
        };
        for view in &rows[..shown] {
            let mut row = vec![view.run.id.to_string(), view.run.run_number.to_string()];
            if sweep {
                row.extend([view.run.config.to_string(), view.run.replicate.to_string()]);
            }
            row.extend([
                view.run.status.to_string(),
                view.run.attempts.to_string(),
                view.size.to_string(),
                view.duration_seconds
                    .map(|s| format!("{s:.1}s"))
                    .unwrap_or_else(|| "-".into()),
                match (view.failure, &view.run.status_reason, view.run.reused_from) {
                    (Some(class), Some(reason), _) => format!("[{class}] {reason}"),
                    (_, None, Some(source)) => format!("reused run id {source}'s results"),
                    (_, reason, _) => reason.clone().unwrap_or_default(),
                },
                view.results.clone().unwrap_or_default(),
            ]);
            table.add_row(row);
        }
        write!(f, "{table}")?;
        let reused = self
            .runs
            .iter()
            .filter(|v| v.run.reused_from.is_some())
            .count();
        if reused > 0 {
            write!(
                f,
                "\n{reused} of {} runs took the results of identical runs DONE before (FRED \
                 did not run for them; `--no-reuse` runs everything).",
                self.runs.len()
            )?;
        }
        write_warnings(f, &self.runs)?;
        for view in self.runs.iter().filter(|v| !v.log_tail.is_empty()) {
            write!(
                f,
                "\nLast lines of {}'s log (all of it: `fredbatch logs {}`):",
                run_label(&view.run, sweep),
                view.run.id
            )?;
            for line in &view.log_tail {
                write!(f, "\n  {}", fredbatch_core::worker_line::for_people(line))?;
            }
        }
        if shown < rows.len() {
            write!(
                f,
                "\n... and {} more runs (all of them: `fredbatch status {} --all` or `--output json`)",
                rows.len() - shown,
                job.id
            )?;
        }
        write!(
            f,
            "\nA run's log: `fredbatch logs <Id>` (or `fredbatch logs {job} --run <Run>`); \
             its attempts: `fredbatch status {job} --run <Run>`.",
            job = job.id
        )?;
        Ok(())
    }
}

/// FRED's warnings of the job's runs, each told once with how many runs it concerns.
fn write_warnings(f: &mut fmt::Formatter<'_>, runs: &[RunView]) -> fmt::Result {
    let mut warned: BTreeMap<&str, usize> = BTreeMap::new();
    for line in runs.iter().flat_map(|view| &view.run.warnings) {
        *warned.entry(line).or_default() += 1;
    }
    if warned.is_empty() {
        return Ok(());
    }
    write!(f, "\nFRED warned that its runs ignored part of the model:")?;
    for (line, runs) in warned {
        let plural = if runs == 1 { "" } else { "s" };
        write!(f, "\n  {line} ({runs} run{plural})")?;
    }
    Ok(())
}

/// How people refer to a run: `run 3`, or `run 5 (configuration 2, FRED run 1)` in a sweep.
pub fn run_label(run: &Run, sweep: bool) -> String {
    if sweep {
        format!(
            "run {} (configuration {}, FRED run {})",
            run.run_number, run.config, run.replicate
        )
    } else {
        format!("run {}", run.run_number)
    }
}
