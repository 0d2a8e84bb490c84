//! A job is supervised only on the backend it was submitted to: a supervisor of another kind
//! refuses it before asking its backend anything (which would take the job's runs for lost and
//! submit them again there), and records why as the job's status reason.

use chrono::Utc;
use fredbatch_core::{BackendJobId, BackendKind, BackendTarget, Resources, RunStatus, SlurmTarget};
use fredbatch_store::{NewConfig, NewJob, Store};
use fredbatch_supervisor::testing::MemoryRunner;
use fredbatch_supervisor::{Supervisor, SupervisorError};

fn new_job(backend: BackendTarget) -> NewJob {
    NewJob {
        budget: None,
        size_key: None,
        size_origin: fredbatch_core::SizeOrigin::Given,
        name: "model".into(),
        model_dir: "/models/model".into(),
        program: "main.fred".into(),
        params: vec![],
        configs: NewConfig::each(vec![Vec::new()], 2),
        resources: Resources::LOCAL_DEFAULT,
        max_attempts: 3,
        attempt_timeout_seconds: 3600,
        retry_policy: Default::default(),
        backend,
        created_at: Utc::now(),
        first_run_checks: false,
        reuse: true,
    }
}

#[tokio::test]
async fn a_job_of_another_backend_is_refused_without_asking_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
    let runner = MemoryRunner::new();
    let supervisor = Supervisor::new(store.clone(), runner.clone());
    // A job whose runs went to a Slurm cluster, one of them held there still.
    let slurm = BackendTarget::Slurm(SlurmTarget {
        partition: None,
        account: None,
        qos: None,
        extra_args: Vec::new(),
        log_dir: "/shared/logs".into(),
    });
    let job = store
        .create_job(new_job(slurm), |id| format!("job-{id}"))
        .await
        .unwrap();
    let held = BackendJobId("77_1".into());
    let first = store.runs(job.id).await.unwrap()[0].id;
    store
        .record_submissions(&[(first, held.clone())])
        .await
        .unwrap();

    let error = supervisor.submit(&job).await.unwrap_err();
    let SupervisorError::WrongBackend(refusal) = &error else {
        panic!("refused for another reason: {error}");
    };
    assert_eq!(
        (refusal.recorded, refusal.runner),
        (BackendKind::Slurm, BackendKind::Local)
    );
    assert!(error.to_string().contains("--backend slurm"), "{error}");
    assert!(matches!(
        supervisor.watch(&job).await,
        Err(SupervisorError::WrongBackend(_))
    ));
    assert_eq!(
        runner.with(|m| (m.submit_calls.len(), m.describe_calls.len())),
        (0, 0),
        "the backend was never asked, so no run was taken for lost or submitted"
    );
    let runs = store.runs(job.id).await.unwrap();
    assert_eq!(runs[0].backend_job_id.as_ref(), Some(&held));
    assert!(runs.iter().all(|r| r.status == RunStatus::Queued));
    assert_eq!(
        store.job(job.id).await.unwrap().status_reason,
        Some(error.to_string()),
        "the refusal is the job's status reason"
    );

    // A job of the runner's own kind is supervised, and a refusal recorded earlier cleared.
    let local = store
        .create_job(new_job(BackendTarget::Local), |id| format!("job-{id}"))
        .await
        .unwrap();
    store
        .set_job_status_reason(local.id, Some("refused by a server on another backend"))
        .await
        .unwrap();
    let local = store.job(local.id).await.unwrap();
    assert_eq!(supervisor.submit(&local).await.unwrap(), 2);
    assert_eq!(store.job(local.id).await.unwrap().status_reason, None);
}
