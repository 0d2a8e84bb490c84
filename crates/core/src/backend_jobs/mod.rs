//! The plumbing every batch backend shares: how runs are grouped into backend jobs (plain jobs
//! and arrays, each backend with its own size limit) and what those jobs are named.
//!
//! How a backend numbers the tasks of an array in its own ids (AWS Batch's `<parent>:<i>`,
//! Slurm's `<array>_<i>`) stays with that backend.

pub mod names;
pub mod plan;

pub use names::{
    BackendJobName, RunRange, array_name, attempt_name, job_prefix, run_job_name,
    run_submission_name,
};
pub use plan::{MIN_ARRAY, Unit, is_first_submission, plan, task_index};
