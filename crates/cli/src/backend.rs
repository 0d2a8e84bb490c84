//! Choosing and building the backend that executes runs: `--backend` (or FREDBATCH_BACKEND)
//! when given; else AWS Batch when `--stack` names a deployed stack or
//! `AWS_BATCH_JOB_DEFINITION` and `AWS_BATCH_JOB_QUEUE` are set (as the application of the AWS
//! Batch design this project implements does); else the local executor. Slurm is chosen by name.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fredbatch_batch::{BatchConfig, BatchRunner, BatchTarget};
use fredbatch_core::{Job, Resources, SimulationRunner};
use fredbatch_executor::{LocalConfig, LocalExecutor, machine_capacity};
use fredbatch_slurm::{SharedFilesystem, SlurmConfig, SlurmRunner, check_shared_state};
use serde::{Deserialize, Serialize};

use crate::commands::args::BackendArgs;
use crate::settings::Settings;

pub const LOCAL: &str = "local";
pub const AWS_BATCH: &str = "aws-batch";
pub const SLURM: &str = "slurm";

/// Which backend a command uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// Child processes on this machine.
    Local,
    /// AWS Batch: the stack named by --stack, or AWS_BATCH_JOB_DEFINITION and AWS_BATCH_JOB_QUEUE.
    Aws,
    /// A Slurm cluster, through sbatch, squeue and scancel on this machine (a login node).
    Slurm,
}

impl BackendKind {
    /// `--backend` if given, else AWS Batch when a stack is named or both of its variables are
    /// set, else local.
    pub fn choose(args: &BackendArgs) -> BackendKind {
        args.backend.unwrap_or_else(|| {
            let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
            let configured = set("AWS_BATCH_JOB_DEFINITION") && set("AWS_BATCH_JOB_QUEUE");
            if args.stack.is_some() || configured {
                BackendKind::Aws
            } else {
                BackendKind::Local
            }
        })
    }

    pub fn from_recorded(name: &str) -> anyhow::Result<BackendKind> {
        match name {
            LOCAL => Ok(BackendKind::Local),
            AWS_BATCH => Ok(BackendKind::Aws),
            SLURM => Ok(BackendKind::Slurm),
            other => bail!("this job was run by an unknown backend `{other}`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Local => LOCAL,
            BackendKind::Aws => AWS_BATCH,
            BackendKind::Slurm => SLURM,
        }
    }

    /// Whether runs go on without the fredbatch process that submitted them (on a cluster or
    /// in the cloud), so `--detach` just returns and `status` asks the backend.
    pub fn outlives_process(self) -> bool {
        !matches!(self, BackendKind::Local)
    }

    /// How often a watching process asks the backend for news.
    pub fn tick(self) -> Duration {
        match self {
            BackendKind::Local => Duration::from_millis(100),
            // squeue lists every job of the cluster: not too often.
            BackendKind::Slurm => Duration::from_secs(2),
            BackendKind::Aws => Duration::from_secs(5),
        }
    }

    pub fn default_resources(self) -> Resources {
        match self {
            BackendKind::Local | BackendKind::Slurm => Resources::LOCAL_DEFAULT,
            BackendKind::Aws => Resources::AWS_DEFAULT,
        }
    }
}

/// What the local executor may use; defaults to the whole machine.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalCapacity {
    pub vcpus: Option<u32>,
    pub memory_mb: Option<u64>,
}

impl LocalCapacity {
    pub fn resolve(self) -> Resources {
        let machine = machine_capacity();
        Resources {
            vcpus: self.vcpus.unwrap_or(machine.vcpus),
            memory_mb: self.memory_mb.unwrap_or(machine.memory_mb),
        }
    }
}

/// A backend ready for a new job, and what the job records about where its runs go.
pub struct Connected {
    pub runner: Arc<dyn SimulationRunner>,
    /// See [`fredbatch_core::Job::backend_target`].
    pub target: Option<String>,
}

/// Connects the backend a new job runs on. For AWS Batch the queue and definition come from
/// `--stack` or the environment, and the stack's buckets become the default uploads and
/// results locations; the store and storage must be reachable from AWS (checked here, before
/// anything is registered).
pub async fn connect_new(
    kind: BackendKind,
    args: &BackendArgs,
    resources: Resources,
    settings: &mut Settings,
) -> anyhow::Result<Connected> {
    match kind {
        BackendKind::Local => Ok(Connected {
            runner: Arc::new(local_executor(settings, args.capacity())?),
            target: None,
        }),
        BackendKind::Slurm => {
            let shared = if args.slurm.shared_filesystem {
                SharedFilesystem::declared_for(&settings.database_url)
            } else {
                SharedFilesystem::NotDeclared
            };
            check_shared_state(
                &settings.database_url,
                &settings.uploads,
                &settings.results,
                &shared,
            )
            .map_err(|unsafe_state| {
                anyhow::anyhow!(
                    "{unsafe_state}{}",
                    if args.slurm.shared_filesystem {
                        ""
                    } else {
                        " (--shared-filesystem)"
                    }
                )
            })?;
            let target = SlurmTarget {
                partition: args.slurm.partition.clone(),
                account: args.slurm.account.clone(),
                qos: args.slurm.qos.clone(),
                extra_args: args.slurm.slurm_args.clone(),
                log_dir: settings.log_dir().join("slurm"),
            };
            let runner = slurm_runner(settings, &target)?;
            // Refused here, before the job is registered, rather than at its first sbatch.
            runner.check_fits(resources).await?;
            Ok(Connected {
                runner: Arc::new(runner),
                target: Some(serde_json::to_string(&target)?),
            })
        }
        BackendKind::Aws => {
            let connection = fredbatch_batch::stack::connect(args.stack.as_deref()).await?;
            if let Some(stack) = &connection.stack {
                settings.default_storage(
                    stack.bucket_url(fredbatch_infra::contract::parameter::UPLOAD_BUCKET_NAME),
                    stack.bucket_url(fredbatch_infra::contract::parameter::RESULTS_BUCKET_NAME),
                );
            }
            check_reachable_from_aws(settings)?;
            let mut config = connection.config;
            config.environment = container_env(settings);
            let target = serde_json::to_string(&config.target())?;
            Ok(Connected {
                runner: Arc::new(BatchRunner::with_clients(config, connection.clients)),
                target: Some(target),
            })
        }
    }
}

/// The runner of a job registered earlier, reaching the same place it was sent.
pub fn connect_existing(
    job: &Job,
    settings: &Settings,
    capacity: LocalCapacity,
) -> anyhow::Result<Arc<dyn SimulationRunner>> {
    match BackendKind::from_recorded(&job.backend)? {
        BackendKind::Local => Ok(Arc::new(local_executor(settings, capacity)?)),
        BackendKind::Slurm => {
            let target: SlurmTarget = job
                .backend_target
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .with_context(|| format!("job {} recorded an unreadable Slurm target", job.id))?
                .with_context(|| format!("job {} recorded no Slurm target", job.id))?;
            Ok(Arc::new(slurm_runner(settings, &target)?))
        }
        BackendKind::Aws => {
            let var = |name: &str| std::env::var(name).ok();
            let config = match recorded_target(job)? {
                Some(target) => BatchConfig::for_target(target, var)?,
                None => {
                    let mut config = BatchConfig::from_env()?;
                    config.environment = container_env(settings);
                    config
                }
            };
            Ok(Arc::new(BatchRunner::new(config)))
        }
    }
}

/// The settings a job's runs used: on AWS Batch, the uploads and results locations its
/// containers were given, whatever this command's environment says.
pub fn job_settings(job: &Job, settings: &Settings) -> anyhow::Result<Settings> {
    let mut settings = settings.clone();
    for (name, value) in recorded_target(job)?
        .map(|t| t.environment)
        .unwrap_or_default()
    {
        match name.as_str() {
            "FREDBATCH_UPLOADS" => settings.uploads = value,
            "FREDBATCH_RESULTS" => settings.results = value,
            _ => {}
        }
    }
    Ok(settings)
}

fn recorded_target(job: &Job) -> anyhow::Result<Option<BatchTarget>> {
    job.backend_target
        .as_deref()
        .filter(|_| job.backend == AWS_BATCH)
        .map(|target| {
            serde_json::from_str(target).with_context(|| {
                format!(
                    "job {} recorded an unreadable AWS Batch target: {target}",
                    job.id
                )
            })
        })
        .transpose()
}

/// AWS Batch containers reach the job's database and buckets, never this machine's folders.
fn check_reachable_from_aws(settings: &Settings) -> anyhow::Result<()> {
    if settings.database_url.starts_with("sqlite:") {
        bail!(
            "runs on AWS Batch record their results in a database they can reach, not this \
             machine's SQLite file: set DATABASE_URL to the PostgreSQL database whose secret the \
             stack's DatabaseSecretArn names (or DATABASE_SECRET to that secret's JSON)"
        );
    }
    for (name, location) in [
        ("FREDBATCH_UPLOADS", &settings.uploads),
        ("FREDBATCH_RESULTS", &settings.results),
    ] {
        if !location.starts_with("s3://") {
            bail!(
                "runs on AWS Batch read inputs and write results in S3, but {name} is `{location}`: \
                 set it to an s3:// URL (the stack's bucket), or pass --stack NAME to use the \
                 stack's buckets"
            );
        }
    }
    Ok(())
}

/// What every run's container is told besides its worker command. Database credentials are
/// not among them: the job definition injects them from Secrets Manager.
fn container_env(settings: &Settings) -> Vec<(String, String)> {
    vec![
        ("FREDBATCH_UPLOADS".to_owned(), settings.uploads.clone()),
        ("FREDBATCH_RESULTS".to_owned(), settings.results.clone()),
    ]
}

pub fn local_executor(
    settings: &Settings,
    capacity: LocalCapacity,
) -> anyhow::Result<LocalExecutor> {
    let program =
        std::env::current_exe().context("cannot find the fredbatch executable to run workers")?;
    Ok(LocalExecutor::new(LocalConfig {
        program,
        capacity: capacity.resolve(),
        log_dir: settings.log_dir(),
        env: settings.worker_env(),
        kill_grace: Duration::from_secs(10),
    }))
}

/// Where on a Slurm cluster a job's runs go, recorded with the job so later commands reach the
/// same partition and logs whatever the command line says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlurmTarget {
    pub partition: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    pub extra_args: Vec<String>,
    /// Each task's output file goes here; on a filesystem every node shares.
    pub log_dir: std::path::PathBuf,
}

pub fn slurm_runner(settings: &Settings, target: &SlurmTarget) -> anyhow::Result<SlurmRunner> {
    let program =
        std::env::current_exe().context("cannot find the fredbatch executable to run workers")?;
    let mut config = SlurmConfig::new(program, &target.log_dir);
    config.partition.clone_from(&target.partition);
    config.account.clone_from(&target.account);
    config.qos.clone_from(&target.qos);
    config.extra_args.clone_from(&target.extra_args);
    // Tasks inherit this environment too; these say where the job's store and storage are.
    config.env = settings.worker_env();
    Ok(SlurmRunner::new(config))
}
