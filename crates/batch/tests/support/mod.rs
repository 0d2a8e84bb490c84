//! What the integration tests share: the moto setup, a misbehaving proxy, and runs to submit.

pub mod http;
pub mod moto;
pub mod proxy;
pub mod spot;

use std::time::Duration;

use fredbatch_core::backend_jobs::run_job_name;
use fredbatch_core::limits::SPOT_INTERRUPTION_PATTERN;
use fredbatch_core::{
    AwsBatchTarget, BackendTarget, JobId, JobSpec, Resources, RetryStrategy, RunId, RunSubmission,
    WorkerCommand,
};

pub fn spec(job: i64) -> JobSpec {
    JobSpec {
        job_id: JobId(job),
        resources: Resources::AWS_DEFAULT,
        retry: RetryStrategy::interruptions_only(3, SPOT_INTERRUPTION_PATTERN),
        attempt_timeout: Duration::from_secs(4 * 3600),
    }
}

/// Runs of `job` with the given run numbers; run ids are `1000 * job + number`.
pub fn runs(job: i64, numbers: impl IntoIterator<Item = u32>) -> Vec<RunSubmission> {
    numbers
        .into_iter()
        .map(|n| {
            let run_id = RunId(1000 * job + n as i64);
            RunSubmission {
                run_id,
                run_number: n,
                name: run_job_name(JobId(job), n),
                worker: WorkerCommand::run(JobId(job), run_id),
            }
        })
        .collect()
}

/// A job of `configs` configurations with `runs_each` runs each, registered in a new SQLite
/// store (kept while the returned folder lives), as `fredbatch run` registers one for AWS Batch.
pub async fn stored_job(
    configs: usize,
    runs_each: u32,
) -> (
    tempfile::TempDir,
    fredbatch_store::Store,
    fredbatch_core::Job,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = fredbatch_store::Store::open(&fredbatch_store::Store::sqlite_url(dir.path()))
        .await
        .unwrap();
    let configs = (1..=configs)
        .map(|i| vec![format!("INF.transmissibility={i}").parse().unwrap()])
        .collect();
    let job = store
        .create_job(
            fredbatch_store::NewJob {
                budget: None,
                size_key: None,
                size_origin: fredbatch_core::SizeOrigin::Given,
                name: "sweep".into(),
                model_dir: "/models/sweep".into(),
                program: "main.fred".into(),
                params: Vec::new(),
                configs: fredbatch_store::NewConfig::each(configs, runs_each),
                resources: Resources::AWS_DEFAULT,
                max_attempts: 3,
                attempt_timeout_seconds: 4 * 3600,
                retry_policy: Default::default(),
                backend: BackendTarget::AwsBatch(AwsBatchTarget {
                    job_queue: "fred-q".into(),
                    job_definition: "fred-def".into(),
                    log_group: None,
                    environment: Vec::new(),
                    fallback_queue: None,
                }),
                created_at: chrono::Utc::now(),
                first_run_checks: false,
                reuse: true,
            },
            |id| format!("job-{id}"),
        )
        .await
        .unwrap();
    (dir, store, job)
}
