//! [`BatchRunner`]: the AWS Batch implementation of the simulation runner gateway.
//!
//! Building one does no I/O, so the CLI can build it anywhere; the AWS configuration is loaded
//! (and a stack's outputs looked up, if the caller supplies such a step) on first use.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fredbatch_core::limits::SPOT_INTERRUPTION_PATTERN;
use fredbatch_core::{
    BackendJob, BackendJobId, BackendState, JobSpec, LogPage, LogRequest, RetryStrategy,
    RunSubmission, RunnerError, SimulationRunner, SubmitProgress,
};
use tokio::sync::OnceCell;

use crate::clients::{Clients, RequestCounter};
use crate::config::BatchConfig;
use crate::definition::{self, BATCH_DEFAULT_LOG_GROUP, DefinitionInfo};
use crate::error::BatchError;
use crate::pacing::RateLimiter;

/// How long a state seen by `describe` is trusted by `cancel` (it re-checks after CancelJob).
const STATE_FRESH_FOR: Duration = Duration::from_secs(30);

pub type InitFuture =
    Pin<Box<dyn Future<Output = Result<(BatchConfig, Clients), BatchError>> + Send>>;
type Init = Box<dyn Fn() -> InitFuture + Send + Sync>;

/// The AWS Batch backend.
pub struct BatchRunner {
    init: Init,
    ready: OnceCell<Arc<Ready>>,
}

/// Everything the operations share once the backend is set up.
pub struct Ready {
    pub config: BatchConfig,
    pub clients: Clients,
    pub limiter: RateLimiter,
    definition: OnceCell<Option<DefinitionInfo>>,
    /// The last state `describe` saw per job id, and when.
    states: Mutex<HashMap<String, (BackendState, Instant)>>,
}

impl BatchRunner {
    /// Loads the AWS configuration the standard way on first use.
    pub fn new(config: BatchConfig) -> BatchRunner {
        BatchRunner::deferred(move || {
            let config = config.clone();
            Box::pin(async move { Ok((config, Clients::from_environment().await)) })
        })
    }

    /// With clients already built (tests, benchmarks, a custom endpoint).
    pub fn with_clients(config: BatchConfig, clients: Clients) -> BatchRunner {
        BatchRunner::deferred(move || {
            let ready = (config.clone(), clients.clone());
            Box::pin(async move { Ok(ready) })
        })
    }

    /// With a setup step run on first use, e.g. reading the queue from a stack's outputs.
    pub fn deferred(init: impl Fn() -> InitFuture + Send + Sync + 'static) -> BatchRunner {
        BatchRunner {
            init: Box::new(init),
            ready: OnceCell::new(),
        }
    }

    pub async fn ready(&self) -> Result<&Arc<Ready>, BatchError> {
        self.ready
            .get_or_try_init(|| async {
                let (config, clients) = (self.init)().await?;
                Ok(Arc::new(Ready::new(config, clients)))
            })
            .await
    }

    /// Refuses runs of `resources` that no compute environment of the job's queues (the main
    /// one, and the fallback if any) can place, so a job too large for the stack is refused
    /// before it is registered.
    pub async fn check_fits(&self, resources: fredbatch_core::Resources) -> Result<(), BatchError> {
        crate::capacity::check_fits(self.ready().await?, &resources).await
    }

    /// The requests sent so far, per API operation.
    pub async fn request_counter(&self) -> Result<RequestCounter, BatchError> {
        Ok(self.ready().await?.clients.requests.clone())
    }
}

impl Ready {
    pub fn new(config: BatchConfig, clients: Clients) -> Ready {
        Ready {
            limiter: RateLimiter::new(config.submit_rate, config.submit_burst),
            config,
            clients,
            definition: OnceCell::new(),
            states: Mutex::new(HashMap::new()),
        }
    }

    /// The job definition, looked up once. `None` when it cannot be read (then submissions
    /// carry only fredbatch's few tags and logs use the configured group).
    pub async fn definition(&self) -> Result<Option<&DefinitionInfo>, BatchError> {
        let info = self
            .definition
            .get_or_try_init(|| async {
                match definition::lookup(&self.clients.batch, &self.config.job_definition).await {
                    Ok(Some(info)) => Ok(Some(info)),
                    Ok(None) => Err(BatchError::NoJobDefinition(
                        self.config.job_definition.clone(),
                    )),
                    Err(error) => {
                        let reference = &self.config.job_definition;
                        tracing::warn!("{}", definition::unreadable_warning(reference, &error));
                        Ok(None)
                    }
                }
            })
            .await?;
        Ok(info.as_ref())
    }

    /// Where the runs' logs are: the definition's awslogs group, else the configured group,
    /// else Batch's default.
    pub async fn log_group(&self) -> String {
        let from_definition = match self.definition().await {
            Ok(Some(info)) => info.log_group.clone(),
            _ => None,
        };
        from_definition
            .or_else(|| self.config.log_group.clone())
            .unwrap_or_else(|| BATCH_DEFAULT_LOG_GROUP.to_owned())
    }

    pub(crate) fn remember(&self, jobs: &HashMap<BackendJobId, BackendJob>) {
        if let Ok(mut states) = self.states.lock() {
            let now = Instant::now();
            for (id, job) in jobs {
                states.insert(id.0.clone(), (job.state, now));
            }
        }
    }

    pub(crate) fn recent_state(&self, id: &str) -> Option<BackendState> {
        let states = self.states.lock().ok()?;
        let (state, seen) = states.get(id)?;
        (state.is_final() || seen.elapsed() < STATE_FRESH_FOR).then_some(*state)
    }
}

#[async_trait]
impl SimulationRunner for BatchRunner {
    fn kind(&self) -> fredbatch_core::BackendKind {
        fredbatch_core::BackendKind::AwsBatch
    }

    /// A reclaimed Spot instance ends an attempt with `Host EC2 (instance i-...) terminated.`
    fn retry_strategy(&self, attempts: u32) -> RetryStrategy {
        RetryStrategy::interruptions_only(attempts, SPOT_INTERRUPTION_PATTERN)
    }

    async fn largest_run(&self) -> Result<Option<fredbatch_core::Ceiling>, RunnerError> {
        Ok(crate::capacity::ceiling(self.ready().await?).await?)
    }

    async fn submit(
        &self,
        job: &JobSpec,
        runs: &[RunSubmission],
        progress: &dyn SubmitProgress,
    ) -> Result<Vec<BackendJobId>, RunnerError> {
        let ready = self.ready().await?;
        Ok(crate::submit::submit(ready, job, runs, progress).await?)
    }

    async fn describe(
        &self,
        ids: &[BackendJobId],
    ) -> Result<HashMap<BackendJobId, BackendJob>, RunnerError> {
        let ready = self.ready().await?;
        let jobs = crate::describe::describe(ready, ids).await?;
        ready.remember(&jobs);
        Ok(jobs)
    }

    async fn cancel(&self, id: &BackendJobId, reason: &str) -> Result<(), RunnerError> {
        let ready = self.ready().await?;
        Ok(crate::cancel::cancel(ready, id, reason).await?)
    }

    async fn logs(&self, id: &BackendJobId, request: &LogRequest) -> Result<LogPage, RunnerError> {
        let ready = self.ready().await?;
        Ok(crate::logs::logs(ready, id, request).await?)
    }
}
