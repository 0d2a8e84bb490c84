//! The store: what was asked (jobs, runs) and what happened (attempts, committed results).
//!
//! One schema and one set of migrations serve SQLite (the default, a file under
//! `.fredbatch/`) and PostgreSQL (production), through sqlx's `Any` driver. Queries use only
//! SQL both accept, with `$N` placeholders.

mod api;
mod attempts;
mod error;
mod jobs;
mod resized;
mod reuse;
mod rows;
mod runs;
mod secret;
mod sizes;
mod sql;
mod time;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use api::{
    ApiJob, ApiRun, InputsCheck, LockError, LockHolder, NewApiJob, NewApiRun, Quota, Usage, User,
};
pub use attempts::{AttemptEnd, BeginAttempt, CommitOutcome};
pub use error::StoreError;
pub use fredbatch_core::StatusCounts;
pub use jobs::{JobSummary, NewConfig, NewJob};
pub use reuse::{DoneRun, Nearest, ResultsRelease, Reusable, RunInputs};
pub use secret::database_url_from_secret;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
const MIGRATE_RETRIES: u64 = 3;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Connects and brings the schema up to date. For commands that own the database.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        // sqlx locks migrations on PostgreSQL only: two commands started at once on a new
        // SQLite database may both create its tables. The loser's migration rolls back, and
        // running again finds it applied.
        let mut retries = 0;
        while let Err(error) = MIGRATOR.run(&store.pool).await {
            if retries == MIGRATE_RETRIES {
                return Err(StoreError::Migrate(error));
            }
            retries += 1;
            tokio::time::sleep(Duration::from_millis(50 * retries)).await;
        }
        Ok(store)
    }

    /// Connects to a database whose schema another process created (the worker). Fails with a
    /// clear error when the schema is missing instead of creating tables as a side effect.
    pub async fn connect_existing(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        sqlx::query("SELECT id FROM runs WHERE 1 = 0")
            .fetch_optional(&store.pool)
            .await
            .map_err(|_| StoreError::NoSchema { url: redact(url) })?;
        Ok(store)
    }

    async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        // Many workers write at once: wait for the lock rather than fail, and
                        // let readers proceed while one writes.
                        conn.execute("PRAGMA busy_timeout = 60000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
        Ok(Store { pool })
    }

    /// The SQLite database inside a fredbatch home directory.
    pub fn sqlite_url(home: &Path) -> String {
        format!("sqlite://{}?mode=rwc", home.join("fredbatch.db").display())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..scheme_end], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://fred:s3cret@db:5432/fred"),
            "postgres://fred:***@db:5432/fred"
        );
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
