//! fredbatch's AWS Batch backend: submits runs as Batch jobs (array jobs for sweeps), tracks
//! them in few requests, cancels them and reads their CloudWatch logs; and `doctor`, which
//! checks the queue, compute environments, job definition and log group a deployment uses.
//! Runs Spot interrupted too often go on in an On-Demand fallback queue (see [`fallback`]).
//!
//! Terms used throughout:
//! - **plain job** / **array job**: see [`fredbatch_core::backend_jobs`]; **child**: see
//!   [`children`];
//! - **job summary** / **job detail**: what ListJobs / DescribeJobs say about a job, see
//!   [`mapping`];
//! - **throttled** / **transient** / **rejected**: how a failed AWS call may be retried, see
//!   [`error`].

pub mod calls;
pub mod cancel;
pub mod capacity;
pub mod children;
pub mod clients;
pub mod config;
pub mod definition;
pub mod describe;
pub mod doctor;
pub mod error;
pub mod fallback;
pub mod logs;
pub mod mapping;
pub mod pacing;
pub mod runner;
pub mod stack;
pub mod submit;

pub use clients::{Clients, RequestCounter};
pub use config::{BatchConfig, ConfigError};
pub use error::BatchError;
pub use runner::BatchRunner;
