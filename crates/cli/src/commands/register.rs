//! Registering a job from a model directory: the model and its configurations are checked and
//! packed before anything is connected or stored, and a job whose inputs cannot be stored is
//! removed again, so a refused job leaves nothing behind.

use anyhow::Context as _;
use chrono::Utc;
use fredbatch_core::BackendTarget;
use fredbatch_core::Job;
use fredbatch_core::keys::{cli_inputs_prefix, inputs_archive_key};
use fredbatch_core::params::ParamOverride;
use fredbatch_inputs::{PackLimits, Packed, pack_model_dir};
use fredbatch_store::{NewConfig, NewJob, Store};

use crate::Context;
use crate::commands::args::{ModelArgs, RunResourceArgs};
use crate::model_check::ModelToCheck;

/// A model checked and packed, ready to register.
pub struct Prepared<'a> {
    model: &'a ModelArgs,
    configs: Vec<Vec<ParamOverride>>,
    archive: tempfile::NamedTempFile,
    packed: Packed,
}

/// Checks the configurations and packs the model directory into a temporary archive.
pub fn prepare(model: &ModelArgs) -> anyhow::Result<Prepared<'_>> {
    let configs = model.configurations()?;
    let archive =
        tempfile::NamedTempFile::new().context("cannot create a temporary file for the inputs")?;
    let packed = pack_model_dir(
        &model.model_dir,
        &model.program,
        archive.path(),
        PackLimits::default(),
    )?;
    Ok(Prepared {
        model,
        configs,
        archive,
        packed,
    })
}

impl Prepared<'_> {
    /// The model as FRED's check mode needs it: the packed inputs runs will get, and each
    /// configuration's overrides.
    pub fn to_check(&self) -> ModelToCheck<'_> {
        ModelToCheck {
            archive: self.archive.path(),
            program: &self.model.program,
            job_params: &self.model.params,
            configs: &self.configs,
        }
    }

    /// Registers the job and stores its inputs (in `ctx`'s uploads location); with
    /// `first_run_checks`, its first run is the check of its model (see
    /// [`Job::first_run_checks`]); with `reuse`, its runs identical to runs DONE before take
    /// their results (see [`Job::reuse`]).
    pub async fn register(
        self,
        ctx: &Context,
        store: &Store,
        resources: &RunResourceArgs,
        backend: BackendTarget,
        first_run_checks: bool,
        reuse: bool,
    ) -> anyhow::Result<Job> {
        let model = self.model;
        let uploads = ctx.settings.uploads()?;
        let model_dir = model
            .model_dir
            .canonicalize()
            .unwrap_or(model.model_dir.clone());
        let name = model_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let config_count = self.configs.len();
        let per_run = resources.resources(backend.kind());
        let job = store
            .create_job(
                NewJob {
                    name,
                    model_dir: model_dir.display().to_string(),
                    program: model.program.clone(),
                    params: model.params.clone(),
                    configs: NewConfig::each(self.configs, model.runs),
                    resources: per_run,
                    max_attempts: resources.attempts,
                    attempt_timeout_seconds: resources.timeout.as_secs().max(1),
                    backend,
                    created_at: Utc::now(),
                    first_run_checks,
                    reuse,
                },
                cli_inputs_prefix,
            )
            .await?;
        if let Err(error) = uploads
            .put_file(&inputs_archive_key(&job.inputs_key), self.archive.path())
            .await
        {
            store.delete_unstarted_job(job.id).await.ok();
            return Err(error).context("cannot store the job's inputs; nothing was registered");
        }
        let shape = if config_count > 1 {
            format!(
                "{config_count} configurations x {} run(s) = {} runs",
                model.runs, job.run_count
            )
        } else {
            format!("{} run(s)", job.run_count)
        };
        ctx.note(&format!(
            "Job {} registered: {shape} of {} ({} files, {} bytes of model), {per_run} per run.",
            job.id, job.name, self.packed.files, self.packed.bytes
        ));
        Ok(job)
    }
}
