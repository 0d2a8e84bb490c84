//! The domain of fredbatch: what a job and a run are, which states they move through, how a FRED
//! outcome is judged, and the gateway trait every execution backend implements.
//!
//! Terms used throughout:
//! - **job**: one model directory submitted with one or more configurations;
//! - **configuration**: a set of model-key overrides (one of a sweep's combinations), run N times;
//! - **run**: one FRED invocation of a job: replicate r of a configuration runs as FRED run
//!   number r (`-r r`), so configurations share random numbers; 1 backend job = 1 run;
//! - **attempt**: one execution of a run by a backend; a run may take several (retries);
//! - **backend state**: where the backend says a run is (AWS Batch's states, exactly);
//! - **run status**: what fredbatch tells users (QUEUED, RUNNING, DONE, ERROR, CANCELLED);
//! - **fingerprint**: what decides a run's results; a run whose fingerprint matches a DONE
//!   run's takes that run's results instead of computing them again (**reuse**).
//!
//! Nothing here knows about AWS, SQL or processes.

pub mod backend;
pub mod backend_jobs;
pub mod budget;
pub mod counts;
pub mod failure;
pub mod fingerprint;
pub mod growth;
pub mod ids;
pub mod judge;
pub mod keys;
pub mod limits;
pub mod log_file;
pub mod manifest;
pub mod model;
pub mod model_check;
pub mod params;
pub mod program;
pub mod resources;
pub mod retry;
pub mod runner;
pub mod sizing;
pub mod status;
pub mod sweep;
pub mod sync;
pub mod worker_command;
pub mod worker_line;

pub use backend::{AwsBatchTarget, BackendKind, BackendTarget, BatchQueue, SlurmTarget};
pub use budget::Budget;
pub use counts::StatusCounts;
pub use failure::FailureClass;
pub use growth::{Ceiling, RetryPolicy, RunSize};
pub use ids::{BackendJobId, JobId, RunId};
pub use model::{Attempt, AttemptStatus, Config, Job, Run};
pub use resources::Resources;
pub use retry::{RetryAction, RetryRule, RetryStrategy};
pub use runner::{
    BackendAttempt, BackendJob, DynRunner, IgnoreProgress, JobSpec, LogPage, LogRequest,
    RunSubmission, RunnerError, SimulationRunner, SubmitProgress,
};
pub use sizing::SizeOrigin;
pub use status::{BackendState, JobStatus, RunStatus};
pub use worker_command::{WorkerCommand, WorkerRun};
