//! The deployment's parts: the job queue (ENABLED and VALID), its compute environments
//! (ENABLED and VALID, with AWS's reason when INVALID), the job definition (ACTIVE), and the log
//! group the runs write to.

use aws_sdk_batch::types::{CeState, CeStatus, JqState, JqStatus};
use fredbatch_infra::contract::output as stack_output;

use super::{Finding, Severity};
use crate::calls::retrying;
use crate::definition::{self, MAX_TAGS};
use crate::runner::Ready;

const QUEUE: &str = "job queue";
const COMPUTE: &str = "compute environment";
const DEFINITION: &str = "job definition";
const LOGS: &str = "log group";

/// Checks the queue; returns its compute environments' ARNs.
pub async fn check_queue(ready: &Ready, findings: &mut Vec<Finding>) -> Vec<String> {
    let name = &ready.config.job_queue;
    let request = ready.clients.batch.describe_job_queues().job_queues(name);
    let queues = match retrying("DescribeJobQueues", || request.clone().send()).await {
        Ok(output) => output.job_queues().to_vec(),
        Err(error) => {
            findings.push(Finding::unchecked(QUEUE, name, &error));
            return Vec::new();
        }
    };
    let Some(queue) = queues.first() else {
        findings.push(Finding::problem(
            QUEUE,
            Severity::Error,
            name,
            "does not exist in this account and region",
            format!(
                "Deploy the stack (`fredbatch infra deploy`), or set AWS_BATCH_JOB_QUEUE to its \
                 {} output (and AWS_REGION to its region)",
                stack_output::JOB_QUEUE_NAME
            ),
        ));
        return Vec::new();
    };
    let state = queue.state();
    let status = queue.status();
    let finding =
        if state != Some(&JqState::Enabled) {
            Finding::problem(
                QUEUE,
                Severity::Error,
                name,
                "is DISABLED: it accepts no new runs and starts none",
                format!(
                    "Enable it: `aws batch update-job-queue --job-queue {name} --state ENABLED`"
                ),
            )
        } else if status != Some(&JqStatus::Valid) {
            let status = status.map_or("unknown", |s| s.as_str());
            Finding::problem(
            QUEUE,
            if status == "INVALID" { Severity::Error } else { Severity::Warning },
            name,
            format!("is {status}"),
            "Fix what AWS's reason names (usually a compute environment), or redeploy the stack",
        )
        .with_reason(queue.status_reason())
        } else if queue.compute_environment_order().is_empty() {
            Finding::problem(
                QUEUE,
                Severity::Error,
                name,
                "has no compute environment, so nothing can run",
                "Redeploy the stack, which attaches its compute environment to the queue",
            )
        } else {
            Finding::ok(QUEUE, name, "ENABLED and VALID")
        };
    findings.push(finding);
    queue
        .compute_environment_order()
        .iter()
        .filter_map(|order| order.compute_environment().map(str::to_owned))
        .collect()
}

pub async fn check_compute_environments(
    ready: &Ready,
    arns: &[String],
    findings: &mut Vec<Finding>,
) {
    if arns.is_empty() {
        return;
    }
    let request = ready
        .clients
        .batch
        .describe_compute_environments()
        .set_compute_environments(Some(arns.to_vec()));
    let environments =
        match retrying("DescribeComputeEnvironments", || request.clone().send()).await {
            Ok(output) => output.compute_environments().to_vec(),
            Err(error) => {
                findings.push(Finding::unchecked(COMPUTE, arns.join(", "), &error));
                return;
            }
        };
    for environment in &environments {
        let name = environment.compute_environment_name().unwrap_or("?");
        let max_vcpus = environment.compute_resources().and_then(|r| r.maxv_cpus());
        let finding = match (environment.state(), environment.status()) {
            (_, Some(CeStatus::Invalid)) => Finding::problem(
                COMPUTE,
                Severity::Error,
                name,
                "is INVALID: Batch cannot launch instances for it",
                "Fix what AWS's reason names, then redeploy the stack. Common causes: the \
                 service role or instance profile is missing or lacks permissions, a subnet or \
                 security group was deleted, or the instance types are not offered in the region",
            )
            .with_reason(environment.status_reason()),
            (Some(CeState::Disabled), _) => Finding::problem(
                COMPUTE,
                Severity::Error,
                name,
                "is DISABLED: no new instances start for the queue",
                format!(
                    "Enable it: `aws batch update-compute-environment --compute-environment \
                     {name} --state ENABLED`"
                ),
            ),
            (_, Some(CeStatus::Valid)) if max_vcpus == Some(0) => Finding::problem(
                COMPUTE,
                Severity::Error,
                name,
                "has maxvCpus 0, so no run can ever start",
                "Raise the stack's MaxvCpus parameter and redeploy",
            ),
            (_, Some(CeStatus::Valid)) => Finding::ok(
                COMPUTE,
                name,
                match max_vcpus {
                    Some(max) => format!("ENABLED and VALID, up to {max} vCPUs"),
                    None => "ENABLED and VALID".to_owned(),
                },
            ),
            (_, status) => Finding::problem(
                COMPUTE,
                Severity::Warning,
                name,
                format!(
                    "is {}",
                    status.map_or("in an unknown state", |s| s.as_str())
                ),
                "Wait for AWS to finish the change, then check again",
            )
            .with_reason(environment.status_reason()),
        };
        findings.push(finding);
    }
    for arn in arns {
        let known = environments
            .iter()
            .any(|e| e.compute_environment_arn() == Some(arn.as_str()));
        if !known {
            findings.push(Finding::problem(
                COMPUTE,
                Severity::Error,
                arn,
                "is attached to the queue but does not exist",
                "Redeploy the stack so the queue points at its compute environment",
            ));
        }
    }
}

pub async fn check_definition(ready: &Ready, findings: &mut Vec<Finding>) {
    let name = &ready.config.job_definition;
    let finding = match definition::lookup(&ready.clients.batch, name).await {
        Err(error) => Finding::unchecked(DEFINITION, name, &error),
        Ok(None) => Finding::problem(
            DEFINITION,
            Severity::Error,
            name,
            "does not exist in this account and region",
            format!(
                "Deploy the stack, or set AWS_BATCH_JOB_DEFINITION to its {} output",
                stack_output::JOB_DEFINITION_ARN
            ),
        ),
        Ok(Some(info)) if info.status != "ACTIVE" => Finding::problem(
            DEFINITION,
            Severity::Error,
            name,
            format!("is {} (deregistered): new runs cannot use it", info.status),
            format!(
                "Set AWS_BATCH_JOB_DEFINITION to an ACTIVE revision (the stack's {} output), \
                 or redeploy the stack",
                stack_output::JOB_DEFINITION_ARN
            ),
        ),
        Ok(Some(info)) if info.tag_budget() < 3 => Finding::problem(
            DEFINITION,
            Severity::Warning,
            name,
            format!(
                "has {} tags; with fredbatch's job, run and user tags a job would pass Batch's \
                 limit of {MAX_TAGS}, so some of fredbatch's tags are left off",
                info.tag_count
            ),
            "Remove a few tags from the job definition if costs must be attributed per run",
        ),
        Ok(Some(_)) => Finding::ok(DEFINITION, name, "ACTIVE"),
    };
    findings.push(finding);
}

pub async fn check_log_group(ready: &Ready, group: &str, findings: &mut Vec<Finding>) {
    let request = ready
        .clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(group);
    let finding = match retrying("DescribeLogGroups", || request.clone().send()).await {
        Err(error) => Finding::unchecked(LOGS, group, &error),
        Ok(output)
            if output
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(group)) =>
        {
            Finding::ok(LOGS, group, "present")
        }
        Ok(_) => Finding::problem(
            LOGS,
            Severity::Error,
            group,
            "does not exist: containers cannot send their logs, and `fredbatch logs` has \
             nothing to read",
            "Redeploy the stack (it creates /aws/batch/fred-simulations-<env>), or set \
             FREDBATCH_LOG_GROUP to the group the job definition writes to",
        ),
    };
    findings.push(finding);
}
