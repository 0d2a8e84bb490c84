//! The On-Demand fallback: a compute environment of On-Demand instances and the job queue in
//! front of it, where fredbatch sends a run that Spot interrupted too often. Both exist only
//! when [`HAS_FALLBACK`] holds (`FallbackMaxvCpus` above 0), so a stack without a fallback
//! creates, exports and pays for nothing of it.
//!
//! Both queues cancel runs stuck RUNNABLE ([`stuck_runnable_actions`]): AWS Batch otherwise
//! keeps a run that no compute environment can ever place at the head of its queue for ever,
//! and every run behind it waits too.

use serde_json::{Value, json};

use crate::contract::parameter;
use crate::stacks::common::tag_map;
use crate::template::{Resource, Template, func};

/// The condition every fallback resource and output is created under.
pub const HAS_FALLBACK: &str = "HasFallback";
/// The On-Demand instance types when the stack's parameter is left alone: the Spot compute
/// environment's, so a run that fits Spot fits its fallback.
pub const DEFAULT_INSTANCE_TYPES: &str = "c5.xlarge,c5.2xlarge";
/// Most vCPUs the fallback runs at once by default: a few runs' worth, since it only takes
/// runs Spot gave up on.
pub const DEFAULT_MAX_VCPUS: u32 = 64;

/// RUNNABLE reasons AWS Batch can act on (its "jobStateTimeLimitActions" remediation) that mean
/// no compute environment of the queue can ever run the job: a run larger than every
/// environment's maxvCpus, or than every instance type.
pub const MISCONFIGURED_REASONS: [&str; 2] = [
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
];
/// The RUNNABLE reason for instance capacity AWS does not have at the moment.
pub const NO_CAPACITY_REASON: &str = "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY";

/// The condition that creates the fallback.
pub(super) fn condition(t: &mut Template) {
    t.conditions.add(
        HAS_FALLBACK,
        func::not(func::equals(
            func::reference(parameter::FALLBACK_MAX_VCPUS),
            // A number, not "0": CloudFormation compares both as text either way, and moto
            // (which the tests deploy on) reads a given Number parameter as a number.
            json!(0),
        )),
    );
}

/// A job queue's `JobStateTimeLimitActions`: cancel a run stuck RUNNABLE for one of the
/// misconfiguration reasons after `CancelMisconfiguredAfterSeconds`, and for want of capacity
/// after `CancelNoCapacityAfterSeconds`.
pub(super) fn stuck_runnable_actions() -> Value {
    let action = |reason: &str, after: &str| {
        json!({
            "Action": "CANCEL",
            "State": "RUNNABLE",
            "Reason": reason,
            "MaxTimeSeconds": func::reference(after),
        })
    };
    let mut actions: Vec<Value> = MISCONFIGURED_REASONS
        .iter()
        .map(|reason| action(reason, parameter::CANCEL_MISCONFIGURED_AFTER_SECONDS))
        .collect();
    actions.push(action(
        NO_CAPACITY_REASON,
        parameter::CANCEL_NO_CAPACITY_AFTER_SECONDS,
    ));
    Value::Array(actions)
}

/// The On-Demand compute environment and the fallback queue.
pub(super) fn resources(t: &mut Template) {
    let r = &mut t.resources;
    r.add(
        "BatchFallbackComputeEnvironment",
        Resource::new(
            "AWS::Batch::ComputeEnvironment",
            json!({
                "Type": "MANAGED",
                "State": "ENABLED",
                "ServiceRole": func::get_att("BatchServiceRole", "Arn"),
                "ComputeResources": {
                    "Type": "EC2",
                    // Fills the cheapest fitting type first; On-Demand needs no Spot strategy.
                    "AllocationStrategy": "BEST_FIT_PROGRESSIVE",
                    "MinvCpus": 0,
                    "DesiredvCpus": 0,
                    "MaxvCpus": func::reference(parameter::FALLBACK_MAX_VCPUS),
                    // A String split here rather than a CommaDelimitedList parameter: moto
                    // splits a list parameter only when it is given, not its default.
                    "InstanceTypes": func::split(",", func::reference(parameter::FALLBACK_INSTANCE_TYPES)),
                    "Subnets": func::reference(parameter::SUBNET_IDS),
                    "SecurityGroupIds": [func::reference("BatchSecurityGroup")],
                    "InstanceRole": func::get_att("BatchInstanceProfile", "Arn"),
                    "Tags": tag_map(),
                },
                "Tags": tag_map(),
            }),
        )
        .when(HAS_FALLBACK),
    );
    r.add(
        "BatchFallbackJobQueue",
        Resource::new(
            "AWS::Batch::JobQueue",
            json!({
                "JobQueueName": func::sub(FALLBACK_QUEUE_NAME),
                "Priority": 1,
                "State": "ENABLED",
                "ComputeEnvironmentOrder": [{
                    "Order": 1,
                    "ComputeEnvironment": func::reference("BatchFallbackComputeEnvironment"),
                }],
                "JobStateTimeLimitActions": stuck_runnable_actions(),
                "Tags": tag_map(),
            }),
        )
        .when(HAS_FALLBACK),
    );
}

/// The fallback queue's name (`Fn::Sub` text).
pub(super) const FALLBACK_QUEUE_NAME: &str = "${AWS::StackName}-fallback-queue";
