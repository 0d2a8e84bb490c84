//! `fredbatch results JOB_ID --out DIR`: copy every DONE run's committed results out (or, with
//! `--table FILE`, write them as one table: see `results_table`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use fredbatch_core::keys::{attempt_file_key, manifest_key};
use fredbatch_core::manifest::Manifest;
use fredbatch_core::{JobId, RunStatus};
use serde::Serialize;

use crate::Context;
use crate::output::emit;

/// Copy the committed results of a job's DONE runs to a folder, one `run-<N>/` per run
/// (`config-<k>/run-<N>/` in a sweep), N being the Run column of `fredbatch status`; FRED's
/// own output of FRED run r is in `RUN<r>/` inside.
///
/// Only committed results are copied: each run's manifest lists its files, and every copied
/// file is checked against the manifest's size.
///
/// With `--table FILE.parquet` (or `.csv`), writes them instead as one tidy table for pandas,
/// polars or R: a row per simulated day of every DONE run, with its job, configuration, each
/// override as a column, replicate, run number, seed, day, date and every column of FRED's
/// out.csv.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
      fredbatch results 3 --out results/
      fredbatch results 3 --table ensemble.parquet   # pandas.read_parquet(\"ensemble.parquet\")")]
pub struct ResultsArgs {
    /// The job.
    pub job_id: JobId,
    /// Where to put them (created if missing).
    #[arg(long, short, required_unless_present = "table")]
    pub out: Option<PathBuf>,
    /// Write one table instead, as Parquet or CSV by the file's extension.
    #[arg(long, value_name = "FILE.parquet|FILE.csv", conflicts_with = "out")]
    pub table: Option<PathBuf>,
}

#[derive(Serialize)]
struct Copied {
    job_id: JobId,
    out: PathBuf,
    runs_copied: usize,
    files: usize,
    bytes: u64,
    runs_without_results: Vec<u32>,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Copied {} run(s) of job {} ({} files, {:.1} MB) to {}",
            self.runs_copied,
            self.job_id,
            self.files,
            self.bytes as f64 / 1e6,
            self.out.display()
        )?;
        if !self.runs_without_results.is_empty() {
            write!(
                f,
                "\nNo committed results for run number(s) {:?} (not DONE).",
                self.runs_without_results
            )?;
        }
        Ok(())
    }
}

pub async fn run(args: ResultsArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    if let Some(table) = &args.table {
        return super::results_table::run(args.job_id, table, ctx).await;
    }
    let out = args.out.expect("clap requires --out without --table");
    let store = ctx.settings.open_store().await?;
    let job = store.job(args.job_id).await?;
    let results = crate::backend::job_settings(&job, &ctx.settings).results()?;
    let mut copied = Copied {
        job_id: job.id,
        out: out.clone(),
        runs_copied: 0,
        files: 0,
        bytes: 0,
        runs_without_results: Vec::new(),
    };
    for run in store.runs(job.id).await? {
        let (RunStatus::Done, Some(prefix)) = (run.status, run.results_key.as_deref()) else {
            copied.runs_without_results.push(run.run_number);
            continue;
        };
        let manifest: Manifest =
            serde_json::from_slice(&results.get_bytes(&manifest_key(prefix)).await?)
                .with_context(|| format!("the manifest of run {} is unreadable", run.run_number))?;
        let run_dir = out.join(run.results_dir(job.is_sweep()));
        for file in &manifest.files {
            let target = run_dir.join(&file.path);
            let size = results
                .get_file(&attempt_file_key(prefix, &file.path), &target)
                .await?;
            if size != file.size {
                bail!(
                    "{} has {size} bytes but its manifest says {}; the stored results are damaged",
                    target.display(),
                    file.size
                );
            }
            copied.files += 1;
            copied.bytes += size;
        }
        copied.runs_copied += 1;
    }
    emit(ctx.output, &copied)?;
    Ok(ExitCode::SUCCESS)
}
