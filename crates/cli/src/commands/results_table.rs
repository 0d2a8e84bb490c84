//! `fredbatch results JOB_ID --table FILE`: the job's results as one table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use fredbatch_core::JobId;
use fredbatch_table::{TableFormat, write_table};
use serde::Serialize;

use crate::Context;
use crate::output::emit;

#[derive(Serialize)]
struct Written {
    job_id: JobId,
    table: PathBuf,
    runs: usize,
    rows: u64,
    columns: usize,
    bytes: u64,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Wrote {} DONE run(s) of job {} to {}: {} rows x {} columns, {:.1} MB",
            self.runs,
            self.job_id,
            self.table.display(),
            self.rows,
            self.columns,
            self.bytes as f64 / 1e6
        )
    }
}

pub async fn run(job_id: JobId, table: &Path, ctx: &Context) -> anyhow::Result<ExitCode> {
    // A typo in the extension is refused before anything is read.
    TableFormat::of(table)?;
    let store = ctx.settings.open_store().await?;
    let job = store.job(job_id).await?;
    let results = crate::backend::job_settings(&job, &ctx.settings).results()?;
    let summary = write_table(&store, &results, &job, table)
        .await
        .with_context(|| format!("cannot write job {job_id}'s table; nothing was written"))?;
    emit(
        ctx.output,
        &Written {
            job_id,
            table: table.to_owned(),
            runs: summary.runs,
            rows: summary.rows,
            columns: summary.columns,
            bytes: summary.bytes,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
