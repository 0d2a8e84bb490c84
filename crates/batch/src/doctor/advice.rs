//! What a stuck run's or a failed run's reason means, and what to do about it: Batch's own
//! blocked-job reasons, the troubleshooting causes of the AWS Batch design this project
//! implements (`docs/design.md`), and the failure reasons AWS gives most often.

use fredbatch_core::sync::{CANCELLED_REASON, TIMEOUT_REASON};

use super::Severity;

/// Advice for runs stuck RUNNABLE with Batch's `reason` (None when Batch gave none).
pub fn runnable_advice(reason: Option<&str>) -> (Severity, &'static str) {
    match reason.unwrap_or("") {
        r if r.starts_with("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT") => (
            Severity::Error,
            "The runs ask for more vCPUs or memory than any instance type of the compute \
             environment offers, so they can never start: cancel them and run again with a \
             smaller --vcpus/--memory, or add a larger instance type to the compute environment",
        ),
        r if r.starts_with("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE") => (
            Severity::Error,
            "The runs ask for more vCPUs than the compute environment's maxvCpus allows: raise \
             the stack's MaxvCpus parameter, or run with a smaller --vcpus",
        ),
        r if r.starts_with("MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS") => (
            Severity::Error,
            "AWS Batch's service role lacks permissions to launch instances: redeploy the stack \
             (`fredbatch infra deploy`) so BatchServiceRole has its managed policy",
        ),
        r if r.starts_with("CAPACITY:") => (
            Severity::Warning,
            "AWS has no Spot capacity for the compute environment's instance types right now: \
             wait, allow more instance types, or add an On-Demand compute environment to the \
             queue as a fallback",
        ),
        _ => (
            Severity::Warning,
            "Batch found no place to run them. The usual causes: (1) capacity: the compute \
             environment is at its maxvCpus or Spot capacity is short (see the compute \
             environment above); (2) the instance role lacks ECS permissions, so instances \
             never join the cluster (check BatchInstanceRole has \
             AmazonEC2ContainerServiceforEC2Role); (3) the subnets have no NAT gateway, so \
             instances cannot reach ECS and ECR (check the route tables of SubnetIds)",
        ),
    }
}

/// Advice for runs that failed with `reason`; `None` for reasons that are not a problem (a
/// user's cancellation).
pub fn failure_advice(reason: &str, log_group: &str) -> Option<String> {
    let advice = if reason.starts_with(CANCELLED_REASON) {
        return None;
    } else if reason.starts_with("Host EC2") {
        "AWS reclaimed Spot instances under these runs; fredbatch retries interruptions \
         automatically (see --attempts). If it happens often, add an On-Demand compute \
         environment to the queue as a fallback"
            .to_owned()
    } else if reason.starts_with(TIMEOUT_REASON) {
        "An attempt ran longer than its limit: run again with a longer --timeout, or check the \
         model is the size you meant"
            .to_owned()
    } else if reason.contains("CannotPullContainer") {
        "The container image could not be pulled: check the image exists in ECR with the tag \
         the job definition names, that the execution role may pull it, and that the subnets \
         reach ECR (NAT gateway)"
            .to_owned()
    } else if reason.contains("ResourceInitializationError")
        || reason.contains("CannotStartContainer")
    {
        "The container could not start: check the execution role may read the database secret \
         and write to the log group, and that the subnets reach AWS APIs (NAT gateway)"
            .to_owned()
    } else if reason.contains("OutOfMemory") {
        "The container ran out of memory: run again with a larger --memory".to_owned()
    } else {
        format!(
            "The worker ended with an error: `fredbatch status JOB_ID` shows each run's reason \
             and `fredbatch logs RUN_ID` its log (CloudWatch group {log_group})"
        )
    };
    Some(advice)
}

/// A reason with the parts that differ between jobs (instance and task ids) blanked, so runs
/// that failed the same way are counted together.
pub fn normalize_reason(reason: &str) -> String {
    reason
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
            let is_instance = bare
                .strip_prefix("i-")
                .is_some_and(|id| id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit()));
            let is_task = bare.len() == 32 && bare.chars().all(|c| c.is_ascii_hexdigit());
            if is_instance {
                word.replace(bare, "i-…")
            } else if is_task {
                word.replace(bare, "…")
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
