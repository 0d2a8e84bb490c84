//! Registering jobs (sweeps among them) and reading them back with their backends.

use fredbatch_core::{BackendTarget, JobId, RunStatus, SlurmTarget};
use fredbatch_store::{NewConfig, Store};

use super::new_job;

pub async fn jobs_get_sequential_ids_and_numbered_runs(store: Store) {
    let first = store
        .create_job(new_job(3), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let second = store
        .create_job(new_job(1200), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert_eq!((first.id, second.id), (JobId(1), JobId(2)));
    assert_eq!(second.inputs_key, "jobs/2");
    let runs = store.runs(second.id).await.unwrap();
    assert_eq!(runs.len(), 1200);
    assert_eq!(runs[0].run_number, 1);
    assert_eq!(runs[1199].run_number, 1200);
    assert!(runs.iter().all(|r| r.status == RunStatus::Queued));
    assert_eq!(
        runs[0].id.0, 4,
        "run ids continue after the first job's three"
    );
    let reread = store.job(second.id).await.unwrap();
    assert_eq!(reread, second);
    assert_eq!(store.latest_job().await.unwrap().unwrap().id, second.id);
    assert_eq!(store.status_counts(second.id).await.unwrap().queued, 1200);
    assert!(matches!(
        store.job(JobId(99)).await,
        Err(fredbatch_store::StoreError::NoSuchJob(_))
    ));
}

pub async fn sweeps_keep_each_configuration_and_number_replicates_within_it(store: Store) {
    let mut new = new_job(0);
    let configs = vec![
        vec!["INF.transmissibility=1.2".parse().unwrap()],
        vec!["INF.transmissibility=1.5".parse().unwrap()],
        vec!["INF.transmissibility=1.8".parse().unwrap()],
    ];
    new.configs = NewConfig::each(configs.clone(), 2);
    let job = store
        .create_job(new, |id| format!("jobs/{id}"))
        .await
        .unwrap();
    assert_eq!((job.run_count, job.config_count), (6, 3));
    assert!(job.is_sweep());
    assert_eq!(
        store.job(job.id).await.unwrap(),
        job,
        "read back as written"
    );
    let stored = store.configs(job.id).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].number, 2);
    assert_eq!(stored[1].params, configs[1]);
    assert_eq!(store.config(job.id, 3).await.unwrap().params, configs[2]);
    assert!(store.config(job.id, 4).await.is_err());
    let runs = store.runs(job.id).await.unwrap();
    let shape: Vec<(u32, u32, u32)> = runs
        .iter()
        .map(|r| (r.run_number, r.config, r.replicate))
        .collect();
    assert_eq!(
        shape,
        [
            (1, 1, 1),
            (2, 1, 2),
            (3, 2, 1),
            (4, 2, 2),
            (5, 3, 1),
            (6, 3, 2)
        ]
    );
    assert_eq!(runs[3].results_dir(true), "config-2/run-4");

    // A job that could not store its inputs leaves nothing, configurations included.
    store.delete_unstarted_job(job.id).await.unwrap();
    assert!(store.configs(job.id).await.unwrap().is_empty());
    let mut empty = new_job(0);
    empty.configs.clear();
    assert!(
        store
            .create_job(empty, |id| format!("jobs/{id}"))
            .await
            .is_err()
    );
}

pub async fn jobs_keep_their_backend_target_and_status_reason(store: Store) {
    let slurm = BackendTarget::Slurm(SlurmTarget {
        partition: Some("debug".into()),
        account: None,
        qos: Some("normal".into()),
        extra_args: vec!["--constraint=avx2".into()],
        log_dir: "/shared/logs/slurm".into(),
    });
    for backend in [BackendTarget::Local, slurm, new_job(1).backend] {
        let mut new = new_job(1);
        new.backend = backend.clone();
        let job = store
            .create_job(new, |id| format!("jobs/{id}"))
            .await
            .unwrap();
        let read = store.job(job.id).await.unwrap();
        assert_eq!(
            read.backend, backend,
            "the target reads back as it was recorded"
        );
        assert_eq!(read.status_reason, None);
    }
    let job = store.latest_job().await.unwrap().unwrap();
    let refusal = "job 3 was submitted to aws-batch; this process supervises slurm jobs";
    store
        .set_job_status_reason(job.id, Some(refusal))
        .await
        .unwrap();
    let read = store.job(job.id).await.unwrap();
    assert_eq!(read.status_reason.as_deref(), Some(refusal));
    store.set_job_status_reason(job.id, None).await.unwrap();
    assert_eq!(store.job(job.id).await.unwrap().status_reason, None);
}
