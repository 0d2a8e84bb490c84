//! Store errors, each saying what to check.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the database at {url}: {source}. Check DATABASE_URL (sqlite://PATH or postgres://...) and that the server is reachable"
    )]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "the database at {url} has no fredbatch tables; run a `fredbatch` command against it first (it creates them), or check DATABASE_URL"
    )]
    NoSchema { url: String },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error(
        "the database holds a value fredbatch cannot read ({what}); was it written by a newer fredbatch?"
    )]
    Corrupt { what: String },
    #[error(
        "the database secret (DATABASE_SECRET) is not the JSON Secrets Manager keeps for RDS: {0}; it needs username, password, host, and optionally port and dbname"
    )]
    BadSecret(String),
    #[error("no job {0}; `fredbatch jobs` lists the jobs")]
    NoSuchJob(fredbatch_core::JobId),
    #[error("job {job} has no run number {run_number}")]
    NoSuchRunNumber {
        job: fredbatch_core::JobId,
        run_number: u32,
    },
    #[error("job {job} has no configuration {number}")]
    NoSuchConfig {
        job: fredbatch_core::JobId,
        number: u32,
    },
    #[error("a job needs at least one configuration with at least one run")]
    EmptyJob,
    #[error("no run {0}; `fredbatch status JOB_ID` lists a job's runs")]
    NoSuchRun(fredbatch_core::RunId),
    #[error("a user named `{0}` exists already; `fredbatch users list` shows the users")]
    UserExists(String),
    #[error("no user named `{0}`; `fredbatch users list` shows the users")]
    NoSuchUser(String),
}
