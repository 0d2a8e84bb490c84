//! The deployment's parts: the job queue (ENABLED and VALID), its compute environments
//! (ENABLED and VALID, with AWS's reason when INVALID), the On-Demand fallback queue when one is
//! configured (the same, and its compute environments On-Demand: a fallback on Spot defeats its
//! purpose) or, when none is, what runs Spot keeps interrupting then do, the job definition
//! (ACTIVE), and the log group the runs write to.

use aws_sdk_batch::types::{
    CeState, CeStatus, ComputeEnvironmentDetail, CrType, JqState, JqStatus,
};
use fredbatch_core::RetryPolicy;
use fredbatch_infra::contract::{output as stack_output, parameter};

use super::{Finding, Severity};
use crate::calls::retrying;
use crate::definition::{self, MAX_TAGS};
use crate::runner::Ready;

const QUEUE: &str = "job queue";
const COMPUTE: &str = "compute environment";
const FALLBACK_QUEUE: &str = "fallback queue";
const FALLBACK_COMPUTE: &str = "fallback compute environment";
const DEFINITION: &str = "job definition";
const LOGS: &str = "log group";

/// Which of the job's queues a check is about: the one runs are submitted to, or the On-Demand
/// queue runs Spot gave up on go on in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Main,
    Fallback,
}

impl Role {
    fn queue_check(self) -> &'static str {
        match self {
            Role::Main => QUEUE,
            Role::Fallback => FALLBACK_QUEUE,
        }
    }

    fn compute_check(self) -> &'static str {
        match self {
            Role::Main => COMPUTE,
            Role::Fallback => FALLBACK_COMPUTE,
        }
    }

    /// The stack parameter that sizes the queue's compute environment.
    fn max_vcpus_parameter(self) -> &'static str {
        match self {
            Role::Main => parameter::MAX_VCPUS,
            Role::Fallback => parameter::FALLBACK_MAX_VCPUS,
        }
    }

    /// What a queue that cannot take runs means, said after its state.
    fn stopped(self) -> &'static str {
        match self {
            Role::Main => "it accepts no new runs and starts none",
            Role::Fallback => "runs Spot gave up on cannot go on in it",
        }
    }

    /// How to point fredbatch at the right queue.
    fn missing_action(self) -> String {
        match self {
            Role::Main => format!(
                "Deploy the stack (`fredbatch infra deploy`), or set AWS_BATCH_JOB_QUEUE to its \
                 {} output (and AWS_REGION to its region)",
                stack_output::JOB_QUEUE_NAME
            ),
            Role::Fallback => format!(
                "Deploy the stack with its {} parameter above 0 (it creates the On-Demand queue \
                 and its {} output, used with --stack), or set {} to an On-Demand job queue of \
                 this account and region; unset, runs stay on Spot",
                parameter::FALLBACK_MAX_VCPUS,
                stack_output::FALLBACK_JOB_QUEUE_NAME,
                crate::config::FALLBACK_QUEUE_VAR
            ),
        }
    }
}

/// What the queue check saw of a queue that exists.
#[derive(Clone, Debug, Default)]
pub struct QueueSeen {
    pub arn: Option<String>,
    /// Its compute environments' ARNs, in order.
    pub environments: Vec<String>,
}

/// Whether an environment's instances are On-Demand: `Some(false)` on Spot, `None` when it
/// cannot be told (an unmanaged environment has no compute resources to say).
fn on_demand(environment: &ComputeEnvironmentDetail) -> Option<bool> {
    let kind = environment.compute_resources()?.r#type()?;
    Some(!matches!(kind, CrType::Spot | CrType::FargateSpot))
}

/// Checks the job queue; returns what it saw of it.
pub async fn check_queue(ready: &Ready, findings: &mut Vec<Finding>) -> Option<QueueSeen> {
    check_queue_as(ready, Role::Main, &ready.config.job_queue, findings).await
}

/// Checks the queue `name` in `role`; returns what it saw of it, `None` when it could not be
/// described or does not exist.
async fn check_queue_as(
    ready: &Ready,
    role: Role,
    name: &str,
    findings: &mut Vec<Finding>,
) -> Option<QueueSeen> {
    let check = role.queue_check();
    let request = ready.clients.batch.describe_job_queues().job_queues(name);
    let queues = match retrying("DescribeJobQueues", || request.clone().send()).await {
        Ok(output) => output.job_queues().to_vec(),
        Err(error) => {
            findings.push(Finding::unchecked(check, name, &error));
            return None;
        }
    };
    let Some(queue) = queues.first() else {
        findings.push(Finding::problem(
            check,
            Severity::Error,
            name,
            "does not exist in this account and region",
            role.missing_action(),
        ));
        return None;
    };
    let state = queue.state();
    let status = queue.status();
    let finding = if state != Some(&JqState::Enabled) {
        Finding::problem(
            check,
            Severity::Error,
            name,
            format!("is DISABLED: {}", role.stopped()),
            format!("Enable it: `aws batch update-job-queue --job-queue {name} --state ENABLED`"),
        )
    } else if status != Some(&JqStatus::Valid) {
        let status = status.map_or("unknown", |s| s.as_str());
        Finding::problem(
            check,
            if status == "INVALID" {
                Severity::Error
            } else {
                Severity::Warning
            },
            name,
            format!("is {status}"),
            "Fix what AWS's reason names (usually a compute environment), or redeploy the stack",
        )
        .with_reason(queue.status_reason())
    } else if queue.compute_environment_order().is_empty() {
        Finding::problem(
            check,
            Severity::Error,
            name,
            "has no compute environment, so nothing can run",
            "Redeploy the stack, which attaches its compute environment to the queue",
        )
    } else {
        Finding::ok(check, name, "ENABLED and VALID")
    };
    findings.push(finding);
    Some(QueueSeen {
        arn: queue.job_queue_arn().map(str::to_owned),
        environments: queue
            .compute_environment_order()
            .iter()
            .filter_map(|order| order.compute_environment().map(str::to_owned))
            .collect(),
    })
}

/// Checks the On-Demand fallback queue and its compute environments when one is configured
/// (`main` is what the job queue check saw, `main_environments` its environments); when none
/// is, says what runs Spot keeps interrupting then do.
pub async fn check_fallback(
    ready: &Ready,
    main: Option<&QueueSeen>,
    main_environments: &[ComputeEnvironmentDetail],
    findings: &mut Vec<Finding>,
) {
    let Some(name) = ready.config.fallback_queue.as_deref() else {
        findings.push(no_fallback(main_environments));
        return;
    };
    let at = findings.len();
    let Some(seen) = check_queue_as(ready, Role::Fallback, name, findings).await else {
        return;
    };
    let same = match (main.and_then(|m| m.arn.as_deref()), seen.arn.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => name == ready.config.job_queue,
    };
    if same {
        findings[at] = Finding::problem(
            FALLBACK_QUEUE,
            Severity::Error,
            name,
            "is the job queue itself: runs Spot gave up on would go back to Spot",
            format!(
                "Set {} to the On-Demand queue (the stack's {} output), or unset it",
                crate::config::FALLBACK_QUEUE_VAR,
                stack_output::FALLBACK_JOB_QUEUE_NAME
            ),
        );
        return;
    }
    check_environments_as(ready, Role::Fallback, &seen.environments, findings).await;
}

/// The finding when no fallback queue is configured: nothing to fix when the job queue's
/// environments are all On-Demand; otherwise runs interrupted too often stay on Spot.
fn no_fallback(main_environments: &[ComputeEnvironmentDetail]) -> Finding {
    let all_on_demand = !main_environments.is_empty()
        && main_environments.iter().all(|e| on_demand(e) == Some(true));
    if all_on_demand {
        return Finding::ok(
            FALLBACK_QUEUE,
            "none",
            "none configured, and none needed: the job queue's compute environments are On-Demand",
        );
    }
    Finding::problem(
        FALLBACK_QUEUE,
        Severity::Warning,
        "none",
        format!(
            "none configured: a run Spot interrupts more often than its --interruptions allow \
             ({}) stays on Spot and ends ERROR (interrupted), instead of going on in an \
             On-Demand queue",
            RetryPolicy::DEFAULT_INTERRUPTIONS
        ),
        format!(
            "Deploy the stack with its {} parameter above 0 (`fredbatch infra deploy --env ENV \
             --param {}=64`; 64 is the template's default): it creates an On-Demand compute \
             environment and queue, and --stack uses its {} output. Or set {} to an On-Demand \
             job queue",
            parameter::FALLBACK_MAX_VCPUS,
            parameter::FALLBACK_MAX_VCPUS,
            stack_output::FALLBACK_JOB_QUEUE_NAME,
            crate::config::FALLBACK_QUEUE_VAR
        ),
    )
}

/// Checks the job queue's compute environments; returns those described.
pub async fn check_compute_environments(
    ready: &Ready,
    arns: &[String],
    findings: &mut Vec<Finding>,
) -> Vec<ComputeEnvironmentDetail> {
    check_environments_as(ready, Role::Main, arns, findings).await
}

/// Checks the compute environments of a queue in `role` (the fallback's must be On-Demand);
/// returns those described.
async fn check_environments_as(
    ready: &Ready,
    role: Role,
    arns: &[String],
    findings: &mut Vec<Finding>,
) -> Vec<ComputeEnvironmentDetail> {
    let check = role.compute_check();
    if arns.is_empty() {
        return Vec::new();
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
                findings.push(Finding::unchecked(check, arns.join(", "), &error));
                return Vec::new();
            }
        };
    for environment in &environments {
        let name = environment.compute_environment_name().unwrap_or("?");
        let max_vcpus = environment.compute_resources().and_then(|r| r.maxv_cpus());
        let finding = match (environment.state(), environment.status()) {
            (_, Some(CeStatus::Invalid)) => Finding::problem(
                check,
                Severity::Error,
                name,
                "is INVALID: Batch cannot launch instances for it",
                "Fix what AWS's reason names, then redeploy the stack. Common causes: the \
                 service role or instance profile is missing or lacks permissions, a subnet or \
                 security group was deleted, or the instance types are not offered in the region",
            )
            .with_reason(environment.status_reason()),
            (Some(CeState::Disabled), _) => Finding::problem(
                check,
                Severity::Error,
                name,
                "is DISABLED: no new instances start for the queue",
                format!(
                    "Enable it: `aws batch update-compute-environment --compute-environment \
                     {name} --state ENABLED`"
                ),
            ),
            (_, Some(CeStatus::Valid)) if max_vcpus == Some(0) => Finding::problem(
                check,
                Severity::Error,
                name,
                "has maxvCpus 0, so no run can ever start",
                format!(
                    "Raise the stack's {} parameter and redeploy",
                    role.max_vcpus_parameter()
                ),
            ),
            (_, Some(CeStatus::Valid)) if role == Role::Fallback => {
                fallback_market(name, environment, max_vcpus)
            }
            (_, Some(CeStatus::Valid)) => Finding::ok(check, name, valid(max_vcpus)),
            (_, status) => Finding::problem(
                check,
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
                check,
                Severity::Error,
                arn,
                "is attached to the queue but does not exist",
                "Redeploy the stack so the queue points at its compute environment",
            ));
        }
    }
    environments
}

/// `ENABLED and VALID, up to 64 vCPUs`.
fn valid(max_vcpus: Option<i32>) -> String {
    match max_vcpus {
        Some(max) => format!("ENABLED and VALID, up to {max} vCPUs"),
        None => "ENABLED and VALID".to_owned(),
    }
}

/// A fallback environment that is ENABLED and VALID: On-Demand as it must be, on Spot (which
/// defeats the fallback), or unmanaged (its market cannot be told).
fn fallback_market(
    name: &str,
    environment: &ComputeEnvironmentDetail,
    max_vcpus: Option<i32>,
) -> Finding {
    let kind = environment
        .compute_resources()
        .and_then(|r| r.r#type())
        .map_or("unmanaged", |kind| kind.as_str());
    match on_demand(environment) {
        Some(true) => Finding::ok(
            FALLBACK_COMPUTE,
            name,
            format!("{}, On-Demand ({kind})", valid(max_vcpus)),
        ),
        Some(false) => Finding::problem(
            FALLBACK_COMPUTE,
            Severity::Error,
            name,
            format!(
                "is on Spot ({kind}): a fallback on Spot defeats its purpose, since runs Spot \
                 gave up on would be reclaimed again there, where their one attempt ends them \
                 ERROR"
            ),
            format!(
                "Point the fallback queue at an On-Demand compute environment (computeResources \
                 type EC2): redeploy the stack, whose fallback environment is On-Demand, or set \
                 {} to a queue whose environments are",
                crate::config::FALLBACK_QUEUE_VAR
            ),
        ),
        None => Finding::problem(
            FALLBACK_COMPUTE,
            Severity::Warning,
            name,
            format!(
                "{}, but unmanaged: whether its instances are On-Demand cannot be told",
                valid(max_vcpus)
            ),
            "Make sure the instances you launch for it are On-Demand, or point the fallback \
             queue at a managed On-Demand environment (computeResources type EC2), as the \
             stack's is",
        ),
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
