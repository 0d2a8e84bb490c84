//! `fredbatch resume JOB_ID`: continue a job whose `fredbatch run` process died. Runs that
//! ended stay as they are; runs that no live backend job holds are submitted again.

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};

use std::os::unix::process::CommandExt;

use anyhow::Context as _;
use fredbatch_core::JobId;

use fredbatch_core::BackendKind;

use crate::Context;
use crate::backend::{LocalCapacity, connect_existing};
use crate::commands::args::CapacityArgs;
use crate::commands::supervised::submit_and_watch;
use crate::joblock::JobLock;
use crate::settings::Settings;

/// Continue a job whose `fredbatch run` was stopped or killed.
///
/// Nothing that finished runs again: DONE, ERROR and CANCELLED runs keep their results; runs
/// left queued or running by the dead process are submitted again.
#[derive(clap::Args, Debug)]
pub struct ResumeArgs {
    /// The job to continue.
    pub job_id: JobId,
    #[command(flatten)]
    pub capacity: CapacityArgs,
}

pub async fn run(args: ResumeArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let store = ctx.settings.open_store().await?;
    let job = store.job(args.job_id).await?;
    if store
        .api_job(job.id)
        .await?
        .is_some_and(|api| api.owner != 0)
    {
        anyhow::bail!(
            "job {} came through the platform API: `fredbatch serve` supervises it (and resumes \
             it when it starts); resuming it here too would run its runs twice",
            job.id
        );
    }
    let _lock = match job.backend.kind() {
        BackendKind::Local => Some(JobLock::acquire(&ctx.settings.lock_dir(), job.id)?),
        BackendKind::AwsBatch | BackendKind::Slurm => None,
    };
    let open = store.open_runs(job.id).await?.len();
    if open == 0 {
        ctx.note(&format!(
            "Job {} has no open runs; nothing to resume.",
            job.id
        ));
    }
    let runner = connect_existing(&job, &ctx.settings, args.capacity.local())?;
    submit_and_watch(ctx, &store, runner, &job, false).await
}

/// Starts `fredbatch resume JOB` as a background process that outlives this one (for
/// `run --detach` on the local backend), within the same `capacity` as the job was started
/// with. Returns the path of its log.
pub fn spawn_detached(
    settings: &Settings,
    job: JobId,
    capacity: LocalCapacity,
) -> anyhow::Result<PathBuf> {
    let log_dir = settings.log_dir();
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("cannot create {}", log_dir.display()))?;
    let log_path = log_dir.join(format!("job-{job}-supervisor.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let exe = std::env::current_exe().context("cannot find the fredbatch executable")?;
    let mut command = std::process::Command::new(exe);
    command
        .args([
            "--home",
            &settings.home.display().to_string(),
            "resume",
            &job.to_string(),
        ])
        .args(
            capacity
                .vcpus
                .map(|vcpus| ["--max-vcpus".to_owned(), vcpus.to_string()])
                .into_iter()
                .flatten(),
        )
        .args(
            capacity
                .memory_mb
                .map(|memory| ["--max-memory".to_owned(), memory.to_string()])
                .into_iter()
                .flatten(),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C in this terminal does not reach it.
        .process_group(0);
    command
        .spawn()
        .context("cannot start the background supervisor")?;
    Ok(log_path)
}
