//! The store against a real PostgreSQL server: the same suite as SQLite, same migrations.
//!
//! The server comes from the test command (`scripts/test` starts one and exports
//! FREDBATCH_TEST_POSTGRES_URL); each test gets a database of its own.

mod suite;

use fredbatch_store::Store;
use sqlx::Executor;

async fn open() -> ((), Store) {
    let url = new_database().await;
    ((), Store::open(&url).await.expect("open store"))
}

/// A new, empty database on the test server; returns its URL.
async fn new_database() -> String {
    let url = std::env::var("FREDBATCH_TEST_POSTGRES_URL").expect(
        "FREDBATCH_TEST_POSTGRES_URL is not set: run the tests with `scripts/test`, which starts a PostgreSQL server",
    );
    let name = format!("fredbatch_test_{}_{}", std::process::id(), rand_suffix());
    let admin = sqlx::PgPool::connect(&url)
        .await
        .expect("connect to the test PostgreSQL server");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    admin.close().await;
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

store_suite!(open);

/// A dump of a database written by the release before sweeps (`fixtures/before-sweeps.sql`,
/// `pg_dump --inserts` after running `fredbatch run` of that release), loaded into a new
/// database: it upgrades and reads as it was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_release_upgrades() {
    let url = new_database().await;
    let dump = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/before-sweeps.sql"),
    )
    .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // The dump is plain statements (no COPY): run them in order.
    sqlx::raw_sql(&dump)
        .execute(&pool)
        .await
        .expect("load the dump");
    pool.close().await;
    let store = Store::open(&url).await.expect("upgrade the database");
    suite::upgraded_release_reads_as_it_was_written(store).await;
}

/// A database as the release before typed backends leaves it (its schema and its rows, see
/// `suite::database_before_typed_backends`), opened: it upgrades, every job typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_release_before_typed_backends_upgrades() {
    let url = new_database().await;
    suite::database_before_typed_backends(&url).await;
    let store = Store::open(&url).await.expect("upgrade the database");
    suite::typed_backends_upgrade_from_the_release_before(store).await;
}
