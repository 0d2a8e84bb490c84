//! The worker: what runs one attempt of one FRED run, in an AWS Batch container or as a child
//! process of the local executor. Same command in both (`fredbatch worker --job-id J --run-id R`):
//!
//! 1. start an attempt in the store (a run that already ended is left alone: exit 0);
//! 2. fetch the job's inputs archive and extract it safely into a fresh workspace;
//! 3. write the run's program (the model's main file plus the job's overrides);
//! 4. take the run's fingerprint (engine, model files, overrides, run number): when an
//!    identical run is DONE already, its results are this run's and the attempt ends here
//!    (see `reuse`);
//! 5. run the engine (`FRED -p <program> -r <run> -d <out>`), streaming its output;
//! 6. judge the outcome from the files FRED left (its exit code alone proves nothing);
//! 7. upload the outputs under the attempt's own prefix, the manifest last;
//! 8. record the attempt, committing the run's result if it succeeded and no other attempt did.
//!
//! On SIGTERM (cancel, timeout, Spot reclaim) the engine is stopped, the attempt is recorded as
//! interrupted, nothing is committed, and the worker ends by that same signal so the backend
//! sees an interruption.

pub mod check;
mod engine;
mod fingerprint;
mod measure;
pub mod results;
mod reuse;
mod workspace;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use fredbatch_core::fingerprint::{RunFingerprint, overrides_digest};
use fredbatch_core::judge::{RunEvidence, Verdict, judge};
use fredbatch_core::params::ParamOverride;
use fredbatch_core::program::{run_overrides, seed_override};
use fredbatch_core::{AttemptStatus, BackendJobId, Job, JobId, Run, RunId, RunStatus};
use fredbatch_inputs::{ExtractLimits, InputsError};
use fredbatch_storage::{Storage, StorageError};
use fredbatch_store::{AttemptEnd, BeginAttempt, CommitOutcome, RunInputs, Store, StoreError};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing::{info, warn};

pub use engine::{Engine, EngineBuild};

use crate::results::{Manifest, attempt_prefix, upload_dir, upload_file, write_manifest};

/// Everything one attempt needs.
pub struct WorkerConfig {
    pub job_id: JobId,
    pub run: RunRef,
    pub store: Store,
    pub uploads: Storage,
    pub results: Storage,
    pub engine: Engine,
    /// Fresh workspaces are made in here.
    pub workspace_root: PathBuf,
    pub backend_job_id: Option<BackendJobId>,
    /// The backend's number for this attempt, when it gives one (see `Store::begin_attempt`).
    pub backend_attempt: Option<u32>,
    pub extract_limits: ExtractLimits,
    /// Between asking the engine to stop and killing it.
    pub stop_grace: Duration,
    /// When the worker process started, to report its own overhead around the engine.
    pub started: Instant,
}

/// When the engine started and ended, for the overhead report.
#[derive(Default)]
struct Timeline {
    engine_started: Option<Instant>,
    engine_exited: Option<Instant>,
}

/// Which run to execute: by id, or by number (an array job's child computes its number from
/// its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunRef {
    Id(RunId),
    Number(u32),
}

/// How the attempt ended.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerOutcome {
    /// The run's result is this attempt's.
    Committed { attempt: u32, results_key: String },
    /// The run had already ended; nothing was run.
    AlreadyEnded { status: RunStatus },
    /// FRED succeeded but another attempt had committed first; this attempt's outputs are unused.
    AlreadyCommitted { attempt: u32 },
    /// The run failed; the reason is recorded.
    Failed { attempt: u32, reason: String },
    /// Stopped by SIGTERM before the engine finished.
    Interrupted { attempt: u32 },
}

impl WorkerOutcome {
    /// The process exit status: 0 when the run is DONE (now or before), 1 when it failed.
    /// (An interrupted worker ends by re-raising SIGTERM instead; see the binary.)
    pub fn exit_code(&self) -> i32 {
        match self {
            WorkerOutcome::Committed { .. }
            | WorkerOutcome::AlreadyCommitted { .. }
            | WorkerOutcome::AlreadyEnded { .. } => 0,
            WorkerOutcome::Failed { .. } => 1,
            WorkerOutcome::Interrupted { .. } => 128 + libc::SIGTERM,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("run {run} belongs to job {actual}, not job {given}; check --job-id and --run-id")]
    WrongJob {
        run: RunId,
        given: JobId,
        actual: JobId,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot fetch the job's inputs: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Inputs(#[from] InputsError),
    #[error("the inputs archive has no main program `{0}`")]
    NoProgram(String),
    #[error("cannot prepare the workspace at {0}: {1}")]
    Workspace(PathBuf, #[source] std::io::Error),
    #[error(transparent)]
    Engine(#[from] engine::SpawnError),
    #[error("cannot read the engine {0} to fingerprint the run: {1}")]
    EngineBuild(String, #[source] std::io::Error),
    #[error("lost track of the engine process: {0}")]
    EngineWait(#[source] std::io::Error),
    #[error("cannot store the run's outputs: {0}")]
    Upload(#[from] results::UploadError),
    #[error("cannot listen for SIGTERM: {0}")]
    Signal(#[source] std::io::Error),
}

/// Runs one attempt. Errors before the attempt starts (bad ids, no database) are returned;
/// errors after it started are recorded as the attempt's failure and returned as `Failed`.
pub async fn run(config: WorkerConfig) -> Result<WorkerOutcome, WorkerError> {
    let mut sigterm = signal(SignalKind::terminate()).map_err(WorkerError::Signal)?;
    let job = config.store.job(config.job_id).await?;
    let run = match config.run {
        RunRef::Id(id) => config.store.run(id).await?,
        RunRef::Number(number) => config.store.run_by_number(job.id, number).await?,
    };
    if run.job_id != job.id {
        return Err(WorkerError::WrongJob {
            run: run.id,
            given: job.id,
            actual: run.job_id,
        });
    }
    let attempt = match config
        .store
        .begin_attempt(
            run.id,
            config.backend_job_id.as_ref(),
            config.backend_attempt,
            Utc::now(),
        )
        .await?
    {
        BeginAttempt::Started { number } => number,
        BeginAttempt::AlreadyEnded { status } => {
            info!(job = %job.id, run = %run.id, %status, "run already ended; nothing to do");
            return Ok(WorkerOutcome::AlreadyEnded { status });
        }
    };
    let mut overrides = run_overrides(&job, &config.store.config(job.id, run.config).await?);
    // A replicate with a seed of its own (from an API run request) sets it last.
    overrides.extend(config.store.run_seed(run.id).await?.map(seed_override));
    let span = tracing::info_span!("attempt", job = %job.id, run = %run.id, run_number = run.run_number, config = run.config, replicate = run.replicate, attempt);
    let _entered = span.enter();
    info!(engine = %config.engine.describe(), "attempt started");
    tracing::debug!(
        since_start_ms = config.started.elapsed().as_secs_f64() * 1000.0,
        "attempt recorded"
    );

    let mut timeline = Timeline::default();
    let finished = execute(
        &config,
        &job,
        &run,
        &overrides,
        attempt,
        &mut sigterm,
        &mut timeline,
    )
    .await;
    let prefix = attempt_prefix(job.id, run.run_number, attempt);
    let (end, outcome) = match finished {
        Ok(Finished {
            measurements,
            results_key,
            warnings,
            inputs,
        }) => (
            AttemptEnd {
                status: AttemptStatus::Succeeded,
                reason: None,
                // A reused result ran nothing: no exit code, no measurements.
                exit_code: measurements.map(|_| 0),
                finished_at: Utc::now(),
                measurements,
                results_key: Some(results_key.clone()),
                warnings,
                inputs: Some(inputs),
            },
            WorkerOutcome::Committed {
                attempt,
                results_key,
            },
        ),
        Err(Stop::Failed {
            reason,
            exit_code,
            measurements,
            warnings,
        }) => (
            AttemptEnd {
                status: AttemptStatus::Failed,
                reason: Some(reason.clone()),
                exit_code,
                finished_at: Utc::now(),
                measurements,
                results_key: Some(prefix),
                warnings,
                inputs: None,
            },
            WorkerOutcome::Failed { attempt, reason },
        ),
        Err(Stop::Interrupted(measurements)) => (
            AttemptEnd {
                status: AttemptStatus::Interrupted,
                reason: Some(
                    "interrupted by SIGTERM before FRED finished; nothing was committed".into(),
                ),
                exit_code: None,
                finished_at: Utc::now(),
                measurements,
                results_key: None,
                warnings: Vec::new(),
                inputs: None,
            },
            WorkerOutcome::Interrupted { attempt },
        ),
    };
    let recorded = config.store.finish_attempt(run.id, attempt, &end).await?;
    let outcome = match (outcome, recorded) {
        (WorkerOutcome::Committed { attempt, .. }, CommitOutcome::AlreadyCommitted) => {
            warn!("another attempt committed this run first; this attempt's outputs are not used");
            WorkerOutcome::AlreadyCommitted { attempt }
        }
        (outcome, _) => outcome,
    };
    // The worker's own cost around the engine: fetch/extract/prepare before, judge/upload/record after.
    let millis =
        |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64() * 1000.0;
    let now = Instant::now();
    let prepare_ms = timeline.engine_started.map(|at| millis(config.started, at));
    let engine_ms = timeline
        .engine_started
        .zip(timeline.engine_exited)
        .map(|(a, b)| millis(a, b));
    let finish_ms = timeline.engine_exited.map(|at| millis(at, now));
    info!(?outcome, prepare_ms, engine_ms, finish_ms, "attempt ended");
    Ok(outcome)
}

struct Finished {
    /// `None` when the results were reused and FRED did not run.
    measurements: Option<fredbatch_core::model::Measurements>,
    results_key: String,
    warnings: Vec<String>,
    inputs: RunInputs,
}

enum Stop {
    Failed {
        reason: String,
        exit_code: Option<i32>,
        measurements: Option<fredbatch_core::model::Measurements>,
        warnings: Vec<String>,
    },
    Interrupted(Option<fredbatch_core::model::Measurements>),
}

impl From<WorkerError> for Stop {
    fn from(error: WorkerError) -> Self {
        Stop::Failed {
            reason: error.to_string(),
            exit_code: None,
            measurements: None,
            warnings: Vec::new(),
        }
    }
}

/// Steps 2 to 7, stopping early (and stopping the engine) on SIGTERM.
async fn execute(
    config: &WorkerConfig,
    job: &Job,
    run: &Run,
    overrides: &[ParamOverride],
    attempt: u32,
    sigterm: &mut Signal,
    timeline: &mut Timeline,
) -> Result<Finished, Stop> {
    let prepare = workspace::prepare(
        &config.workspace_root,
        &config.uploads,
        job,
        run,
        overrides,
        attempt,
        config.extract_limits,
    );
    let ws = tokio::select! {
        ws = prepare => ws?,
        _ = sigterm.recv() => return Err(Stop::Interrupted(None)),
    };
    let fingerprint = RunFingerprint {
        engine: engine_digest(&config.engine).await?,
        model: ws.model_digest.clone(),
        overrides: overrides_digest(overrides),
        fred_run: run.fred_run,
    };
    let note = match reuse::decide(&config.store, &config.results, job, &fingerprint).await? {
        reuse::Decision::Take(found) => {
            info!(
                from_job = %found.run.job_id,
                from_run = found.run.run_number,
                "identical to a DONE run: its results are this run's, FRED is not run"
            );
            return Ok(Finished {
                measurements: None,
                results_key: found.results_key,
                warnings: found.warnings,
                inputs: RunInputs {
                    fingerprint,
                    reused_from: Some(found.run.run_id),
                    note: None,
                },
            });
        }
        reuse::Decision::Compute { note } => note,
    };
    let log = std::fs::File::create(&ws.log_path)
        .map_err(|e| WorkerError::Workspace(ws.log_path.clone(), e))?;
    let running = engine::start(
        &config.engine,
        &ws.program,
        // Replicate r of every configuration is FRED run r: configurations share random numbers.
        run.fred_run,
        &ws.out_dir,
        &ws.model_dir,
        log,
    )
    .map_err(WorkerError::from)?;
    timeline.engine_started = Some(Instant::now());
    let pid = running.pid();
    let wait = running.wait();
    tokio::pin!(wait);
    let engine_run = tokio::select! {
        done = &mut wait => done.map_err(WorkerError::EngineWait)?,
        _ = sigterm.recv() => {
            warn!("SIGTERM received; stopping FRED");
            let stopped = engine::stop(pid, config.stop_grace, wait).await;
            return Err(Stop::Interrupted(stopped.ok().map(|run| run.measurements)));
        }
    };
    timeline.engine_exited = Some(Instant::now());
    let mut measurements = engine_run.measurements;
    let errors_txt = std::fs::read_to_string(ws.out_dir.join("errors.txt")).ok();
    // FRED names the file it read; people know it as the model's main file.
    let program_name = ws
        .program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let warnings: Vec<String> = read_warnings(&ws.out_dir)
        .into_iter()
        .map(|line| match &program_name {
            Some(name) => line.replace(name.as_str(), &job.program),
            None => line,
        })
        .collect();
    for line in &warnings {
        warn!(warning = %line, "FRED ignored part of the model");
    }
    let out_csv = ws.out_dir.join(format!("RUN{}/out.csv", run.fred_run));
    let verdict = judge(
        engine_run.exit,
        &RunEvidence {
            errors_txt: errors_txt.as_deref(),
            out_csv_exists: out_csv.is_file(),
            last_output_lines: &engine_run.last_lines,
        },
    );
    let prefix = attempt_prefix(job.id, run.run_number, attempt);
    let mut files = if ws.out_dir.is_dir() {
        upload_dir(&config.results, &prefix, &ws.out_dir)
            .await
            .map_err(WorkerError::from)?
    } else {
        Vec::new()
    };
    files.push(
        upload_file(&config.results, &prefix, "fred.log", &ws.log_path)
            .await
            .map_err(WorkerError::from)?,
    );
    measurements.output_bytes = files.iter().map(|f| f.size).sum();
    let exit_code = match engine_run.exit {
        fredbatch_core::judge::EngineExit::Code(code) => Some(code),
        fredbatch_core::judge::EngineExit::Signal(_) => None,
    };
    match verdict {
        Verdict::Failed { reason } => Err(Stop::Failed {
            reason,
            exit_code,
            measurements: Some(measurements),
            warnings,
        }),
        Verdict::Succeeded => {
            let manifest = Manifest {
                job_id: job.id,
                run_id: run.id,
                run_number: run.run_number,
                attempt,
                total_bytes: measurements.output_bytes,
                files,
            };
            write_manifest(&config.results, &prefix, &manifest)
                .await
                .map_err(WorkerError::from)?;
            Ok(Finished {
                measurements: Some(measurements),
                results_key: prefix,
                warnings,
                inputs: RunInputs {
                    fingerprint,
                    reused_from: None,
                    note: Some(note),
                },
            })
        }
    }
}

/// The digest of the engine's build, read off the disk away from the async threads.
async fn engine_digest(engine: &Engine) -> Result<String, WorkerError> {
    let build = engine.build.clone();
    let describe = engine.describe();
    tokio::task::spawn_blocking(move || fingerprint::engine_digest(&build))
        .await
        .map_err(std::io::Error::other)
        .and_then(|digest| digest)
        .map_err(|e| WorkerError::EngineBuild(describe, e))
}

/// FRED's `warnings.txt` in `out_dir`, one warning per non-empty line (none when absent).
pub fn read_warnings(out_dir: &std::path::Path) -> Vec<String> {
    read_lines(&out_dir.join("warnings.txt"))
}

/// The non-empty lines of a file FRED wrote (none when it wrote no such file).
fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
