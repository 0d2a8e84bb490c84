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

/// A database file written by the release before sweeps (`fixtures/before-sweeps.db`, made by
/// running `fredbatch run` of that release), copied and opened: it upgrades and reads as it
/// was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/before-sweeps.db");
    std::fs::copy(&fixture, dir.path().join("fredbatch.db")).unwrap();
    let store = open_in(&dir).await;
    suite::upgraded_release_reads_as_it_was_written(store).await;
}

/// A database file as the release before typed backends leaves it (its schema and its rows,
/// see `suite::database_before_typed_backends`), opened: it upgrades, every job typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_release_before_typed_backends_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    suite::database_before_typed_backends(&Store::sqlite_url(dir.path())).await;
    let store = open_in(&dir).await;
    suite::typed_backends_upgrade_from_the_release_before(store).await;
}
