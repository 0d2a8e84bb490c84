//! The committed templates: equal to what the builders produce, shaped as the AWS Batch design
//! this project implements says (`docs/design.md`), and clean under cfn-lint, checkov and the
//! cfn-guard rules in `infrastructure/guard_rules/`. The linters come from `scripts/test` (FREDBATCH_CFN_LINT,
//! FREDBATCH_CHECKOV); a test fails, never skips, without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use fredbatch_infra::contract::{output, parameter};
use fredbatch_infra::stacks::{self, Environment, batch};
use fredbatch_testkit::required;
use serde_json::{Value, json};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn templates_dir() -> PathBuf {
    repository().join("infrastructure/templates")
}

fn committed(path: &str) -> Value {
    let text = std::fs::read_to_string(templates_dir().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid JSON: {e}"))
}

#[test]
fn committed_templates_are_what_the_builders_produce() {
    let bless = std::env::var_os("FREDBATCH_BLESS").is_some();
    for stack in stacks::all(Environment::Dev) {
        let file = templates_dir().join(stack.path);
        let built = stack.template.to_json();
        if bless {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &built).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            on_disk == built,
            "{} is not what the builders produce; regenerate the templates with \
             `FREDBATCH_BLESS=1 cargo test -p fredbatch-infra --test templates` (or \
             `fredbatch infra template NAME -o FILE`) and review the diff",
            file.display()
        );
    }
}

#[test]
fn the_batch_stack_has_every_parameter_with_its_constraints() {
    let template = committed(batch::PATH);
    let parameters = &template["Parameters"];
    for name in [
        parameter::ENVIRONMENT,
        parameter::VPC_ID,
        parameter::SUBNET_IDS,
        parameter::ECR_REPOSITORY_URI,
        parameter::DATABASE_SECRET_ARN,
        parameter::UPLOAD_BUCKET_NAME,
        parameter::RESULTS_BUCKET_NAME,
        parameter::MAX_VCPUS,
        parameter::LOG_RETENTION_DAYS,
        parameter::SPOT_BID_PERCENTAGE,
        parameter::ALLOCATION_STRATEGY,
        parameter::DATABASE_SECURITY_GROUP_ID,
        parameter::JOB_VCPUS,
        parameter::JOB_MEMORY,
        parameter::FALLBACK_INSTANCE_TYPES,
        parameter::FALLBACK_MAX_VCPUS,
        parameter::CANCEL_MISCONFIGURED_AFTER_SECONDS,
        parameter::CANCEL_NO_CAPACITY_AFTER_SECONDS,
    ] {
        assert!(parameters[name].is_object(), "parameter {name} is missing");
    }
    assert_eq!(
        parameters[parameter::FALLBACK_INSTANCE_TYPES]["Type"],
        "String",
        "a comma-separated list, split by the template"
    );
    assert_eq!(
        parameters[parameter::FALLBACK_MAX_VCPUS]["MinValue"],
        0,
        "0 turns the fallback off"
    );
    for name in [
        parameter::CANCEL_MISCONFIGURED_AFTER_SECONDS,
        parameter::CANCEL_NO_CAPACITY_AFTER_SECONDS,
    ] {
        // AWS Batch's bounds for maxTimeSeconds.
        assert_eq!(parameters[name]["MinValue"], 600, "{name}");
        assert_eq!(parameters[name]["MaxValue"], 86_400, "{name}");
    }
    assert_eq!(
        parameters[parameter::ENVIRONMENT]["AllowedValues"],
        json!(["dev", "staging", "production"])
    );
    assert_eq!(parameters[parameter::MAX_VCPUS]["Default"], 256);
    assert_eq!(parameters[parameter::LOG_RETENTION_DAYS]["Default"], 7);
    assert!(
        parameters[parameter::LOG_RETENTION_DAYS]["AllowedValues"]
            .as_array()
            .unwrap()
            .contains(&json!(14)),
        "CloudWatch's allowed retention periods"
    );
    assert!(
        !parameters[parameter::LOG_RETENTION_DAYS]["AllowedValues"]
            .as_array()
            .unwrap()
            .contains(&json!(10))
    );
    assert_eq!(parameters[parameter::SPOT_BID_PERCENTAGE]["Default"], 100);
    assert_eq!(parameters[parameter::SPOT_BID_PERCENTAGE]["MaxValue"], 100);
    assert_eq!(
        parameters[parameter::ALLOCATION_STRATEGY]["Default"],
        "SPOT_CAPACITY_OPTIMIZED"
    );
    assert!(
        parameters[parameter::ALLOCATION_STRATEGY]["Description"]
            .as_str()
            .unwrap()
            .contains("SPOT_PRICE_CAPACITY_OPTIMIZED"),
        "AWS's current recommendation is documented beside the default"
    );
    assert_eq!(parameters[parameter::VPC_ID]["Type"], "AWS::EC2::VPC::Id");
    assert_eq!(
        parameters[parameter::SUBNET_IDS]["Type"],
        "List<AWS::EC2::Subnet::Id>"
    );
    assert_eq!(parameters[parameter::JOB_VCPUS]["Default"], 4);
    assert_eq!(parameters[parameter::JOB_MEMORY]["Default"], 8192);
    // Constraints reject bad values at deploy time.
    for (name, bad) in [
        (parameter::ECR_REPOSITORY_URI, "docker.io/fred"),
        (parameter::DATABASE_SECRET_ARN, "fred-db"),
        (parameter::UPLOAD_BUCKET_NAME, "Uploads_Bucket"),
        (parameter::DATABASE_SECURITY_GROUP_ID, "0.0.0.0/0"),
    ] {
        assert!(
            parameters[name]["AllowedPattern"].is_string(),
            "{name} has a pattern"
        );
        assert!(
            !matches_pattern(parameters[name]["AllowedPattern"].as_str().unwrap(), bad),
            "{name} accepts {bad}"
        );
    }
}

/// The few pattern shapes the template uses, checked without a regex engine: prefix checks that
/// suffice to show the patterns are anchored and reject the obvious mistakes.
fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern {
        p if p.starts_with("^[0-9]{12}") => value.chars().take(12).all(|c| c.is_ascii_digit()),
        p if p.starts_with("^arn:") => value.starts_with("arn:"),
        p if p.starts_with("^[a-z0-9]") => value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'),
        p if p.starts_with("^(sg-") => value.is_empty() || value.starts_with("sg-"),
        other => panic!("unexpected pattern {other}"),
    }
}

#[test]
fn iam_roles_are_trusted_by_the_right_services() {
    let template = committed(batch::PATH);
    let resources = &template["Resources"];
    for (role, service) in [
        ("BatchServiceRole", "batch.amazonaws.com"),
        ("BatchInstanceRole", "ec2.amazonaws.com"),
        ("BatchExecutionRole", "ecs-tasks.amazonaws.com"),
        ("BatchJobRole", "ecs-tasks.amazonaws.com"),
    ] {
        let statement = &resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], service, "{role}");
        assert_eq!(statement["Action"], "sts:AssumeRole", "{role}");
    }
    assert_eq!(
        resources["BatchInstanceProfile"]["Properties"]["Roles"],
        json!([{ "Ref": "BatchInstanceRole" }])
    );
}

fn statements(resources: &Value, role: &str) -> Vec<Value> {
    resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_job_role_reads_inputs_writes_results_and_reads_the_one_secret() {
    let template = committed(batch::PATH);
    let job = statements(&template["Resources"], "BatchJobRole");
    let granted: Vec<(String, String)> = job
        .iter()
        .flat_map(|s| {
            let resource = s["Resource"].to_string();
            let actions = match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                list => list
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect(),
            };
            actions.into_iter().map(move |a| (a, resource.clone()))
        })
        .collect();
    let on = |action: &str| -> Vec<&String> {
        granted
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, r)| r)
            .collect()
    };
    assert!(
        on("s3:GetObject")
            .iter()
            .all(|r| r.contains("${UploadBucketName}/*"))
    );
    assert!(
        on("s3:PutObject")
            .iter()
            .all(|r| r.contains("${ResultsBucketName}/*"))
    );
    assert_eq!(
        on("secretsmanager:GetSecretValue"),
        [&json!({"Ref": "DatabaseSecretArn"}).to_string()]
    );
    assert!(
        on("s3:DeleteObject").is_empty() && on("s3:GetObject").len() == 1,
        "{granted:?}"
    );
    let execution = statements(&template["Resources"], "BatchExecutionRole");
    let logs = execution
        .iter()
        .find(|s| s["Sid"] == "WriteThisStacksLogs")
        .unwrap();
    assert_eq!(
        logs["Resource"],
        json!({ "Fn::GetAtt": ["BatchLogGroup", "Arn"] })
    );
    let wildcard: Vec<&Value> = execution.iter().filter(|s| s["Resource"] == "*").collect();
    assert_eq!(wildcard.len(), 1);
    assert_eq!(wildcard[0]["Action"], "ecr:GetAuthorizationToken");
    assert!(template["Metadata"]["fredbatch"]["WildcardResources"][0]["Reason"].is_string());
}

#[test]
fn the_compute_environment_uses_spot_from_zero() {
    let template = committed(batch::PATH);
    let ce = &template["Resources"]["BatchComputeEnvironment"]["Properties"];
    assert_eq!(ce["Type"], "MANAGED");
    let compute = &ce["ComputeResources"];
    assert_eq!(compute["Type"], "SPOT");
    assert_eq!(compute["MinvCpus"], 0);
    assert_eq!(compute["MaxvCpus"], json!({ "Ref": "MaxvCpus" }));
    assert_eq!(compute["InstanceTypes"], json!(["c5.xlarge", "c5.2xlarge"]));
    assert_eq!(
        compute["AllocationStrategy"],
        json!({ "Ref": "AllocationStrategy" })
    );
    let queue = &template["Resources"]["BatchJobQueue"]["Properties"];
    assert_eq!(queue["Priority"], 1);
    assert_eq!(queue["State"], "ENABLED");
    assert!(
        template["Resources"]["BatchComputeEnvironment"]["Condition"].is_null(),
        "the Spot compute environment always exists"
    );
}

fn stuck_runnable_actions(queue: &Value) -> Vec<(String, Value)> {
    queue["Properties"]["JobStateTimeLimitActions"]
        .as_array()
        .unwrap_or_else(|| panic!("no JobStateTimeLimitActions: {queue}"))
        .iter()
        .map(|action| {
            assert_eq!(action["Action"], "CANCEL", "{action}");
            assert_eq!(action["State"], "RUNNABLE", "{action}");
            (
                action["Reason"].as_str().unwrap().to_owned(),
                action["MaxTimeSeconds"].clone(),
            )
        })
        .collect()
}

#[test]
fn both_queues_cancel_runs_stuck_runnable_for_the_reasons_aws_batch_acts_on() {
    let template = committed(batch::PATH);
    let expected = vec![
        (
            "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE".to_owned(),
            json!({ "Ref": "CancelMisconfiguredAfterSeconds" }),
        ),
        (
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT".to_owned(),
            json!({ "Ref": "CancelMisconfiguredAfterSeconds" }),
        ),
        (
            "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY".to_owned(),
            json!({ "Ref": "CancelNoCapacityAfterSeconds" }),
        ),
    ];
    for queue in ["BatchJobQueue", "BatchFallbackJobQueue"] {
        assert_eq!(
            stuck_runnable_actions(&template["Resources"][queue]),
            expected,
            "{queue}"
        );
    }
}

#[test]
fn the_on_demand_fallback_exists_only_when_it_has_vcpus() {
    let template = committed(batch::PATH);
    assert_eq!(
        template["Conditions"][batch::fallback::HAS_FALLBACK],
        json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "FallbackMaxvCpus" }, 0] }] })
    );
    let resources = &template["Resources"];
    let environment = &resources["BatchFallbackComputeEnvironment"];
    assert_eq!(environment["Condition"], batch::fallback::HAS_FALLBACK);
    let compute = &environment["Properties"]["ComputeResources"];
    assert_eq!(compute["Type"], "EC2", "On-Demand");
    assert_eq!(compute["MinvCpus"], 0);
    assert_eq!(compute["MaxvCpus"], json!({ "Ref": "FallbackMaxvCpus" }));
    assert_eq!(
        compute["InstanceTypes"],
        json!({ "Fn::Split": [",", { "Ref": "FallbackInstanceTypes" }] })
    );
    // The same instances, network and role as the Spot environment: nothing wider.
    let spot = &resources["BatchComputeEnvironment"]["Properties"]["ComputeResources"];
    for same in ["Subnets", "SecurityGroupIds", "InstanceRole"] {
        assert_eq!(compute[same], spot[same], "{same}");
    }
    assert_eq!(
        environment["Properties"]["ServiceRole"],
        resources["BatchComputeEnvironment"]["Properties"]["ServiceRole"]
    );
    let queue = &resources["BatchFallbackJobQueue"];
    assert_eq!(queue["Condition"], batch::fallback::HAS_FALLBACK);
    assert_eq!(
        queue["Properties"]["ComputeEnvironmentOrder"],
        json!([{ "Order": 1, "ComputeEnvironment": { "Ref": "BatchFallbackComputeEnvironment" } }])
    );
    assert_eq!(
        template["Parameters"][parameter::FALLBACK_INSTANCE_TYPES]["Default"],
        "c5.xlarge,c5.2xlarge",
        "the Spot environment's types: a run that fits Spot fits its fallback"
    );
    let by_condition: Vec<&str> = resources
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Condition"] == batch::fallback::HAS_FALLBACK)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        by_condition,
        ["BatchFallbackComputeEnvironment", "BatchFallbackJobQueue"]
    );
}

#[test]
fn the_job_definition_sizes_retries_times_out_and_logs() {
    let template = committed(batch::PATH);
    let definition = &template["Resources"]["BatchJobDefinition"]["Properties"];
    assert_eq!(definition["PlatformCapabilities"], json!(["EC2"]));
    let container = &definition["ContainerProperties"];
    assert_eq!(
        container["ResourceRequirements"],
        json!([
            { "Type": "VCPU", "Value": { "Ref": "JobVcpus" } },
            { "Type": "MEMORY", "Value": { "Ref": "JobMemory" } },
        ])
    );
    assert_eq!(
        container["Secrets"],
        json!([{ "Name": "DATABASE_SECRET", "ValueFrom": { "Ref": "DatabaseSecretArn" } }])
    );
    assert_eq!(container["LogConfiguration"]["LogDriver"], "awslogs");
    assert_eq!(
        container["LogConfiguration"]["Options"]["awslogs-group"],
        json!({ "Ref": "BatchLogGroup" })
    );
    assert_eq!(
        definition["RetryStrategy"],
        json!({
            "Attempts": 3,
            "EvaluateOnExit": [
                { "OnStatusReason": "Host EC2*", "Action": "RETRY" },
                { "OnReason": "*", "Action": "EXIT" },
            ],
        })
    );
    assert_eq!(definition["Timeout"]["AttemptDurationSeconds"], 14400);
    let log_group = &template["Resources"]["BatchLogGroup"]["Properties"];
    assert_eq!(
        log_group["LogGroupName"],
        json!({ "Fn::Sub": "/aws/batch/fred-simulations-${Environment}" })
    );
    assert_eq!(
        log_group["RetentionInDays"],
        json!({ "Ref": "LogRetentionDays" })
    );
}

#[test]
fn the_security_group_allows_https_and_postgres_to_the_database_only() {
    let template = committed(batch::PATH);
    let resources = &template["Resources"];
    let egress = &resources["BatchSecurityGroup"]["Properties"]["SecurityGroupEgress"];
    assert_eq!(egress.as_array().unwrap().len(), 1);
    assert_eq!(
        (egress[0]["FromPort"].clone(), egress[0]["ToPort"].clone()),
        (json!(443), json!(443))
    );
    let database = &resources["BatchDatabaseEgress"];
    assert_eq!(database["Condition"], "HasDatabaseSecurityGroup");
    assert_eq!(database["Properties"]["FromPort"], 5432);
    assert_eq!(
        database["Properties"]["DestinationSecurityGroupId"],
        json!({ "Ref": "DatabaseSecurityGroupId" })
    );
    assert!(database["Properties"]["CidrIp"].is_null());
}

#[test]
fn every_output_of_the_design_is_exported_under_the_stacks_name() {
    let template = committed(batch::PATH);
    let outputs = template["Outputs"].as_object().unwrap();
    let expected = [
        (output::SERVICE_ROLE_ARN, "ServiceRoleArn"),
        (output::INSTANCE_ROLE_ARN, "InstanceRoleArn"),
        (output::EXECUTION_ROLE_ARN, "ExecutionRoleArn"),
        (output::JOB_ROLE_ARN, "JobRoleArn"),
        (output::SECURITY_GROUP_ID, "SecurityGroupId"),
        (output::LOG_GROUP_NAME, "LogGroupName"),
        (output::COMPUTE_ENVIRONMENT_ARN, "ComputeEnvironmentArn"),
        (output::JOB_QUEUE_ARN, "JobQueueArn"),
        (output::JOB_QUEUE_NAME, "JobQueueName"),
        (output::JOB_DEFINITION_ARN, "JobDefinitionArn"),
        (
            output::FALLBACK_COMPUTE_ENVIRONMENT_ARN,
            "FallbackComputeEnvironmentArn",
        ),
        (output::FALLBACK_JOB_QUEUE_ARN, "FallbackJobQueueArn"),
        (output::FALLBACK_JOB_QUEUE_NAME, "FallbackJobQueueName"),
    ];
    assert_eq!(outputs.len(), expected.len());
    for fallback in [
        output::FALLBACK_COMPUTE_ENVIRONMENT_ARN,
        output::FALLBACK_JOB_QUEUE_ARN,
        output::FALLBACK_JOB_QUEUE_NAME,
    ] {
        assert_eq!(
            outputs[fallback]["Condition"],
            batch::fallback::HAS_FALLBACK,
            "{fallback} exists only with the fallback"
        );
    }
    assert_eq!(
        outputs[output::FALLBACK_JOB_QUEUE_NAME]["Value"],
        template["Resources"]["BatchFallbackJobQueue"]["Properties"]["JobQueueName"]
    );
    for (output, export) in expected {
        assert_eq!(
            outputs[output]["Export"]["Name"],
            json!({ "Fn::Sub": format!("${{AWS::StackName}}-{export}") }),
            "{output}"
        );
    }
    // The name, not the ARN that `Ref` of a queue gives.
    assert_eq!(
        outputs[output::JOB_QUEUE_NAME]["Value"],
        template["Resources"]["BatchJobQueue"]["Properties"]["JobQueueName"]
    );
    for (path, output) in [
        ("database-secrets/database-secrets.json", "SecretArn"),
        ("s3-upload-bucket/s3-upload-bucket.json", "BucketName"),
        ("s3-results-bucket/s3-results-bucket.json", "BucketName"),
        ("ecr/simulation-runner-ecr.json", "RepositoryUri"),
    ] {
        assert!(
            committed(path)["Outputs"][output]["Export"].is_object(),
            "{path} {output}"
        );
    }
}

/// The names of the rules a verbose cfn-guard record says failed.
fn failed_rules(record: &Value, failed: &mut Vec<String>) {
    match record {
        Value::Object(fields) => {
            if let Some(check) = fields.get("RuleCheck")
                && check["status"] == "FAIL"
            {
                failed.push(check["name"].as_str().unwrap_or_default().to_owned());
            }
            fields.values().for_each(|v| failed_rules(v, failed));
        }
        Value::Array(items) => items.iter().for_each(|v| failed_rules(v, failed)),
        _ => {}
    }
}

fn template_files() -> Vec<PathBuf> {
    stacks::all(Environment::Dev)
        .iter()
        .map(|s| templates_dir().join(s.path))
        .collect()
}

#[test]
fn cfn_lint_finds_no_error_and_no_warning() {
    let output = Command::new(required("FREDBATCH_CFN_LINT"))
        .args(template_files())
        .output()
        .expect("run cfn-lint");
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn checkov_fails_no_check() {
    let output = Command::new(required("FREDBATCH_CHECKOV"))
        .arg("-d")
        .arg(templates_dir())
        .args([
            "--framework",
            "cloudformation",
            "--skip-download",
            "--compact",
            "--quiet",
        ])
        .output()
        .expect("run checkov");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "checkov: {report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("Failed checks: 0"), "{report}");
}

#[test]
fn the_guard_rules_pass_on_every_template_and_catch_a_violation() {
    let rules_dir = repository().join("infrastructure/guard_rules");
    let mut rules: Vec<PathBuf> = std::fs::read_dir(&rules_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "guard"))
        .collect();
    rules.sort();
    assert!(rules.len() >= 4, "{rules:?}");
    let evaluate = |template: &str, name: &str| -> Vec<String> {
        rules
            .iter()
            .flat_map(|rule_file| {
                let text = std::fs::read_to_string(rule_file).unwrap();
                let report = cfn_guard::run_checks(
                    cfn_guard::ValidateInput {
                        content: template,
                        file_name: name,
                    },
                    cfn_guard::ValidateInput {
                        content: &text,
                        file_name: &rule_file.display().to_string(),
                    },
                    // The verbose record: cfn-guard's summary report is cut to its last 8 KiB
                    // when it is longer (it returns only what its BufWriter still holds).
                    true,
                )
                .unwrap_or_else(|e| panic!("{}: {e}", rule_file.display()));
                let record: Value = serde_json::from_str(&report)
                    .unwrap_or_else(|e| panic!("{}: {e}: {report}", rule_file.display()));
                let mut failed = Vec::new();
                failed_rules(&record, &mut failed);
                failed
                    .into_iter()
                    .map(|rule| format!("{}: {rule}", rule_file.display()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    for file in template_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let failures = evaluate(&text, &file.display().to_string());
        assert!(failures.is_empty(), "{}: {failures:#?}", file.display());
    }
    // The rules do reject what they are about.
    let mut broken = committed(batch::PATH);
    broken["Resources"]["BatchJobDefinition"]["Properties"]["RetryStrategy"]["EvaluateOnExit"]
        .as_array_mut()
        .unwrap()
        .pop();
    broken["Resources"]["BatchSecurityGroup"]["Properties"]["SecurityGroupEgress"][0]["FromPort"] =
        json!(0);
    broken["Resources"]["BatchJobQueue"]["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("JobStateTimeLimitActions");
    broken["Resources"]["BatchFallbackComputeEnvironment"]
        .as_object_mut()
        .unwrap()
        .remove("Condition");
    let failures = evaluate(&broken.to_string(), "broken.json");
    let text = failures.join("\n");
    assert!(text.contains("only_interruptions_are_retried"), "{text}");
    assert!(text.contains("egress_https_only_to_the_internet"), "{text}");
    assert!(text.contains("queues_cancel_runs_stuck_runnable"), "{text}");
    assert!(
        text.contains("on_demand_compute_is_the_optional_fallback"),
        "{text}"
    );
}
