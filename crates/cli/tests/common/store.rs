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
    /// Whether a read has succeeded: the schema is then complete.
    schema_complete: bool,
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
            schema_complete: false,
        }
    }

    /// The runs of the latest job by run number, or None while there is no job yet.
    pub fn latest_runs(&mut self) -> Option<Vec<Run>> {
        let store = self.connected()?;
        let read = self.runtime.block_on(async {
            let Some(job) = store.latest_job().await? else {
                return Ok(None);
            };
            store.runs(job.id).await.map(Some)
        });
        self.settle(read).flatten()
    }

    /// The runs of `job` by run number, or None while there is no database yet.
    pub fn runs(&mut self, job: i64) -> Option<Vec<Run>> {
        let store = self.connected()?;
        let read = self.runtime.block_on(store.runs(JobId(job)));
        self.settle(read)
    }

    /// A read's value. Until one read succeeds, a failed read means the command that creates
    /// the schema is still adding to it (a column of a later migration): not there yet. After
    /// that, a failure is the test's.
    fn settle<T>(&mut self, read: Result<T, StoreError>) -> Option<T> {
        match read {
            Ok(value) => {
                self.schema_complete = true;
                Some(value)
            }
            Err(error) if !self.schema_complete => {
                eprintln!("the sandbox's store is not ready yet: {error}");
                None
            }
            Err(error) => panic!("cannot read the sandbox's store: {error}"),
        }
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

impl Drop for StoreProbe {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.runtime.block_on(store.close());
        }
    }
}
