use super::*;
use crate::backend_jobs::names::run_submission_name;
use crate::ids::RunId;

const JOB: JobId = JobId(7);

fn runs(numbers: &[u32]) -> Vec<RunSubmission> {
    numbers
        .iter()
        .map(|&n| RunSubmission {
            run_id: RunId(100 + i64::from(n)),
            run_number: n,
            name: run_job_name(JOB, n),
            worker: WorkerCommand::run(JOB, RunId(100 + i64::from(n))),
        })
        .collect()
}

fn all(runs: &[RunSubmission]) -> Vec<usize> {
    (0..runs.len()).collect()
}

fn names(units: &[Unit]) -> Vec<&str> {
    units.iter().map(Unit::name).collect()
}

#[test]
fn a_retried_run_goes_alone_under_its_retry_name() {
    let mut runs = runs(&[1, 2, 3, 4]);
    runs[1].name = run_submission_name(JOB, 2, 1);
    let units = plan(JOB, &runs, &all(&runs), 100);
    assert_eq!(
        units,
        [
            Unit::Plain {
                run: 1,
                name: "fred-job-7-run-2-retry-1".into()
            },
            Unit::Plain {
                run: 0,
                name: "fred-job-7-run-1".into()
            },
            Unit::Array {
                runs: vec![2, 3],
                range: RunRange::new(3, 4).unwrap(),
                name: "fred-job-7-runs-3-4".into()
            },
        ]
    );
}

#[test]
fn contiguous_runs_become_one_array_and_strays_plain_jobs() {
    let runs = runs(&[5, 1, 2, 3, 9, 4]);
    let units = plan(JOB, &runs, &all(&runs), 1001);
    assert_eq!(names(&units), ["fred-job-7-runs-1-5", "fred-job-7-run-9"]);
    let numbers: Vec<u32> = units[0]
        .runs()
        .iter()
        .map(|&i| runs[i].run_number)
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5], "task i holds run first + i");
    assert_eq!(units[1].runs(), [4]);
}

#[test]
fn arrays_are_split_at_the_backends_size_limit() {
    let runs = runs(&(1..=7).collect::<Vec<_>>());
    let units = plan(JOB, &runs, &all(&runs), 3);
    assert_eq!(
        names(&units),
        [
            "fred-job-7-runs-1-3",
            "fred-job-7-runs-4-6",
            "fred-job-7-run-7"
        ],
        "a remainder of one is a plain job"
    );
}

#[test]
fn a_limit_of_one_means_every_run_is_a_plain_job() {
    let runs = runs(&[1, 2, 3]);
    let units = plan(JOB, &runs, &all(&runs), 1);
    assert!(units.iter().all(|u| matches!(u, Unit::Plain { .. })));
    assert_eq!(units.len(), 3);
}

#[test]
fn only_pending_runs_are_planned_once() {
    let mut runs = runs(&[1, 2, 3, 4]);
    runs.push(runs[3].clone());
    let units = plan(JOB, &runs, &[0, 2, 3, 4], 1001);
    assert_eq!(names(&units), ["fred-job-7-run-1", "fred-job-7-runs-3-4"]);
}

#[test]
fn array_tasks_run_the_array_form_of_the_runs_worker_command() {
    let runs = runs(&[3, 4, 8]);
    let units = plan(JOB, &runs, &all(&runs), 1001);
    assert_eq!(units[0].worker(&runs), WorkerCommand::array_task(JOB, 3));
    assert_eq!(units[1].worker(&runs), runs[2].worker);
}

#[test]
fn only_a_first_submission_is_found_in_an_array() {
    let mut runs = runs(&[3, 4]);
    let range = RunRange::new(1, 3).unwrap();
    assert_eq!(task_index(JOB, &runs[0], range), Some(2));
    assert_eq!(task_index(JOB, &runs[1], range), None, "outside the array");
    runs[0].name = run_submission_name(JOB, 3, 1);
    assert_eq!(
        task_index(JOB, &runs[0], range),
        None,
        "a retry is never arrayed"
    );
}
