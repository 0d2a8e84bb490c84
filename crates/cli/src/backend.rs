//! Choosing and building the backend that executes runs: `--backend` (or FREDBATCH_BACKEND)
//! when given; else AWS Batch when `--stack` names a deployed stack or
//! `AWS_BATCH_JOB_DEFINITION` and `AWS_BATCH_JOB_QUEUE` are set (as the application of the AWS
//! Batch design this project implements does); else the local executor. Slurm is chosen by name.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use fredbatch_batch::{BatchConfig, BatchRunner};
use fredbatch_core::{BackendKind, BackendTarget, Job, Resources, SimulationRunner, SlurmTarget};
use fredbatch_executor::{LocalConfig, LocalExecutor, machine_capacity};
use fredbatch_slurm::{SharedFilesystem, SlurmConfig, SlurmRunner, check_shared_state};

use crate::commands::args::BackendArgs;
use crate::settings::Settings;

/// `--backend`: where runs execute, in the command line's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// Child processes on this machine.
    Local,
    /// AWS Batch: the stack named by --stack, or AWS_BATCH_JOB_DEFINITION and AWS_BATCH_JOB_QUEUE.
    #[value(alias = "aws-batch")]
    Aws,
    /// A Slurm cluster, through sbatch, squeue and scancel on this machine (a login node).
    Slurm,
}

impl From<BackendArg> for BackendKind {
    fn from(arg: BackendArg) -> BackendKind {
        match arg {
            BackendArg::Local => BackendKind::Local,
            BackendArg::Aws => BackendKind::AwsBatch,
            BackendArg::Slurm => BackendKind::Slurm,
        }
    }
}

/// `--backend` if given, else AWS Batch when a stack is named or both of its variables are
/// set, else local.
pub fn choose(args: &BackendArgs) -> BackendKind {
    match args.backend {
        Some(arg) => arg.into(),
        None => {
            let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
            let configured = set("AWS_BATCH_JOB_DEFINITION") && set("AWS_BATCH_JOB_QUEUE");
            if args.stack.is_some() || configured {
                BackendKind::AwsBatch
            } else {
                BackendKind::Local
            }
        }
    }
}

/// How often a watching process asks the backend for news.
pub fn tick(kind: BackendKind) -> Duration {
    match kind {
        BackendKind::Local => Duration::from_millis(100),
        // squeue lists every job of the cluster: not too often.
        BackendKind::Slurm => Duration::from_secs(2),
        BackendKind::AwsBatch => Duration::from_secs(5),
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
    /// See [`fredbatch_core::Job::backend`].
    pub target: BackendTarget,
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
            target: BackendTarget::Local,
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
                target: BackendTarget::Slurm(target),
            })
        }
        BackendKind::AwsBatch => {
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
            let target = BackendTarget::AwsBatch(config.target());
            let runner = BatchRunner::with_clients(config, connection.clients);
            // Refused here, before the job is registered, rather than left RUNNABLE on AWS.
            runner.check_fits(resources).await?;
            Ok(Connected {
                runner: Arc::new(runner),
                target,
            })
        }
    }
}

/// The runner of a job registered earlier, reaching the same place it was sent: always the
/// backend the job records, never the one this command's flags or environment would choose.
pub fn connect_existing(
    job: &Job,
    settings: &Settings,
    capacity: LocalCapacity,
) -> anyhow::Result<Arc<dyn SimulationRunner>> {
    match &job.backend {
        BackendTarget::Local => Ok(Arc::new(local_executor(settings, capacity)?)),
        BackendTarget::Slurm(target) => Ok(Arc::new(slurm_runner(settings, target)?)),
        BackendTarget::AwsBatch(target) => {
            let var = |name: &str| std::env::var(name).ok();
            let config = BatchConfig::for_target(target.clone(), var)?;
            Ok(Arc::new(BatchRunner::new(config)))
        }
    }
}

/// The settings a job's runs used: on AWS Batch, the uploads and results locations its
/// containers were given, whatever this command's environment says.
pub fn job_settings(job: &Job, settings: &Settings) -> Settings {
    let mut settings = settings.clone();
    let BackendTarget::AwsBatch(target) = &job.backend else {
        return settings;
    };
    for (name, value) in &target.environment {
        match name.as_str() {
            "FREDBATCH_UPLOADS" => settings.uploads = value.clone(),
            "FREDBATCH_RESULTS" => settings.results = value.clone(),
            _ => {}
        }
    }
    settings
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
