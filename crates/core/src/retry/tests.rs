use super::*;

fn spot() -> RetryStrategy {
    RetryStrategy::interruptions_only(3, "Host EC2*")
}

fn exit(status_reason: &str, code: Option<i32>) -> AttemptExit<'_> {
    AttemptExit {
        exit_code: code,
        status_reason: Some(status_reason),
        reason: None,
    }
}

#[test]
fn spot_interruptions_are_retried_until_attempts_run_out() {
    let reclaimed = exit("Host EC2 (instance i-0123) terminated.", None);
    assert_eq!(spot().decide(1, &reclaimed), RetryAction::Retry);
    assert_eq!(spot().decide(2, &reclaimed), RetryAction::Retry);
    assert_eq!(spot().decide(3, &reclaimed), RetryAction::Exit);
}

#[test]
fn application_failures_are_not_retried() {
    let failed = exit("Essential container in task exited", Some(1));
    assert_eq!(spot().decide(1, &failed), RetryAction::Exit);
}

#[test]
fn without_a_catch_all_unmatched_failures_retry_as_aws_does() {
    let mut strategy = spot();
    strategy.evaluate_on_exit.pop();
    let failed = exit("Essential container in task exited", Some(1));
    assert_eq!(strategy.decide(1, &failed), RetryAction::Retry);
}

#[test]
fn every_condition_of_a_rule_must_match() {
    let strategy = RetryStrategy {
        attempts: 5,
        evaluate_on_exit: vec![RetryRule {
            on_status_reason: Some("Essential*".into()),
            on_reason: None,
            on_exit_code: Some("13*".into()),
            action: RetryAction::Exit,
        }],
    };
    assert_eq!(
        strategy.decide(1, &exit("Essential container", Some(137))),
        RetryAction::Exit
    );
    assert_eq!(
        strategy.decide(1, &exit("Essential container", Some(1))),
        RetryAction::Retry
    );
    assert_eq!(
        strategy.decide(1, &exit("Host EC2", Some(137))),
        RetryAction::Retry
    );
}

#[test]
fn patterns_are_exact_unless_they_end_with_a_star() {
    assert!(pattern_matches(
        "Host EC2*",
        "Host EC2 (instance i-1) terminated."
    ));
    assert!(!pattern_matches(
        "Host EC2",
        "Host EC2 (instance i-1) terminated."
    ));
    assert!(pattern_matches("*", ""));
    assert!(pattern_matches("137", "137"));
}
