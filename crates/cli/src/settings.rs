//! Where fredbatch keeps things, from the environment first, as the AWS Batch design this
//! project implements configures its application (`docs/design.md`):
//! `FREDBATCH_HOME` (default `.fredbatch/` in the working directory), `DATABASE_URL`,
//! `FREDBATCH_UPLOADS`, `FREDBATCH_RESULTS`, `FRED_HOME`. Flags override the environment.
//! In an AWS Batch container the database comes from `DATABASE_SECRET`, the RDS secret's JSON
//! that the job definition injects from Secrets Manager.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use fredbatch_storage::Storage;
use fredbatch_store::{Store, database_url_from_secret};

use crate::private_files;

#[derive(Clone, Debug)]
pub struct Settings {
    pub home: PathBuf,
    pub database_url: String,
    pub uploads: String,
    pub results: String,
    /// A FRED installation; `None` means the built-in demo engine.
    pub fred_home: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

impl Settings {
    pub fn from_env(home: Option<PathBuf>) -> anyhow::Result<Settings> {
        let home = match home.or_else(|| env("FREDBATCH_HOME").map(PathBuf::from)) {
            Some(home) => home,
            None => std::env::current_dir()
                .context("cannot read the working directory")?
                .join(".fredbatch"),
        };
        let home = absolute(&home)?;
        let database_url = match (env("DATABASE_URL"), env("DATABASE_SECRET")) {
            (Some(url), _) => url,
            (None, Some(secret)) => database_url_from_secret(&secret)?,
            (None, None) => Store::sqlite_url(&home),
        };
        let uploads =
            env("FREDBATCH_UPLOADS").unwrap_or_else(|| home.join("uploads").display().to_string());
        let results =
            env("FREDBATCH_RESULTS").unwrap_or_else(|| home.join("results").display().to_string());
        let fred_home = env("FRED_HOME").map(PathBuf::from);
        Ok(Settings {
            home,
            database_url,
            uploads,
            results,
            fred_home,
        })
    }

    /// Uses these locations for uploads and results unless the environment named others.
    pub fn default_storage(&mut self, uploads: Option<String>, results: Option<String>) {
        if let Some(uploads) = uploads.filter(|_| env("FREDBATCH_UPLOADS").is_none()) {
            self.uploads = uploads;
        }
        if let Some(results) = results.filter(|_| env("FREDBATCH_RESULTS").is_none()) {
            self.results = results;
        }
    }

    /// Opens the store, creating the home folder and the schema when needed: a new SQLite
    /// store and its folder are its owner's only (0600 and 0700).
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        if self.database_url.starts_with("sqlite:") {
            private_files::create_private_dir(&self.home)?;
            if let Some(database) = self.sqlite_path() {
                if let Some(parent) = database.parent() {
                    private_files::create_private_dir(parent)?;
                }
                private_files::create_private_file(&database)?;
            }
        }
        Ok(Store::open(&self.database_url).await?)
    }

    /// Opens the store only if it exists: `None` for a SQLite file not created yet (reading
    /// must not create it before a command knows it will store anything).
    pub async fn open_existing_store(&self) -> anyhow::Result<Option<Store>> {
        match self.sqlite_path() {
            Some(database) if !database.exists() => Ok(None),
            _ => Ok(Some(Store::open(&self.database_url).await?)),
        }
    }

    /// The database file, when the store is SQLite in a file.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
    }

    pub fn uploads(&self) -> anyhow::Result<Storage> {
        Storage::open(&self.uploads).context("FREDBATCH_UPLOADS is not usable")
    }

    pub fn results(&self) -> anyhow::Result<Storage> {
        Storage::open(&self.results).context("FREDBATCH_RESULTS is not usable")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.home.join("logs")
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.home.join("locks")
    }

    pub fn workspace_root(&self) -> PathBuf {
        self.home.join("workspaces")
    }

    /// The environment every local worker process gets, so it finds the same store and storage.
    pub fn worker_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("FREDBATCH_HOME".to_owned(), self.home.display().to_string()),
            ("DATABASE_URL".to_owned(), self.database_url.clone()),
            ("FREDBATCH_UPLOADS".to_owned(), self.uploads.clone()),
            ("FREDBATCH_RESULTS".to_owned(), self.results.clone()),
        ];
        if let Some(fred_home) = &self.fred_home {
            env.push(("FRED_HOME".to_owned(), fred_home.display().to_string()));
        }
        env
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_owned())
    } else {
        Ok(std::env::current_dir()
            .context("cannot read the working directory")?
            .join(path))
    }
}
