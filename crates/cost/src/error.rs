//! Everything that can go wrong while pricing or sizing, with what to do about it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CostError {
    #[error(
        "unknown instance type `{name}`; the price table knows {known} (or pass --on-demand-price and --spot-price with a table of your own via --prices)"
    )]
    UnknownInstance { name: String, known: String },
    #[error("the price table is not valid JSON of the expected shape: {0}")]
    BadTable(#[from] serde_json::Error),
    #[error("the price table is invalid: {0}")]
    InvalidTable(String),
    #[error("`{text}` is not a {what}; {hint}")]
    BadValue {
        text: String,
        what: &'static str,
        hint: &'static str,
    },
    #[error(
        "a run asking {vcpus} vCPU / {memory_mb} MB fits none of the instance types {types}; lower the request or allow larger types"
    )]
    NoFit {
        vcpus: u32,
        memory_mb: u64,
        types: String,
    },
    #[error(
        "there are no measured attempts to size from; run the model first (fredbatch profile MODEL_DIR)"
    )]
    NoMeasurements,
}
