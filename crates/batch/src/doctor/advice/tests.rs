use super::*;

#[test]
fn batchs_blocked_reasons_get_their_own_advice() {
    let (severity, advice) = runnable_advice(Some(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue.",
    ));
    assert_eq!(severity, Severity::Error);
    assert!(advice.contains("--vcpus/--memory"));
    let (severity, advice) = runnable_advice(None);
    assert_eq!(severity, Severity::Warning);
    for cause in ["capacity", "instance role", "NAT gateway"] {
        assert!(
            advice.contains(cause),
            "the design's troubleshooting cause `{cause}` is named"
        );
    }
    assert_eq!(
        runnable_advice(Some("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY")).0,
        Severity::Warning
    );
}

#[test]
fn spot_interruptions_and_timeouts_are_explained() {
    let spot = failure_advice("Host EC2 (instance i-0abc12345678) terminated.", "/g").unwrap();
    assert!(spot.contains("Spot"));
    let timeout = failure_advice(TIMEOUT_REASON, "/g").unwrap();
    assert!(timeout.contains("--timeout"));
    assert!(failure_advice(CANCELLED_REASON, "/g").is_none());
    let other = failure_advice("Essential container in task exited", "/aws/batch/x").unwrap();
    assert!(other.contains("fredbatch logs") && other.contains("/aws/batch/x"));
}

#[test]
fn reasons_differing_only_in_ids_are_grouped() {
    assert_eq!(
        normalize_reason("Host EC2 (instance i-0abc12345678def0) terminated."),
        normalize_reason("Host EC2 (instance i-0fff98765432abc1) terminated.")
    );
    assert_eq!(
        normalize_reason("Host EC2 (instance i-0abc12345678def0) terminated."),
        "Host EC2 (instance i-…) terminated."
    );
    assert_eq!(
        normalize_reason("Essential container in task exited"),
        "Essential container in task exited"
    );
}
