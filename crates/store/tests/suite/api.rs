//! What the HTTP API keeps: accounts, jobs registered before their runs, retries, inputs
//! checks, and the one server lock per store.

use chrono::Utc;
use fredbatch_core::{BackendTarget, JobId, JobStatus, Resources, RunStatus};
use fredbatch_store::{
    InputsCheck, LockError, LockHolder, NewApiJob, NewApiRun, Store, StoreError,
};

fn new_api_job(owner: i64) -> NewApiJob {
    NewApiJob {
        owner,
        tags: vec!["flu".into(), "b".into()],
        resources: Resources::LOCAL_DEFAULT,
        max_attempts: 3,
        attempt_timeout_seconds: 60,
        backend: BackendTarget::Local,
        created_at: Utc::now(),
        first_run_checks: false,
    }
}

fn api_run(seed: u64, request: &str) -> NewApiRun {
    NewApiRun {
        params: Vec::new(),
        request: request.into(),
        seed: Some(seed),
    }
}

/// A run of the configuration that sets `INF.transmissibility`.
fn api_run_setting(transmissibility: &str, seed: u64) -> NewApiRun {
    NewApiRun {
        params: vec![
            format!("INF.transmissibility={transmissibility}")
                .parse()
                .unwrap(),
        ],
        ..api_run(seed, "{}")
    }
}

pub async fn api_jobs_take_runs_after_registration_and_keep_requests_verbatim(store: Store) {
    let user = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let job = store.register_api_job(new_api_job(user.id)).await.unwrap();
    assert!(job.id.0 > 0);
    assert_eq!((job.run_count, job.config_count), (0, 0));
    assert_eq!(
        store.status_counts(job.id).await.unwrap().job_status(),
        JobStatus::Queued,
        "a job without runs waits for them: it is not DONE"
    );
    assert!(
        store.open_api_jobs().await.unwrap().is_empty(),
        "no runs yet"
    );
    let request = r#"{"jobId": 1,  "fredArgs": [{"flag": "-s", "value": "18446744073709551615"}]}"#;
    // Requests that differ only in their seed are replicates of one configuration, in order,
    // across additions too.
    let first = store
        .add_runs(
            job.id,
            &[
                api_run(u64::MAX, request),
                api_run_setting("1.3", 7),
                api_run(3, "{}"),
            ],
            Utc::now(),
        )
        .await
        .unwrap();
    let second = store
        .add_runs(
            job.id,
            &[api_run_setting("1.3", 8), api_run_setting("0.8", 9)],
            Utc::now(),
        )
        .await
        .unwrap();
    let numbers: Vec<(u32, u32, u32)> = first
        .iter()
        .chain(&second)
        .map(|r| (r.run_number, r.config, r.replicate))
        .collect();
    assert_eq!(
        numbers,
        [(1, 1, 1), (2, 2, 1), (3, 1, 2), (4, 2, 2), (5, 3, 1)]
    );
    assert_eq!(store.run_seed(first[1].id).await.unwrap(), Some(7));
    let runs = store.api_runs(job.id).await.unwrap();
    assert_eq!(
        runs[0].request.as_deref(),
        Some(request),
        "verbatim, spacing included"
    );
    assert_eq!(runs[0].seed, Some(u64::MAX));
    assert!(
        runs.iter()
            .all(|r| r.created_at.is_some() && r.results_zip.is_none())
    );
    assert_eq!(
        store.config(job.id, 2).await.unwrap().params[0].to_string(),
        "INF.transmissibility = 1.3"
    );
    let read = store.api_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        (read.owner, read.tags.clone(), read.deleted),
        (user.id, vec!["flu".into(), "b".into()], false)
    );
    assert_eq!(read.inputs, InputsCheck::Pending);
    assert_eq!((read.job.run_count, read.job.config_count), (5, 3));
    assert_eq!(store.open_api_jobs().await.unwrap().len(), 1);
    assert!(store.api_job(JobId(999)).await.unwrap().is_none());
    store.delete_api_job(job.id, Utc::now()).await.unwrap();
    assert!(store.api_job(job.id).await.unwrap().unwrap().deleted);
    assert!(store.api_jobs_of(user.id).await.unwrap().is_empty());
    assert_eq!(store.cancel_requests(job.id).await.unwrap().len(), 5);
    assert!(matches!(
        store
            .add_runs(JobId(999), &[api_run(1, "{}")], Utc::now())
            .await,
        Err(StoreError::NoSuchJob(_))
    ));
}

pub async fn accounts_are_found_by_token_hash_until_revoked(store: Store) {
    let alice = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let bob = store.add_user("bob", "hash-b", Utc::now()).await.unwrap();
    assert_ne!(alice.id, bob.id);
    assert!(matches!(
        store.add_user("alice", "hash-c", Utc::now()).await,
        Err(StoreError::UserExists(_))
    ));
    assert_eq!(
        store
            .user_by_token_hash("hash-b")
            .await
            .unwrap()
            .unwrap()
            .name,
        "bob"
    );
    assert!(store.user_by_token_hash("nope").await.unwrap().is_none());
    store.revoke_user("bob", Utc::now()).await.unwrap();
    assert!(store.user_by_token_hash("hash-b").await.unwrap().is_none());
    assert!(matches!(
        store.revoke_user("carol", Utc::now()).await,
        Err(StoreError::NoSuchUser(_))
    ));
    let users = store.users().await.unwrap();
    assert_eq!(users.len(), 2);
    assert!(users[1].revoked_at.is_some());
    // The signing key is made once, whoever asks first.
    let key = store.server_secret("k", || "first".into()).await.unwrap();
    assert_eq!(key, "first");
    assert_eq!(
        store.server_secret("k", || "second".into()).await.unwrap(),
        "first"
    );
}

pub async fn retries_reset_only_ended_runs_and_inputs_checks_end_unstarted_runs(store: Store) {
    let user = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let job = store.register_api_job(new_api_job(user.id)).await.unwrap();
    let runs = store
        .add_runs(job.id, &[api_run(1, "{}"), api_run(2, "{}")], Utc::now())
        .await
        .unwrap();
    store
        .record_inputs_check(job.id, Err("the archive is bad".into()), Utc::now())
        .await
        .unwrap();
    let read = store.api_job(job.id).await.unwrap().unwrap();
    assert_eq!(
        read.inputs,
        InputsCheck::Refused("the archive is bad".into())
    );
    for run in store.runs(job.id).await.unwrap() {
        assert_eq!(run.status, RunStatus::Error);
        assert_eq!(run.status_reason.as_deref(), Some("the archive is bad"));
    }
    let ids: Vec<_> = runs.iter().map(|r| r.id).collect();
    assert_eq!(store.retry_runs(&ids[..1]).await.unwrap(), ids[..1]);
    let retried = store.run(ids[0]).await.unwrap();
    assert_eq!(
        (retried.status, retried.retries, retried.status_reason),
        (RunStatus::Queued, 1, None)
    );
    assert!(
        store.retry_runs(&ids[..1]).await.unwrap().is_empty(),
        "a QUEUED run is left alone"
    );
    let other = store.register_api_job(new_api_job(user.id)).await.unwrap();
    store
        .add_runs(other.id, &[api_run(1, "{}")], Utc::now())
        .await
        .unwrap();
    store
        .record_inputs_check(other.id, Ok(()), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.api_job(other.id).await.unwrap().unwrap().inputs,
        InputsCheck::Passed
    );
    assert_eq!(
        store.runs(other.id).await.unwrap()[0].status,
        RunStatus::Queued
    );
}

pub async fn one_server_holds_the_lock_until_it_is_gone(store: Store) {
    let holder = |name: &str| LockHolder {
        holder: name.into(),
        host: "host-a".into(),
        pid: 42,
        listen: "127.0.0.1:8787".into(),
    };
    let stale = chrono::Duration::seconds(30);
    let now = Utc::now();
    store
        .acquire_server_lock("serve", &holder("first"), stale, |_| false, now)
        .await
        .unwrap();
    let refused = store
        .acquire_server_lock("serve", &holder("second"), stale, |_| false, now)
        .await
        .unwrap_err();
    assert!(matches!(&refused, LockError::Held { holder, .. } if holder.holder == "first"));
    assert!(
        refused
            .to_string()
            .contains("pid 42 on host-a, listening on 127.0.0.1:8787"),
        "{refused}"
    );
    assert!(
        store
            .heartbeat_server_lock("serve", "first", now)
            .await
            .unwrap()
    );
    // A holder that is gone is taken over; a stale heartbeat too.
    store
        .acquire_server_lock(
            "serve",
            &holder("second"),
            stale,
            |h| h.holder == "first",
            now,
        )
        .await
        .unwrap();
    assert!(
        !store
            .heartbeat_server_lock("serve", "first", now)
            .await
            .unwrap()
    );
    let later = now + chrono::Duration::seconds(31);
    store
        .acquire_server_lock("serve", &holder("third"), stale, |_| false, later)
        .await
        .unwrap();
    store.release_server_lock("serve", "third").await.unwrap();
    store
        .acquire_server_lock("serve", &holder("fourth"), stale, |_| false, later)
        .await
        .unwrap();
}

pub async fn uploads_count_in_stored_bytes_until_their_job_is_deleted(store: Store) {
    let alice = store.add_user("alice", "hash-a", Utc::now()).await.unwrap();
    let bob = store.add_user("bob", "hash-b", Utc::now()).await.unwrap();
    let first = store.register_api_job(new_api_job(alice.id)).await.unwrap();
    let second = store.register_api_job(new_api_job(alice.id)).await.unwrap();
    store.record_upload(first.id, 3_000_000).await.unwrap();
    store.record_upload(first.id, 200).await.unwrap();
    store.record_upload(second.id, 1_000).await.unwrap();
    assert_eq!(store.usage(alice.id).await.unwrap().stored_bytes, 3_001_200);
    assert_eq!(
        store.usage(bob.id).await.unwrap().stored_bytes,
        0,
        "alice's only"
    );
    store.delete_api_job(first.id, Utc::now()).await.unwrap();
    assert_eq!(
        store.usage(alice.id).await.unwrap().stored_bytes,
        1_000,
        "a deleted job's uploads are removed with it"
    );
}
