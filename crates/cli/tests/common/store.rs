//! The sandbox's store read directly, for the tests' waits: a query in the test's own process
//! costs far less than starting `fredbatch status` on every poll, and reads the same rows.
//!
//! A *probe* connects lazily: until a command has created the database and its schema there is
//! nothing to read, and the probe says so (`None`) rather than creating either itself.

use std::path::{Path, PathBuf};

use fredbatch_core::{JobId, Run};
use fredbatch_store::{Store, StoreError};

pub struct StoreProbe {
    runtime: tokio::runtime::Runtime,
    url: String,
    /// The SQLite file that must exist before connecting (none for PostgreSQL).
    file: Option<PathBuf>,
    store: Option<Store>,
}

impl StoreProbe {
    /// The SQLite store of a fredbatch home.
    pub fn sqlite(home: &Path) -> StoreProbe {
        StoreProbe::new(&Store::sqlite_url(home), Some(home.join("fredbatch.db")))
    }

    /// A store at `url` (a PostgreSQL database a test shares with the commands it runs).
    pub fn at(url: &str) -> StoreProbe {
        StoreProbe::new(url, None)
    }

    fn new(url: &str, file: Option<PathBuf>) -> StoreProbe {
        StoreProbe {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the store probe"),
            url: url.to_owned(),
            file,
            store: None,
        }
    }

    /// The runs of the latest job by run number, or None while there is no job yet.
    pub fn latest_runs(&mut self) -> Option<Vec<Run>> {
        let store = self.connected()?;
        self.runtime.block_on(async {
            let job = store.latest_job().await.expect("read the latest job")?;
            Some(runs_of(&store, job.id).await)
        })
    }

    /// The runs of `job` by run number, or None while there is no database yet.
    pub fn runs(&mut self, job: i64) -> Option<Vec<Run>> {
        let store = self.connected()?;
        Some(self.runtime.block_on(runs_of(&store, JobId(job))))
    }

    /// The store, once a command has created its schema.
    fn connected(&mut self) -> Option<Store> {
        if self.store.is_none() {
            if self.file.as_ref().is_some_and(|file| !file.exists()) {
                return None;
            }
            match self.runtime.block_on(Store::connect_existing(&self.url)) {
                Ok(store) => self.store = Some(store),
                Err(StoreError::NoSchema { .. }) => return None,
                Err(error) => panic!("cannot read the sandbox's store: {error}"),
            }
        }
        self.store.clone()
    }
}

async fn runs_of(store: &Store, job: JobId) -> Vec<Run> {
    store.runs(job).await.expect("read the job's runs")
}

impl Drop for StoreProbe {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.runtime.block_on(store.close());
        }
    }
}
