//! The store against a real SQLite file.

mod suite;

use fredbatch_store::Store;

/// A fresh database file, removed with the returned guard.
async fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_in(&dir).await;
    (dir, store)
}

store_suite!(open);

#[tokio::test]
async fn reopening_keeps_everything_and_workers_need_an_existing_schema() {
    let dir = tempfile::tempdir().unwrap();
    let job = open_in(&dir)
        .await
        .create_job(suite::new_job(2), |id| format!("jobs/{id}"))
        .await
        .unwrap();
    let url = Store::sqlite_url(dir.path());
    let worker = Store::connect_existing(&url).await.unwrap();
    assert_eq!(worker.runs(job.id).await.unwrap().len(), 2);
    let empty = tempfile::tempdir().unwrap();
    let error = Store::connect_existing(&Store::sqlite_url(empty.path()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no fredbatch tables"), "{error}");
}

async fn open_in(dir: &tempfile::TempDir) -> Store {
    Store::open(&Store::sqlite_url(dir.path()))
        .await
        .expect("open store")
}
