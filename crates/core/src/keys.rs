//! Where a job's objects live in storage: every key fredbatch writes or reads is built (and,
//! where code reads keys back, parsed) here, so the layout has one owner.
//!
//! Terms:
//! - **inputs prefix**: a job's folder in the uploads location, recorded as the job's
//!   `inputs_key`: `job-<J>` for command-line jobs, `jobs/<J>` for jobs registered through the
//!   platform API (which also names that folder in the URLs it signs);
//! - **inputs archive**: the model directory as a zip, `<inputs prefix>/job_input.zip`, the one
//!   the worker fetches;
//! - **uploaded inputs archive**: what an API client uploaded,
//!   `<inputs prefix>/uploaded/job_input.zip`; the server checks it and stores the bytes it
//!   checked as the inputs archive, so what runs is exactly what passed the checks;
//! - **attempt prefix**: one attempt's outputs in the results location,
//!   `job-<J>/run-<N>/attempt-<A>`, with its manifest `MANIFEST.json` written last;
//! - **results archive**: a DONE API run's zip for its client, `jobs/<J>/run_<R>_results.zip`.

use crate::ids::{JobId, RunId};

/// The manifest's name inside an attempt prefix.
pub const MANIFEST: &str = "MANIFEST.json";
const INPUTS_ARCHIVE: &str = "job_input.zip";
const UPLOADED_INPUTS_ARCHIVE: &str = "uploaded/job_input.zip";

/// The inputs prefix of a job registered on the command line.
pub fn cli_inputs_prefix(job: JobId) -> String {
    format!("job-{job}")
}

/// The inputs prefix of a job registered through the platform API.
pub fn api_inputs_prefix(job: JobId) -> String {
    format!("jobs/{job}")
}

/// The archive of a job's model directory that workers fetch.
pub fn inputs_archive_key(inputs_prefix: &str) -> String {
    format!("{inputs_prefix}/{INPUTS_ARCHIVE}")
}

/// The API job whose object `key` is (uploads and results archives alike), if any.
pub fn job_of_api_key(key: &str) -> Option<JobId> {
    let (id, _) = key.strip_prefix("jobs/")?.split_once('/')?;
    id.parse().ok()
}

/// Where an API client uploads a job's inputs archive.
pub fn uploaded_inputs_key(inputs_prefix: &str) -> String {
    format!("{inputs_prefix}/{UPLOADED_INPUTS_ARCHIVE}")
}

/// The API job whose uploaded inputs archive `key` is, if it is one.
pub fn job_of_uploaded_inputs_key(key: &str) -> Option<JobId> {
    let id = key
        .strip_prefix("jobs/")?
        .strip_suffix(&format!("/{UPLOADED_INPUTS_ARCHIVE}"))?;
    id.parse().ok()
}

/// Where an API client uploads its job's `job.json`.
pub fn job_config_key(inputs_prefix: &str) -> String {
    format!("{inputs_prefix}/job_config.json")
}

/// Where an API client uploads a run's `run.json`.
pub fn run_config_key(inputs_prefix: &str, run: RunId) -> String {
    format!("{inputs_prefix}/run_{run}_config.json")
}

/// The key prefix of every attempt's outputs of a job.
pub fn job_results_prefix(job: JobId) -> String {
    format!("job-{job}/")
}

/// The key prefix of one attempt's outputs.
pub fn attempt_prefix(job: JobId, run_number: u32, attempt: u32) -> String {
    format!("job-{job}/run-{run_number}/attempt-{attempt}")
}

/// A file of an attempt's outputs, by its path relative to the attempt prefix.
pub fn attempt_file_key(attempt_prefix: &str, path: &str) -> String {
    format!("{attempt_prefix}/{path}")
}

/// The manifest of an attempt's outputs.
pub fn manifest_key(attempt_prefix: &str) -> String {
    attempt_file_key(attempt_prefix, MANIFEST)
}

/// A DONE API run's results archive for its client.
pub fn results_archive_key(job: JobId, run: RunId) -> String {
    format!("jobs/{job}/run_{run}_results.zip")
}

#[cfg(test)]
mod tests;
