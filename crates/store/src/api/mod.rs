//! What the HTTP API (`fredbatch serve`) keeps beside ordinary jobs and runs: accounts, jobs
//! registered before their runs and owned by a user, each run's request as the client sent
//! it, the check of a job's uploaded inputs, the archive of results built for the client, and
//! the server's own records (its secrets and the one lock per store).

mod accounts;
mod jobs;
mod quotas;
mod runs;
mod server;

pub use accounts::User;
pub use jobs::{ApiJob, InputsCheck, NewApiJob};
pub use quotas::{Quota, Usage};
pub use runs::{ApiRun, NewApiRun};
pub use server::{LockError, LockHolder};
