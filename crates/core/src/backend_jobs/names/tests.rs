use super::*;
use proptest::prelude::*;

fn range(first: u32, last: u32) -> RunRange {
    RunRange::new(first, last).unwrap()
}

#[test]
fn names_are_valid_batch_and_slurm_job_names() {
    let name = run_job_name(JobId(42), 10_000);
    assert_eq!(name, "fred-job-42-run-10000");
    assert_eq!(run_submission_name(JobId(42), 7, 0), "fred-job-42-run-7");
    assert_eq!(
        run_submission_name(JobId(42), 7, 2),
        "fred-job-42-run-7-retry-2"
    );
    assert_eq!(array_name(JobId(7), range(1, 500)), "fred-job-7-runs-1-500");
    assert_eq!(attempt_name(JobId(7), 9, 2), "fred-job-7-run-9-attempt-2");
    let longest = attempt_name(JobId(i64::MAX), u32::MAX, u32::MAX);
    assert!(longest.len() <= 128, "{longest}");
    assert!(
        longest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[test]
fn names_read_back() {
    let job = JobId(7);
    assert_eq!(
        BackendJobName::parse("fred-job-7-run-3"),
        Some(BackendJobName::Run {
            job,
            run_number: 3,
            retry: 0
        })
    );
    assert_eq!(
        BackendJobName::parse("fred-job-7-run-3-retry-1"),
        Some(BackendJobName::Run {
            job,
            run_number: 3,
            retry: 1
        })
    );
    assert_eq!(
        BackendJobName::parse("fred-job-7-runs-1-500"),
        Some(BackendJobName::Array {
            job,
            runs: range(1, 500)
        })
    );
    assert_eq!(
        BackendJobName::parse("fred-job-7-run-9-attempt-2"),
        Some(BackendJobName::Attempt {
            job,
            run_number: 9,
            attempt: 2
        })
    );
    for foreign in [
        "fred-job-7-runs-5-1",
        "fred-job-7-run-3-retry-0",
        "fred-job-07-run-3",
        "fred-job-7-run-+3",
        "fred-job-7-run-",
        "fred-job-7-runs-1",
        "wrap",
    ] {
        assert_eq!(BackendJobName::parse(foreign), None, "{foreign}");
    }
}

#[test]
fn a_prefix_belongs_to_one_job() {
    let name = array_name(JobId(70), range(1, 2));
    assert!(name.starts_with(&job_prefix(JobId(70))));
    assert!(!name.starts_with(&job_prefix(JobId(7))));
}

#[test]
fn a_range_maps_run_numbers_to_task_indexes() {
    let runs = range(501, 510);
    assert_eq!(runs.len(), 10);
    assert_eq!(runs.index_of(510), Some(9));
    assert_eq!(runs.index_of(500), None);
    assert_eq!(runs.index_of(511), None);
    assert_eq!(runs.number_at(0), Some(501));
    assert_eq!(runs.number_at(10), None);
    assert_eq!(range(1, u32::MAX).number_at(u32::MAX), None);
    assert_eq!(RunRange::new(2, 1), None);
}

fn any_name() -> impl Strategy<Value = BackendJobName> {
    let job = (0..=i64::MAX).prop_map(JobId);
    prop_oneof![
        (job.clone(), any::<u32>(), any::<u32>()).prop_map(|(job, run_number, retry)| {
            BackendJobName::Run {
                job,
                run_number,
                retry,
            }
        }),
        (job.clone(), any::<u32>(), any::<u32>()).prop_map(|(job, a, b)| {
            BackendJobName::Array {
                job,
                runs: range(a.min(b), a.max(b)),
            }
        }),
        (job, any::<u32>(), any::<u32>()).prop_map(|(job, run_number, attempt)| {
            BackendJobName::Attempt {
                job,
                run_number,
                attempt,
            }
        }),
    ]
}

proptest! {
    #[test]
    fn every_name_reads_back_as_itself(name in any_name()) {
        prop_assert_eq!(BackendJobName::parse(&name.to_string()), Some(name));
        prop_assert!(name.to_string().starts_with(&job_prefix(name.job())));
    }
}
