//! A job's results as one tidy table, the shape pandas, polars and R read directly: a row per
//! simulated day of every DONE run, with the run's job, configuration, each override of the
//! configuration as a column, its replicate, run number and seed, then every column of FRED's
//! `out.csv`. Written as Parquet or CSV (by the file's extension), one run's `out.csv` in memory
//! at a time and a bounded batch of rows, to a temporary file renamed into place once complete.

mod columns;
mod error;
mod sink;

use std::path::Path;

use fredbatch_core::keys::attempt_file_key;
use fredbatch_core::{Job, RunStatus};
use fredbatch_storage::Storage;
use fredbatch_store::Store;

pub use columns::{Column, Kind, Value};
use columns::{OutCsv, Schema};
pub use error::TableError;
use sink::Sink;

/// The file formats a table is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Parquet,
    Csv,
}

impl TableFormat {
    /// The format `path`'s extension names (`.parquet` or `.csv`).
    pub fn of(path: &Path) -> Result<TableFormat, TableError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("parquet") => Ok(TableFormat::Parquet),
            Some(ext) if ext.eq_ignore_ascii_case("csv") => Ok(TableFormat::Csv),
            _ => Err(TableError::UnknownFormat(path.to_owned())),
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSummary {
    pub runs: usize,
    pub rows: u64,
    pub columns: usize,
    pub bytes: u64,
}

/// Writes `job`'s table to `path` (its format from the extension); nothing is left at `path`
/// unless the whole table was written.
pub async fn write_table(
    store: &Store,
    results: &Storage,
    job: &Job,
    path: &Path,
) -> Result<TableSummary, TableError> {
    let format = TableFormat::of(path)?;
    let configs = store.configs(job.id).await?;
    let runs: Vec<_> = store
        .api_runs(job.id)
        .await?
        .into_iter()
        .filter(|r| r.run.status == RunStatus::Done && r.run.results_key.is_some())
        .collect();
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".fredbatch-table-")
        .tempfile_in(&folder)
        .map_err(|source| TableError::Io {
            path: folder.clone(),
            source,
        })?;
    let mut sink: Option<Sink> = None;
    let mut schema: Option<Schema> = None;
    let mut rows = 0u64;
    for api_run in &runs {
        let run = &api_run.run;
        let prefix = run.results_key.as_deref().expect("filtered on results");
        let key = attempt_file_key(prefix, &format!("RUN{}/out.csv", run.fred_run));
        let bytes = results
            .get_bytes(&key)
            .await
            .map_err(|source| TableError::Results {
                run: run.run_number,
                source,
            })?;
        let out = OutCsv::parse(run.run_number, &bytes)?;
        let schema = match &mut schema {
            Some(schema) => schema,
            None => schema.insert(Schema::new(job, &configs, &out)?),
        };
        let sink = match &mut sink {
            Some(sink) => sink,
            None => sink.insert(Sink::new(
                format,
                temp.as_file()
                    .try_clone()
                    .map_err(|source| TableError::Io {
                        path: temp.path().to_owned(),
                        source,
                    })?,
                &schema.columns,
            )?),
        };
        for row in schema.rows(job, run, api_run.seed, &out)? {
            sink.push(row)?;
            rows += 1;
        }
    }
    let columns = match (sink, &schema) {
        (Some(sink), Some(schema)) => {
            sink.finish()?;
            schema.columns.len()
        }
        // No DONE run: the table is the header of what a run would give.
        _ => {
            let columns = Schema::without_runs(job, &configs).columns;
            let file = temp
                .as_file()
                .try_clone()
                .map_err(|source| TableError::Io {
                    path: temp.path().to_owned(),
                    source,
                })?;
            Sink::new(format, file, &columns)?.finish()?;
            columns.len()
        }
    };
    // A file for the user, readable as any other they write (a temporary file is owner-only).
    let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    std::fs::set_permissions(temp.path(), readable).map_err(|source| TableError::Io {
        path: temp.path().to_owned(),
        source,
    })?;
    temp.persist(path).map_err(|error| TableError::Io {
        path: path.to_owned(),
        source: error.error,
    })?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(TableSummary {
        runs: runs.len(),
        rows,
        columns,
        bytes,
    })
}
