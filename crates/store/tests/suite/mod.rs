//! The store's behaviour, run against each database (see sqlite.rs and postgres.rs), by topic:
//! jobs and their backends, runs and attempts, what the HTTP API keeps, and upgrading a
//! database an earlier release wrote.

mod api;
mod jobs;
mod runs;
mod sizes;
mod upgrade;

pub use api::*;
pub use jobs::*;
pub use runs::*;
pub use sizes::*;
pub use upgrade::*;

use chrono::Utc;
use fredbatch_core::model::Measurements;
use fredbatch_core::{AttemptStatus, AwsBatchTarget, BackendTarget, Resources};
use fredbatch_store::{AttemptEnd, NewConfig, NewJob};

/// Every test of the suite, for the backend files to instantiate.
#[macro_export]
macro_rules! store_suite {
    ($open:path) => {
        $crate::store_suite!(@tests $open; jobs_get_sequential_ids_and_numbered_runs, changes_never_overwrite_a_committed_run, one_commit_per_run_even_when_attempts_race, failures_are_recorded_and_cancellation_is_requested_then_applied, concurrent_workers_update_different_runs_of_one_job, the_backends_ended_attempts_fill_in_what_workers_could_not_record, sweeps_keep_each_configuration_and_number_replicates_within_it, jobs_keep_their_backend_target_and_status_reason, api_jobs_take_runs_after_registration_and_keep_requests_verbatim, accounts_are_found_by_token_hash_until_revoked, retries_reset_only_ended_runs_and_inputs_checks_end_unstarted_runs, one_server_holds_the_lock_until_it_is_gone, uploads_count_in_stored_bytes_until_their_job_is_deleted, requeued_runs_keep_each_attempts_size_and_number_on);
    };
    (@tests $open:path; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_guard, store) = $open().await;
                suite::$name(store).await;
            }
        )*
    };
}

pub fn new_job(runs: u32) -> NewJob {
    NewJob {
        budget: None,
        size_key: None,
        size_origin: fredbatch_core::SizeOrigin::Given,
        name: "influenza".into(),
        model_dir: "examples/influenza".into(),
        program: "main.fred".into(),
        params: vec!["days=30".parse().unwrap()],
        configs: NewConfig::each(vec![Vec::new()], runs),
        resources: Resources::LOCAL_DEFAULT,
        max_attempts: 3,
        attempt_timeout_seconds: 4 * 3600,
        retry_policy: Default::default(),
        backend: BackendTarget::AwsBatch(AwsBatchTarget {
            job_queue: "fred-q".into(),
            job_definition: "fred:3".into(),
            log_group: None,
            environment: vec![("FREDBATCH_RESULTS".into(), "s3://fred-results".into())],
            fallback_queue: None,
        }),
        created_at: Utc::now(),
        first_run_checks: false,
        reuse: true,
    }
}

pub fn end(status: AttemptStatus, reason: Option<&str>) -> AttemptEnd {
    AttemptEnd {
        status,
        reason: reason.map(str::to_owned),
        exit_code: Some(0),
        finished_at: Utc::now(),
        measurements: Some(Measurements {
            wall_seconds: 1.5,
            cpu_seconds: 1.4,
            peak_rss_kb: 137_000,
            output_bytes: 4_900_000,
        }),
        results_key: Some("results/1/1/attempt-1".into()),
        warnings: Vec::new(),
        inputs: None,
    }
}
