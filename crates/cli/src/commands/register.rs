//! Registering a job from a model directory: the model and its configurations are checked and
//! packed before anything is connected or stored, and a job whose inputs cannot be stored is
//! removed again, so a refused job leaves nothing behind.

use anyhow::Context as _;
use chrono::Utc;
use fredbatch_core::BackendTarget;
use fredbatch_core::keys::{cli_inputs_prefix, inputs_archive_key};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{Budget, Job, RetryPolicy};
use fredbatch_inputs::{PackLimits, Packed, pack_model_dir};
use fredbatch_store::{NewConfig, NewJob, Store};

use crate::Context;
use crate::commands::args::{ModelArgs, RunResourceArgs};
use crate::commands::job_size::JobSize;
use crate::model_check::ModelToCheck;

/// A model checked and packed, ready to register.
pub struct Prepared<'a> {
    model: &'a ModelArgs,
    configs: Vec<Vec<ParamOverride>>,
    archive: tempfile::NamedTempFile,
    pub(crate) packed: Packed,
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

/// Where and how a registered job's runs go.
pub struct HowItRuns {
    /// Their size and how it was found.
    pub size: JobSize,
    /// What the runs may cost in all.
    pub budget: Option<Budget>,
    pub backend: BackendTarget,
    /// What a run gets after a failed attempt (see [`Job::retry_policy`]).
    pub retry_policy: RetryPolicy,
    /// Its first run is the check of its model (see [`Job::first_run_checks`]).
    pub first_run_checks: bool,
    /// Its runs identical to runs DONE before take their results (see [`Job::reuse`]).
    pub reuse: bool,
}

impl Prepared<'_> {
    /// Runs the job will hold, across its configurations.
    pub fn run_count(&self) -> u32 {
        self.configs.len() as u32 * self.model.runs
    }

    /// Every override a run may get: the job's and each configuration's.
    pub fn overrides(&self) -> impl Iterator<Item = &ParamOverride> {
        self.model
            .params
            .iter()
            .chain(self.configs.iter().flatten())
    }

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

    /// Registers the job and stores its inputs (in `ctx`'s uploads location), to run as `how`
    /// says.
    pub async fn register(
        self,
        ctx: &Context,
        store: &Store,
        resources: &RunResourceArgs,
        how: HowItRuns,
    ) -> anyhow::Result<Job> {
        let HowItRuns {
            size,
            budget,
            backend,
            retry_policy,
            first_run_checks,
            reuse,
        } = how;
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
        let per_run = size.resources;
        let job = store
            .create_job(
                NewJob {
                    budget,
                    size_key: Some(size.key),
                    size_origin: size.origin.clone(),
                    name,
                    model_dir: model_dir.display().to_string(),
                    program: model.program.clone(),
                    params: model.params.clone(),
                    configs: NewConfig::each(self.configs, model.runs),
                    resources: per_run,
                    max_attempts: resources.attempts,
                    attempt_timeout_seconds: resources.timeout.as_secs().max(1),
                    retry_policy,
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
            "Job {} registered: {shape} of {} ({} files, {} bytes of model), {per_run} per run ({}).",
            job.id, job.name, self.packed.files, self.packed.bytes, size.origin
        ));
        Ok(job)
    }
}
