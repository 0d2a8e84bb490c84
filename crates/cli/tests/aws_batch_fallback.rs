//! The batch stack's On-Demand fallback as deployed (moto, from `scripts/test`): its queue and
//! compute environment exist, and are exported, only when `FallbackMaxvCpus` is above 0; and
//! `fredbatch run` refuses, before storing anything, a run larger than any instance type the
//! stack's compute environments allow; and `doctor --stack` finds the fallback On-Demand, or
//! says what its absence means. (Runs moving to the fallback queue are the batch crate's tests,
//! `crates/batch/tests/fallback.rs`, as are doctor's findings of fallbacks gone wrong,
//! `crates/batch/tests/doctor.rs`.)
//!
//! moto keeps no `jobStateTimeLimitActions` (it neither refuses nor describes them), so the
//! queues' cancelling of runs stuck RUNNABLE is checked in the template
//! (`crates/infra/tests/templates.rs`), by cfn-lint against AWS's schema, and by the guard rules.

mod common;

use std::path::Path;

use common::batch_stack::{batch, deploy_batch_stack, stack_outputs};
use common::services::{database, forget_batch_log_group};
use common::{Sandbox, text};
use fredbatch_infra::contract::{output, parameter};
use fredbatch_testkit::{aws_env, create_bucket as bucket};
use serde_json::json;

/// The stacks here are deployed one after the other in this environment, which no other test
/// deploys the batch stack in (its log group is named after the environment).
const ENVIRONMENT: &str = "production";

fn queue_exists(name: &str) -> bool {
    let described = batch("describejobqueues", json!({ "jobQueues": [name] }));
    !described["jobQueues"].as_array().unwrap().is_empty()
}

#[test]
fn the_fallback_exists_only_with_vcpus_and_oversized_runs_are_refused_up_front() {
    let (uploads, results) = (bucket("fred-uploads"), bucket("fred-results"));
    let stack = deploy_batch_stack(ENVIRONMENT, &uploads, &results, &[]);
    let outputs = stack_outputs(&stack);
    let fallback = &outputs[output::FALLBACK_JOB_QUEUE_NAME];
    assert_eq!(fallback, &format!("{stack}-fallback-queue"));
    assert!(outputs.contains_key(output::FALLBACK_JOB_QUEUE_ARN));
    let described = batch("describejobqueues", json!({ "jobQueues": [fallback] }));
    let environment = described["jobQueues"][0]["computeEnvironmentOrder"][0]["computeEnvironment"]
        .as_str()
        .unwrap()
        .to_owned();
    let environments = batch(
        "describecomputeenvironments",
        json!({ "computeEnvironments": [environment] }),
    );
    let compute = &environments["computeEnvironments"][0]["computeResources"];
    assert_eq!(compute["type"], "EC2", "On-Demand: {environments}");
    assert_eq!(compute["minvCpus"], 0);
    assert_eq!(compute["maxvCpus"], 64, "the template's default");

    // Too large for every instance type: refused before the job is registered.
    let sandbox = Sandbox::new();
    let database = database();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/influenza");
    let fredbatch = |args: &[&str]| {
        sandbox
            .command()
            .envs(aws_env())
            .env("DATABASE_URL", &database)
            .env("FRED_HOME", sandbox.demo_fred_home())
            .args(args)
            .output()
            .unwrap()
    };
    let refused = fredbatch(&[
        "run",
        example.to_str().unwrap(),
        "--stack",
        &stack,
        "--memory",
        "65536",
        "--detach",
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    let error = text(&refused.stderr);
    assert!(
        error.contains("--vcpus/--memory") && error.contains("c5.2xlarge"),
        "names the flag and the largest instance type: {error}"
    );
    let listed = fredbatch(&["--output", "json", "jobs"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["jobs"], json!([]), "nothing was registered");

    // doctor checks the fallback queue the stack exports, and finds it On-Demand.
    let doctor = text(&fredbatch(&["doctor", "--stack", &stack]).stdout);
    assert!(
        doctor.contains(&format!("Fallback queue: {fallback}")),
        "{doctor}"
    );
    assert!(
        doctor.contains(&format!(
            "ok      fallback queue {fallback}: ENABLED and VALID"
        )),
        "{doctor}"
    );
    assert!(
        doctor.contains("ok      fallback compute environment")
            && doctor.contains("On-Demand (EC2)"),
        "{doctor}"
    );

    // FallbackMaxvCpus 0: no fallback queue, compute environment or output.
    forget_batch_log_group(ENVIRONMENT);
    let without = deploy_batch_stack(
        ENVIRONMENT,
        &uploads,
        &results,
        &[(parameter::FALLBACK_MAX_VCPUS, "0")],
    );
    let outputs = stack_outputs(&without);
    assert!(
        !outputs.keys().any(|k| k.contains("Fallback")),
        "{outputs:?}"
    );
    assert!(outputs.contains_key(output::JOB_QUEUE_NAME));
    assert!(!queue_exists(&format!("{without}-fallback-queue")));
    assert!(queue_exists(&outputs[output::JOB_QUEUE_NAME]));

    // Without one, doctor says runs Spot keeps interrupting stay on Spot, and how to add one.
    let doctor = text(&fredbatch(&["doctor", "--stack", &without]).stdout);
    assert!(
        doctor.contains("WARNING fallback queue none: none configured")
            && doctor.contains("stays on Spot"),
        "{doctor}"
    );
    assert!(doctor.contains("--param FallbackMaxvCpus=64"), "{doctor}");
}
