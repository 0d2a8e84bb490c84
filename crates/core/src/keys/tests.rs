use super::*;

#[test]
fn the_layout_is_the_one_existing_stores_hold() {
    assert_eq!(
        inputs_archive_key(&cli_inputs_prefix(JobId(3))),
        "job-3/job_input.zip"
    );
    assert_eq!(
        uploaded_inputs_key(&api_inputs_prefix(JobId(12))),
        "jobs/12/uploaded/job_input.zip"
    );
    assert_eq!(
        manifest_key(&attempt_prefix(JobId(1), 2, 1)),
        "job-1/run-2/attempt-1/MANIFEST.json"
    );
    assert_eq!(
        run_config_key(&api_inputs_prefix(JobId(12)), RunId(5)),
        "jobs/12/run_5_config.json"
    );
    assert_eq!(
        results_archive_key(JobId(4), RunId(9)),
        "jobs/4/run_9_results.zip"
    );
}

#[test]
fn uploaded_inputs_keys_name_their_job() {
    let prefix = api_inputs_prefix(JobId(12));
    assert_eq!(
        job_of_uploaded_inputs_key(&uploaded_inputs_key(&prefix)),
        Some(JobId(12))
    );
    assert_eq!(
        job_of_uploaded_inputs_key(&inputs_archive_key(&prefix)),
        None
    );
    assert_eq!(job_of_uploaded_inputs_key(&job_config_key(&prefix)), None);
    assert_eq!(
        job_of_uploaded_inputs_key("jobs/x/uploaded/job_input.zip"),
        None
    );
}
