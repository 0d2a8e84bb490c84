use super::*;

#[derive(Debug)]
struct Chain(&'static str, Option<Box<Chain>>);

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Chain {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.1.as_deref().map(|c| c as _)
    }
}

#[test]
fn a_cause_is_its_chain_on_one_shortened_line() {
    let error = Chain(
        "failed to parse",
        Some(Box::new(Chain("expected\nnumber", None))),
    );
    assert_eq!(short_cause(&error), "failed to parse: expected number");
    let long = Chain(Box::leak("x".repeat(1000).into_boxed_str()), None);
    let short = short_cause(&long);
    assert_eq!(short.chars().count(), MAX_CAUSE_CHARS + 1);
    assert!(short.ends_with('…'));
}

#[test]
fn throttling_codes_include_batchs_own() {
    assert!(is_throttling_code("TooManyRequestsException"));
    assert!(is_throttling_code("ThrottlingException"));
    assert!(!is_throttling_code("ClientException"));
}

#[test]
fn rejected_errors_say_what_to_check() {
    let error = BatchError::from_failure(
        "SubmitJob",
        Failure {
            kind: FailureKind::Rejected,
            code: Some("ClientException".into()),
            message: "Job queue q does not exist".into(),
        },
        1,
    );
    let text = error.to_string();
    assert!(text.contains("Job queue q does not exist (ClientException)"));
    assert!(text.contains("AWS_BATCH_JOB_QUEUE"));
    assert!(matches!(
        RunnerError::from(error),
        RunnerError::Rejected { .. }
    ));
}

#[test]
fn throttling_maps_to_the_runner_throttled_error() {
    let error = BatchError::from_failure(
        "DescribeJobs",
        Failure {
            kind: FailureKind::Throttled,
            code: Some("TooManyRequestsException".into()),
            message: "Too Many Requests".into(),
        },
        5,
    );
    assert!(matches!(
        RunnerError::from(error),
        RunnerError::Throttled { .. }
    ));
}
