//! `fredbatch run MODEL_DIR`: register a job from a model directory and run it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use fredbatch_core::params::ParamOverride;
use fredbatch_inputs::{PackLimits, pack_model_dir};
use fredbatch_store::NewJob;
use fredbatch_worker::inputs_archive_key;

use crate::Context;
use crate::backend::{BackendKind, connect_new};
use crate::commands::args::{BackendArgs, RunResourceArgs};
use crate::commands::supervised::submit_and_watch;
use crate::joblock::JobLock;

/// Run a FRED model: register a job, store its inputs, run every run, and report.
///
/// Exits 0 only if every run ends DONE. Runs are numbered 1..N; FRED seeds each run from its
/// number, so run 3 of the same model always gives the same result.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    fredbatch run examples/influenza --runs 4\n  \
    fredbatch run examples/influenza --runs 100 --param days=30 --param INF.transmissibility=1.2\n  \
    fredbatch run my-model --program model.fred --vcpus 2 --memory 4096 --detach")]
pub struct RunArgs {
    /// The model directory: the folder holding the main program file and everything it uses.
    pub model_dir: PathBuf,
    /// How many runs (numbered 1..N).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub runs: u32,
    /// Set a model key for every run, e.g. `--param days=30`; repeat for more keys.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<ParamOverride>,
    /// The main program file inside MODEL_DIR.
    #[arg(long, default_value = "main.fred", value_name = "FILE")]
    pub program: String,
    /// Return once the runs are submitted; follow with `fredbatch status`.
    #[arg(long)]
    pub detach: bool,
    #[command(flatten)]
    pub resources: RunResourceArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub async fn run(args: RunArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let kind = BackendKind::choose(&args.backend);
    let resources = args.resources.resources(kind);
    if kind == BackendKind::Local {
        let capacity = args.backend.capacity().resolve();
        if !resources.fits_in(&capacity) {
            bail!(
                "each run asks for {resources}, but this machine offers at most {capacity} to runs; \
                 lower --vcpus/--memory, or raise --max-vcpus/--max-memory if the machine really has more"
            );
        }
    }
    // Everything about the model is checked before anything is stored.
    let staging =
        tempfile::NamedTempFile::new().context("cannot create a temporary file for the inputs")?;
    let packed = pack_model_dir(
        &args.model_dir,
        &args.program,
        staging.path(),
        PackLimits::default(),
    )?;
    if kind == BackendKind::Local && ctx.settings.fred_home.is_none() {
        ctx.note("FRED_HOME is not set: using the built-in demo engine (set FRED_HOME to run real FRED).");
    }

    let mut settings = ctx.settings.clone();
    let backend = connect_new(kind, &args.backend, &mut settings).await?;
    let ctx = &ctx.with_settings(settings);
    let store = ctx.settings.open_store().await?;
    let uploads = ctx.settings.uploads()?;
    let model_dir = args
        .model_dir
        .canonicalize()
        .unwrap_or(args.model_dir.clone());
    let name = model_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let job = store
        .create_job(
            NewJob {
                name,
                model_dir: model_dir.display().to_string(),
                program: args.program.clone(),
                params: args.params.clone(),
                run_count: args.runs,
                resources,
                max_attempts: args.resources.attempts,
                attempt_timeout_seconds: args.resources.timeout.as_secs().max(1),
                backend: kind.name().to_owned(),
                backend_target: backend.target,
                created_at: Utc::now(),
            },
            |id| format!("job-{id}"),
        )
        .await?;
    if let Err(error) = uploads
        .put_file(&inputs_archive_key(&job.inputs_key), staging.path())
        .await
    {
        store.delete_unstarted_job(job.id).await.ok();
        return Err(error).context("cannot store the job's inputs; nothing was registered");
    }
    ctx.note(&format!(
        "Job {} registered: {} run(s) of {} ({} files, {} bytes of model), {} per run.",
        job.id, job.run_count, job.name, packed.files, packed.bytes, resources
    ));

    if kind == BackendKind::Local && args.detach {
        let log = crate::commands::resume::spawn_detached(&ctx.settings, job.id)?;
        ctx.note(&format!(
            "Running in the background (log: {}). Follow it with `fredbatch status {}`.",
            log.display(),
            job.id
        ));
        if ctx.output.is_json() {
            println!("{}", serde_json::json!({ "job": job }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let _lock = match kind {
        BackendKind::Local => Some(JobLock::acquire(&ctx.settings.lock_dir(), job.id)?),
        BackendKind::Aws => None,
    };
    submit_and_watch(ctx, &store, backend.runner, kind, &job, args.detach).await
}
