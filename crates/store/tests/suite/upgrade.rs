//! Databases written by earlier releases upgrade in place and read as they were written.

use std::path::Path;

use fredbatch_core::{AwsBatchTarget, BackendTarget, JobId, JobStatus, RunStatus, SlurmTarget};
use fredbatch_store::{NewConfig, Store};

use super::new_job;

/// The last migration of the release before typed backends.
const LAST_MIGRATION_BEFORE_TYPED_BACKENDS: i64 = 4;

/// What a database written before sweeps existed must read as once upgraded: its jobs and
/// runs as they were, each job one configuration with no overrides of its own.
pub async fn upgraded_release_reads_as_it_was_written(store: Store) {
    let jobs = store.jobs(10).await.unwrap();
    assert!(!jobs.is_empty(), "the fixture holds jobs");
    for summary in &jobs {
        let job = &summary.job;
        assert_eq!(job.config_count, 1);
        assert_eq!(job.backend, BackendTarget::Local, "its jobs ran locally");
        let configs = store.configs(job.id).await.unwrap();
        assert_eq!(configs.len(), 1);
        assert!(configs[0].params.is_empty());
        let runs = store.runs(job.id).await.unwrap();
        assert_eq!(runs.len() as u32, job.run_count);
        for run in &runs {
            assert_eq!((run.config, run.replicate), (1, run.run_number));
        }
        assert_eq!(summary.counts.total(), job.run_count);
    }
    let done = jobs.iter().map(|j| j.counts.done).sum::<u32>();
    assert!(done > 0, "the fixture's finished runs are still DONE");
    // The upgraded database takes new sweeps.
    let mut new = new_job(0);
    new.configs = NewConfig::each(vec![vec!["days=5".parse().unwrap()], vec![]], 2);
    let job = store
        .create_job(new, |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert!(job.id.0 > jobs[0].job.id.0);
    assert_eq!(store.runs(job.id).await.unwrap().len(), 4);
}

/// Makes the database at `url` as the release before typed backends leaves it: that release's
/// schema (this crate's migrations up to its last, applied from the same files, so the upgrade
/// recognises them) and rows as it writes them (`fixtures/before-typed-backends.sql`).
pub async fn database_before_typed_backends(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut release = sqlx::migrate::Migrator::new(crate_dir.join("migrations"))
        .await
        .expect("read the migrations");
    release.migrations = release
        .migrations
        .iter()
        .filter(|m| m.version <= LAST_MIGRATION_BEFORE_TYPED_BACKENDS)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    release.run(&pool).await.expect("the release's schema");
    let rows = std::fs::read_to_string(crate_dir.join("tests/fixtures/before-typed-backends.sql"))
        .expect("read the fixture");
    sqlx::raw_sql(&rows)
        .execute(&pool)
        .await
        .expect("the release's rows");
    pool.close().await;
}

/// What that database reads as once upgraded: every job with its typed backend target, exactly
/// as the release recorded it, its runs untouched, and the API job without runs QUEUED.
pub async fn typed_backends_upgrade_from_the_release_before(store: Store) {
    let job = |id| {
        let store = store.clone();
        async move { store.job(JobId(id)).await.expect("the job reads") }
    };
    assert_eq!(job(1).await.backend, BackendTarget::Local);
    assert_eq!(
        job(2).await.backend,
        BackendTarget::AwsBatch(AwsBatchTarget {
            job_queue: "fred-simulations-dev-queue".into(),
            job_definition:
                "arn:aws:batch:us-east-1:123456789012:job-definition/fred-simulations-dev:3".into(),
            log_group: Some("/aws/batch/fred-simulations-dev".into()),
            environment: vec![
                ("FREDBATCH_UPLOADS".into(), "s3://fred-uploads-dev".into()),
                ("FREDBATCH_RESULTS".into(), "s3://fred-results-dev".into()),
            ],
            fallback_queue: None,
        })
    );
    assert_eq!(
        job(3).await.backend,
        BackendTarget::Slurm(SlurmTarget {
            partition: Some("debug".into()),
            account: None,
            qos: None,
            extra_args: vec!["--constraint=avx2".into()],
            log_dir: "/shared/ada/.fredbatch/logs/slurm".into(),
        })
    );
    let api = store.api_job(JobId(4)).await.unwrap().expect("the API job");
    assert_eq!((api.owner, api.tags), (1, vec!["flu".to_owned()]));
    assert_eq!(api.job.backend, BackendTarget::Local);
    assert_eq!(api.job.status_reason, None);
    assert_eq!(
        store.status_counts(JobId(4)).await.unwrap().job_status(),
        JobStatus::Queued
    );
    let open = store.runs(JobId(3)).await.unwrap();
    assert_eq!(open[0].status, RunStatus::Running);
    assert_eq!(open[0].backend_job_id.as_ref().unwrap().0, "4242_0");
    // New jobs continue the release's numbering.
    let new = store
        .create_job(new_job(1), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert_eq!(new.id, JobId(5));
}
