//! Where the API puts what the client uploads, under a job's inputs prefix (`jobs/<J>`).

use fredbatch_core::JobId;

/// Where a job's inputs archive is uploaded. The supervision loop checks it there and stores
/// the bytes it checked where the worker reads them (`fredbatch_worker::inputs_archive_key`),
/// so what runs is exactly what passed the checks, whatever is uploaded later.
pub fn uploaded_inputs_key(inputs_key: &str) -> String {
    format!("{inputs_key}/uploaded/job_input.zip")
}

/// The job whose uploaded inputs archive `key` is (`jobs/<J>/uploaded/job_input.zip`).
pub fn job_of_inputs_key(key: &str) -> Option<JobId> {
    let id = key
        .strip_prefix("jobs/")?
        .strip_suffix("/uploaded/job_input.zip")?;
    id.parse().ok().map(JobId)
}

/// Where the client uploads its `job.json`.
pub fn job_config_key(inputs_key: &str) -> String {
    format!("{inputs_key}/job_config.json")
}

/// Where the client uploads a run's `run.json`.
pub fn run_config_key(inputs_key: &str, run_id: i64) -> String {
    format!("{inputs_key}/run_{run_id}_config.json")
}

#[cfg(test)]
mod tests {
    use fredbatch_worker::inputs_archive_key;

    use super::*;

    #[test]
    fn inputs_keys_name_their_job() {
        assert_eq!(
            job_of_inputs_key(&uploaded_inputs_key("jobs/12")),
            Some(JobId(12))
        );
        assert_eq!(job_of_inputs_key(&inputs_archive_key("jobs/12")), None);
        assert_eq!(job_of_inputs_key(&job_config_key("jobs/12")), None);
        assert_eq!(run_config_key("jobs/12", 5), "jobs/12/run_5_config.json");
    }
}
