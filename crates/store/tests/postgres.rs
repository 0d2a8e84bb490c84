//! The store against a real PostgreSQL server: the same suite as SQLite, same migrations.
//!
//! The server comes from the test command (`scripts/test` starts one and exports
//! FREDBATCH_TEST_POSTGRES_URL); each test gets a database of its own.

mod suite;

use fredbatch_store::Store;
use sqlx::Executor;

async fn open() -> ((), Store) {
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
    (
        (),
        Store::open(&format!("{base}/{name}"))
            .await
            .expect("open store"),
    )
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

store_suite!(open);
