//! The backend as the supervisor drives it: it hands AWS Batch every run of a job at once and
//! every open run per refresh, and the backend batches for itself.

use std::sync::Arc;

use fredbatch_supervisor::Supervisor;

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::Proxy;
use crate::support::stored_job;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_of_ten_thousand_runs_is_one_submit_job_and_a_refresh_costs_at_most_twenty_requests()
 {
    let setup = Setup::create().await;
    let proxy = Proxy::start(&moto_url()).await;
    let runner = Arc::new(setup.runner(&proxy.url, setup.config()).await);
    let (_dir, store, job) = stored_job(4, 2500).await;
    let supervisor = Supervisor::new(store.clone(), runner);
    assert_eq!(supervisor.submit(&job).await.unwrap(), 10_000);
    assert_eq!(
        proxy.count("SubmitJob"),
        1,
        "one array job of 10,000 children"
    );
    let runs = store.runs(job.id).await.unwrap();
    assert!(
        runs.iter().all(|r| r.backend_job_id.is_some()),
        "every run's backend job is recorded"
    );

    let before = proxy.seen().len();
    let mut watch = supervisor.watch(&job).await.unwrap();
    supervisor.tick(&mut watch).await.unwrap();
    let refresh = proxy.seen().len() - before;
    assert!(
        (1..=20).contains(&refresh),
        "a refresh of 10,000 runs cost {refresh} requests"
    );
}
