use super::*;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn both_variables_are_required_and_named_when_missing() {
    let error = BatchConfig::from_vars(vars(&[("AWS_BATCH_JOB_QUEUE", "q")])).unwrap_err();
    assert_eq!(
        error,
        ConfigError::Missing {
            missing: "AWS_BATCH_JOB_DEFINITION".into()
        }
    );
    assert!(error.to_string().contains("--stack"));
}

#[test]
fn tuning_comes_from_the_environment() {
    let config = BatchConfig::from_vars(vars(&[
        ("AWS_BATCH_JOB_QUEUE", "q"),
        ("AWS_BATCH_JOB_DEFINITION", "arn:jd:1"),
        ("FREDBATCH_ARRAY_JOBS", "false"),
        ("FREDBATCH_SUBMIT_RATE", "48"),
        ("FREDBATCH_USER", "ada"),
    ]))
    .unwrap();
    assert!(!config.array_jobs);
    assert_eq!(config.submit_rate, 48);
    assert!(
        config.submit_rate + config.submit_burst <= 50,
        "rate plus burst stays within Batch's limit"
    );
    assert_eq!(config.user.as_deref(), Some("ada"));
    let bad = BatchConfig::from_vars(vars(&[
        ("AWS_BATCH_JOB_QUEUE", "q"),
        ("AWS_BATCH_JOB_DEFINITION", "d"),
        ("FREDBATCH_SUBMIT_RATE", "500"),
    ]));
    assert!(matches!(bad, Err(ConfigError::Invalid { .. })));
}

#[test]
fn a_recorded_target_leads_back_to_the_same_queue_and_logs() {
    let mut config = BatchConfig::from_vars(vars(&[
        ("AWS_BATCH_JOB_QUEUE", "fred-q"),
        ("AWS_BATCH_JOB_DEFINITION", "fred-def:3"),
        ("FREDBATCH_LOG_GROUP", "/aws/batch/fred-simulations-dev"),
    ]))
    .unwrap();
    config.environment = vec![("FREDBATCH_RESULTS".into(), "s3://fred-results".into())];
    let recorded = serde_json::to_string(&config.target()).unwrap();
    // Later, in another environment: the target wins, tuning comes from there.
    let later = BatchConfig::for_target(
        serde_json::from_str(&recorded).unwrap(),
        vars(&[
            ("AWS_BATCH_JOB_QUEUE", "other-q"),
            ("FREDBATCH_ARRAY_JOBS", "no"),
        ]),
    )
    .unwrap();
    assert_eq!(later.target(), config.target());
    assert!(!later.array_jobs);
    config.array_jobs = false;
    config.user = later.user.clone();
    assert_eq!(later, config);
}

#[test]
fn stack_outputs_name_queue_definition_and_log_group() {
    let outputs: HashMap<String, String> = [
        (stack_output::JOB_QUEUE_NAME, "fred-q"),
        (
            stack_output::JOB_DEFINITION_ARN,
            "arn:aws:batch:r:1:job-definition/fred:3",
        ),
        (
            stack_output::LOG_GROUP_NAME,
            "/aws/batch/fred-simulations-dev",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = BatchConfig::from_stack_outputs("s", &outputs, vars(&[])).unwrap();
    assert_eq!(config.job_queue, "fred-q");
    assert_eq!(
        config.log_group.as_deref(),
        Some("/aws/batch/fred-simulations-dev")
    );
    let mut partial = outputs.clone();
    partial.remove(stack_output::JOB_QUEUE_NAME);
    assert!(matches!(
        BatchConfig::from_stack_outputs("s", &partial, vars(&[])),
        Err(ConfigError::MissingOutput {
            output: stack_output::JOB_QUEUE_NAME,
            ..
        })
    ));
}

#[test]
fn the_fallback_queue_comes_from_its_variable_or_the_stacks_output_and_is_recorded() {
    let from_env = BatchConfig::from_vars(vars(&[
        ("AWS_BATCH_JOB_QUEUE", "spot-q"),
        ("AWS_BATCH_JOB_DEFINITION", "d:1"),
        (FALLBACK_QUEUE_VAR, "on-demand-q"),
    ]))
    .unwrap();
    assert_eq!(from_env.fallback_queue.as_deref(), Some("on-demand-q"));
    let none = BatchConfig::from_vars(vars(&[
        ("AWS_BATCH_JOB_QUEUE", "spot-q"),
        ("AWS_BATCH_JOB_DEFINITION", "d:1"),
    ]))
    .unwrap();
    assert_eq!(none.fallback_queue, None, "no fallback unless one is named");

    let mut outputs: HashMap<String, String> = [
        (stack_output::JOB_QUEUE_NAME, "spot-q"),
        (stack_output::JOB_DEFINITION_ARN, "d:1"),
        (stack_output::FALLBACK_JOB_QUEUE_NAME, "stack-on-demand-q"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let from_stack = BatchConfig::from_stack_outputs("s", &outputs, vars(&[])).unwrap();
    assert_eq!(
        from_stack.fallback_queue.as_deref(),
        Some("stack-on-demand-q")
    );
    let overridden =
        BatchConfig::from_stack_outputs("s", &outputs, vars(&[(FALLBACK_QUEUE_VAR, "mine")]))
            .unwrap();
    assert_eq!(overridden.fallback_queue.as_deref(), Some("mine"));
    outputs.remove(stack_output::FALLBACK_JOB_QUEUE_NAME);
    let without = BatchConfig::from_stack_outputs("s", &outputs, vars(&[])).unwrap();
    assert_eq!(
        without.fallback_queue, None,
        "a stack deployed with FallbackMaxvCpus 0 has no fallback output"
    );

    // A job records it, and later commands reach it whatever their environment says.
    let later =
        BatchConfig::for_target(from_stack.target(), vars(&[(FALLBACK_QUEUE_VAR, "other")]))
            .unwrap();
    assert_eq!(later.fallback_queue.as_deref(), Some("stack-on-demand-q"));
}
