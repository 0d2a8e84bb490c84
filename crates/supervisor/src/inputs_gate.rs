//! The inputs gate of jobs registered through an API: their inputs archive is uploaded after
//! the job, so no run is submitted before the archive is there and passes the worker's own
//! extraction rules. The bytes that passed are stored where the worker reads them, so what
//! runs is exactly what was checked, whatever is uploaded later.
//!
//! When the server has FRED, each configuration's program is then checked with FRED's check
//! mode: a configuration FRED finds errors or warnings in is refused (its runs end ERROR with
//! FRED's words before any starts), the others go on.
//!
//! Two kinds of failure: the archive is *refused* (the job's runs can never start: recorded
//! with the job), or the check could not be made (storage or scratch space failed, the engine
//! would not run: tried again next round, and said).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fredbatch_core::keys::{inputs_archive_key, uploaded_inputs_key};
use fredbatch_core::model_check::{
    CheckError, CheckSummary, ConfigCheck, ModelChecker, known_keys,
};
use fredbatch_core::program::{config_overrides, prepare_program};
use fredbatch_core::{Config, Job};
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
    #[error("the model could not be checked with FRED's check mode: {0}")]
    ModelCheck(#[from] CheckError),
}

/// Configurations FRED's check refused, each with the reason its runs end with.
pub type RefusedConfigs = Vec<(u32, String)>;

/// What a check found: `None` while the archive is not uploaded yet.
pub type InputsOutcome = Option<Result<RefusedConfigs, InputsRefused>>;

#[derive(Clone)]
pub(crate) struct InputsGate {
    pub(crate) uploads: Storage,
    /// Where archives are fetched and extracted to be checked.
    pub(crate) scratch: PathBuf,
    /// FRED's check mode, when this server has FRED to check with.
    pub(crate) model_check: Option<Arc<dyn ModelChecker>>,
}

impl InputsGate {
    /// Checks `job`'s uploaded archive and, if it passes, each of `configs` with FRED's check
    /// mode, then stores the checked bytes where the worker reads them.
    pub(crate) async fn check(
        &self,
        job: &Job,
        configs: &[Config],
    ) -> Result<InputsOutcome, InputsCheckError> {
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
            let (archive, program, model) = (archive.clone(), job.program.clone(), model.clone());
            move || match extract_archive(&archive, &model, ExtractLimits::default()) {
                // The scratch folder failed, not the archive: tried again next round.
                Err(InputsError::Io { path, source }) => Err((PathBuf::from(path), source)),
                Err(refused) => Ok(Err(refused.into())),
                Ok(_) if model.join(&program).is_file() => Ok(Ok(())),
                Ok(_) => Ok(Err(InputsRefused::NoProgram { program })),
            }
        })
        .await
        .unwrap_or_else(|panicked| Ok(Err(InputsRefused::CheckFailed(panicked))))
        .map_err(|(path, source)| InputsCheckError::Scratch { path, source })?;
        let checked = match (checked, &self.model_check) {
            (Ok(()), Some(checker)) => {
                Ok(check_model(checker.as_ref(), &model, job, configs).await?)
            }
            (Ok(()), None) => Ok(Vec::new()),
            (Err(refused), _) => Err(refused),
        };
        if checked.is_ok() {
            self.uploads
                .put_file(&inputs_archive_key(&job.inputs_key), &archive)
                .await
                .map_err(storage("store the checked"))?;
        }
        Ok(Some(checked))
    }
}

/// Checks each configuration's program with FRED's check mode; returns the refused ones.
async fn check_model(
    checker: &dyn ModelChecker,
    model_dir: &Path,
    job: &Job,
    configs: &[Config],
) -> Result<RefusedConfigs, InputsCheckError> {
    let main_file = std::fs::read_to_string(model_dir.join(&job.program)).map_err(|source| {
        InputsCheckError::Scratch {
            path: model_dir.join(&job.program),
            source,
        }
    })?;
    let programs = configs
        .iter()
        .map(|config| {
            let overrides = config_overrides(&job.params, &config.params);
            (config.number, prepare_program(&main_file, &overrides))
        })
        .collect();
    let checks = checker.check(model_dir, &job.program, programs).await?;
    let engine_keys = checker.known_keys();
    let known = known_keys(&engine_keys, &main_file, &checks);
    let refused = checks
        .iter()
        .filter(|check| !check.errors.is_empty() || !check.warnings.is_empty())
        .map(|check| {
            let config = configs.iter().find(|c| c.number == check.config);
            let overridden: Vec<&str> = job
                .params
                .iter()
                .chain(config.map(|c| c.params.as_slice()).unwrap_or_default())
                .map(|param| param.key.as_str())
                .collect();
            (check.config, refusal(check, &known, &overridden))
        })
        .collect();
    Ok(refused)
}

/// Why a configuration's runs end before starting, in FRED's words.
fn refusal(check: &ConfigCheck, known: &[&str], overridden: &[&str]) -> String {
    let summary = CheckSummary::new(std::slice::from_ref(check), known, overridden);
    let (what, findings) = if summary.errors.is_empty() {
        ("FRED would ignore part of the model", &summary.warnings)
    } else {
        ("FRED found errors in the model", &summary.errors)
    };
    let told: Vec<String> = findings
        .iter()
        .map(|finding| finding.describe(1).replace("\n    ", " "))
        .collect();
    format!("not run: {what} (its check mode said): {}", told.join("; "))
}
