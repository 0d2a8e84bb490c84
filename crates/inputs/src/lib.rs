//! A job's inputs: the whole model directory (FRED models `use` and include files beside the
//! main one), packed into one zip archive when the job is registered and unpacked into a fresh
//! workspace by the worker.
//!
//! Extraction trusts nothing in the archive: entries with absolute paths, `..`, links, a name
//! listed twice, or more bytes than the limits allow are refused, sizes are counted as bytes are
//! written (a zip header's sizes can lie), and nothing is written outside the destination.

mod digest;
mod extract;
mod pack;

pub use digest::ModelDigest;
pub use extract::{ExtractLimits, Extracted, extract_archive};
pub use pack::{PackLimits, Packed, pack_model_dir};

#[derive(Debug, thiserror::Error)]
pub enum InputsError {
    #[error(
        "model directory {0} does not exist; give the folder that holds your model's .fred files"
    )]
    NoModelDir(String),
    #[error("{0} is not a directory; give the folder that holds your model's .fred files")]
    NotADirectory(String),
    #[error("model directory {0} is empty; it must hold at least the main program file")]
    EmptyModelDir(String),
    #[error(
        "model directory {dir} has no `{program}`; create it, or name the main file with --program"
    )]
    NoProgram { dir: String, program: String },
    #[error("{0} is a link; fredbatch copies files, not links: replace it with the file itself")]
    LinkInModel(String),
    #[error(
        "model directory {dir} holds more than {limit} bytes; FRED models are small: keep large outputs and data out of it"
    )]
    ModelTooLarge { dir: String, limit: u64 },
    #[error("model directory {dir} holds more than {limit} files")]
    TooManyModelFiles { dir: String, limit: usize },
    #[error("the inputs archive is unreadable or corrupt: {0}")]
    CorruptArchive(String),
    #[error(
        "the inputs archive has an unsafe entry `{entry}`: {why}; nothing was extracted outside the workspace"
    )]
    UnsafeEntry { entry: String, why: &'static str },
    #[error(
        "the inputs archive expands beyond the limit of {limit} bytes (a zip bomb, or a model far larger than FRED models are)"
    )]
    TooLarge { limit: u64 },
    #[error("the inputs archive has more than {limit} entries")]
    TooManyEntries { limit: usize },
    /// Extracting one entry failed; named by the entry, not by where it was being written.
    #[error("cannot extract the archive's entry `{entry}`: {source}")]
    Entry {
        entry: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> InputsError + '_ {
    move |source| InputsError::Io {
        path: path.display().to_string(),
        source,
    }
}
