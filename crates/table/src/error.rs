use std::path::PathBuf;

use fredbatch_storage::StorageError;
use fredbatch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{0}: a table is written as Parquet or CSV; name the file `.parquet` or `.csv`")]
    UnknownFormat(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read run {run}'s results: {source}")]
    Results {
        run: u32,
        #[source]
        source: StorageError,
    },
    #[error("run {run}'s out.csv, line {line}: {problem}")]
    OutCsv {
        run: u32,
        line: usize,
        problem: String,
    },
    #[error(
        "run {run}'s out.csv has columns the job's first run's lacks ({columns}); runs of one \
         table must share FRED's columns"
    )]
    Columns { run: u32, columns: String },
    #[error("the override `{0}` has the name of a column of FRED's out.csv")]
    Clash(String),
    #[error("cannot write the Parquet file: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("cannot write the CSV file: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
