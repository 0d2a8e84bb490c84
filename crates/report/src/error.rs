//! What can go wrong while reading a job's results, and while writing its report.

use std::path::PathBuf;

use fredbatch_core::JobId;
use fredbatch_storage::StorageError;
use fredbatch_store::StoreError;
use thiserror::Error;

/// An `out.csv` that is not what FRED writes (the caller names the file).
#[derive(Debug, Error)]
pub enum CurveError {
    #[error("no `{column}` column; is this FRED output?")]
    MissingColumn { column: String },
    #[error("line {line}: `{value}` is not a number")]
    BadNumber { line: usize, value: String },
}

/// Why a job's report could not be built from the store and its results.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error("cannot read job {job}'s runs from the store: {source}")]
    Store {
        job: JobId,
        #[source]
        source: StoreError,
    },
    #[error("cannot read run {run}'s out.csv: {source}")]
    Results {
        run: u32,
        #[source]
        source: StorageError,
    },
    #[error("run {run}'s out.csv (`{key}`): {source}")]
    Curve {
        run: u32,
        key: String,
        #[source]
        source: CurveError,
    },
}

/// Why a report could not be written to its folder.
#[derive(Debug, Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}
