//! The attempt's workspace: a fresh directory holding the extracted model, the run's program
//! and FRED's output directory. It is removed when the attempt ends.

use std::path::{Path, PathBuf};

use fredbatch_core::keys::inputs_archive_key;
use fredbatch_core::params::ParamOverride;
use fredbatch_core::program::prepare_program;
use fredbatch_core::{Job, Run};
use fredbatch_inputs::{ExtractLimits, extract_archive};
use fredbatch_storage::Storage;

use crate::WorkerError;
use crate::fingerprint::model_digest;

pub struct Workspace {
    /// Deleted on drop.
    _dir: tempfile::TempDir,
    pub model_dir: PathBuf,
    pub program: PathBuf,
    pub out_dir: PathBuf,
    pub log_path: PathBuf,
    /// The digest of the model's files as extracted (see `fingerprint::model_digest`).
    pub model_digest: String,
}

pub async fn prepare(
    root: &Path,
    uploads: &Storage,
    job: &Job,
    run: &Run,
    overrides: &[ParamOverride],
    attempt: u32,
    limits: ExtractLimits,
) -> Result<Workspace, WorkerError> {
    std::fs::create_dir_all(root).map_err(|e| WorkerError::Workspace(root.to_owned(), e))?;
    let dir = tempfile::Builder::new()
        .prefix(&format!(
            "fredbatch-job-{}-run-{}-attempt-{attempt}-",
            job.id, run.run_number
        ))
        .tempdir_in(root)
        .map_err(|e| WorkerError::Workspace(root.to_owned(), e))?;
    let archive = dir.path().join("job_input.zip");
    uploads
        .get_file(&inputs_archive_key(&job.inputs_key), &archive)
        .await?;
    let model_dir = dir.path().join("model");
    std::fs::create_dir(&model_dir).map_err(|e| WorkerError::Workspace(model_dir.clone(), e))?;
    // The model's digest is taken before the run's program joins its files.
    let extract = {
        let (archive, model_dir) = (archive.clone(), model_dir.clone());
        tokio::task::spawn_blocking(move || -> Result<String, WorkerError> {
            extract_archive(&archive, &model_dir, limits)?;
            model_digest(&model_dir).map_err(|e| WorkerError::Workspace(model_dir.clone(), e))
        })
    };
    let model_digest = extract
        .await
        .map_err(|e| WorkerError::Workspace(archive.clone(), std::io::Error::other(e)))??;
    let _ = std::fs::remove_file(&archive);
    tracing::debug!("inputs extracted");

    let main_path = model_dir.join(&job.program);
    let main_file = std::fs::read_to_string(&main_path)
        .map_err(|_| WorkerError::NoProgram(job.program.clone()))?;
    // The run's program sits beside the model's files so FRED resolves relative includes.
    let program = model_dir.join(format!("fredbatch-run-{}.fred", run.run_number));
    std::fs::write(&program, prepare_program(&main_file, overrides))
        .map_err(|e| WorkerError::Workspace(program.clone(), e))?;
    let out_dir = dir.path().join("out");
    let log_path = dir.path().join("fred.log");
    Ok(Workspace {
        _dir: dir,
        model_dir,
        program,
        out_dir,
        log_path,
        model_digest,
    })
}
