//! The inputs gate of jobs registered through an API: their inputs archive is uploaded after
//! the job, so no run is submitted before the archive is there and passes the worker's own
//! extraction rules. The bytes that passed are stored where the worker reads them, so what
//! runs is exactly what was checked, whatever is uploaded later.
//!
//! Two kinds of failure: the archive is *refused* (the job's runs can never start: recorded
//! with the job), or the check could not be made (storage or scratch space failed: tried again
//! next round).

use std::path::{Path, PathBuf};

use fredbatch_core::Job;
use fredbatch_core::keys::{inputs_archive_key, uploaded_inputs_key};
use fredbatch_inputs::{ExtractLimits, InputsError, extract_archive};
use fredbatch_storage::{Storage, StorageError};

/// Why an uploaded inputs archive was refused (what the job's runs end with).
#[derive(Debug, thiserror::Error)]
pub enum InputsRefused {
    #[error(transparent)]
    Unusable(#[from] InputsError),
    #[error("the inputs archive has no `{program}` at its root")]
    NoProgram { program: String },
    #[error("checking the inputs failed: {0}")]
    CheckFailed(#[source] tokio::task::JoinError),
}

/// Why an uploaded inputs archive could not be checked this time.
#[derive(Debug, thiserror::Error)]
pub enum InputsCheckError {
    #[error("cannot {action} the inputs archive: {source}")]
    Storage {
        /// What the gate was doing, e.g. "fetch".
        action: &'static str,
        #[source]
        source: StorageError,
    },
    #[error("cannot use the scratch folder {path} to check inputs: {source}")]
    Scratch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a check found: `None` while the archive is not uploaded yet.
pub type InputsOutcome = Option<Result<(), InputsRefused>>;

pub(crate) struct InputsGate {
    pub(crate) uploads: Storage,
    /// Where archives are fetched and extracted to be checked.
    pub(crate) scratch: PathBuf,
}

impl InputsGate {
    /// Checks `job`'s uploaded archive and, if it passes, stores the checked bytes where the
    /// worker reads them.
    pub(crate) async fn check(&self, job: &Job) -> Result<InputsOutcome, InputsCheckError> {
        let storage = |action| move |source| InputsCheckError::Storage { action, source };
        let key = uploaded_inputs_key(&job.inputs_key);
        if !self
            .uploads
            .exists(&key)
            .await
            .map_err(storage("look for"))?
        {
            return Ok(None);
        }
        let scratch = |path: &Path| {
            let path = path.to_owned();
            move |source| InputsCheckError::Scratch { path, source }
        };
        std::fs::create_dir_all(&self.scratch).map_err(scratch(&self.scratch))?;
        let dir = tempfile::tempdir_in(&self.scratch).map_err(scratch(&self.scratch))?;
        let archive = dir.path().join("job_input.zip");
        self.uploads
            .get_file(&key, &archive)
            .await
            .map_err(storage("fetch"))?;
        let model = dir.path().join("model");
        std::fs::create_dir(&model).map_err(scratch(&model))?;
        let checked = tokio::task::spawn_blocking({
            let (archive, program) = (archive.clone(), job.program.clone());
            move || {
                extract_archive(&archive, &model, ExtractLimits::default())?;
                if model.join(&program).is_file() {
                    Ok(())
                } else {
                    Err(InputsRefused::NoProgram { program })
                }
            }
        })
        .await
        .unwrap_or_else(|panicked| Err(InputsRefused::CheckFailed(panicked)));
        if checked.is_ok() {
            self.uploads
                .put_file(&inputs_archive_key(&job.inputs_key), &archive)
                .await
                .map_err(storage("store the checked"))?;
        }
        Ok(Some(checked))
    }
}
