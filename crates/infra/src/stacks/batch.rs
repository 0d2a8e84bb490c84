//! The AWS Batch stack of the design this project implements (`docs/design.md`): a managed
//! EC2 Spot compute environment that scales from 0 to `MaxvCpus`, a job queue (cancelling runs
//! stuck RUNNABLE that no compute environment can run), an On-Demand fallback compute
//! environment and queue for runs Spot interrupted too often (see [`fallback`]), a job
//! definition (4 vCPUs and 8192 MB by default, retried only when Spot takes the instance away,
//! 4 h per attempt, logs to CloudWatch), the four IAM roles with least privilege, a security
//! group, and the log group. Its parameter and output names are [`crate::contract`]'s.
//!
//! Least privilege, concretely: the job role reads the upload bucket, writes the results bucket
//! and reads the one database secret; the execution role pulls the image, writes this stack's
//! log group and reads that secret; no Allow statement has a wildcard action; the one `*`
//! resource is `ecr:GetAuthorizationToken`, which AWS defines on no narrower resource (stated in
//! the template's metadata).

mod compute;
pub mod fallback;
mod outputs;
mod roles;

use fredbatch_core::Resources;
use serde_json::json;

use super::Environment;
use super::common::environment_parameter;
use crate::contract::parameter;
use crate::template::{Parameter, Template, func};
use compute::{batch, network_and_logs};
use outputs::outputs;
use roles::roles;

pub const PATH: &str = "batch/batch-infrastructure.json";

/// The instance types of the compute environment.
pub const INSTANCE_TYPES: [&str; 2] = ["c5.xlarge", "c5.2xlarge"];
pub const ATTEMPTS: u32 = 3;
pub const ATTEMPT_TIMEOUT_SECONDS: u32 = 4 * 3600;
/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Why the one wildcard resource is there (also in the template's metadata).
pub const WILDCARD_REASON: &str = "ecr:GetAuthorizationToken is granted on `*`: AWS defines it on \
     no resource narrower than the account (the token it returns is for the registry, not a \
     repository). Image pulls themselves are limited to the one repository.";

pub fn template(env: Environment) -> Template {
    let mut t = Template::new(
        "FRED simulations on AWS Batch: a Spot compute environment scaling from 0, a job queue, \
         an optional On-Demand fallback compute environment and queue, a job definition that \
         retries only Spot interruptions, least-privilege IAM roles, a security group and a log \
         group",
    );
    t.metadata = json!({
        "fredbatch": {
            "WildcardResources": [{
                "Resource": "BatchExecutionRole",
                "Action": "ecr:GetAuthorizationToken",
                "Reason": WILDCARD_REASON,
            }],
        },
    });
    parameters(&mut t, env);
    t.conditions.add(
        "HasDatabaseSecurityGroup",
        func::not(func::equals(
            func::reference(parameter::DATABASE_SECURITY_GROUP_ID),
            json!(""),
        )),
    );
    fallback::condition(&mut t);
    roles(&mut t);
    network_and_logs(&mut t);
    batch(&mut t);
    fallback::resources(&mut t);
    outputs(&mut t);
    t
}

fn parameters(t: &mut Template, env: Environment) {
    let p = &mut t.parameters;
    p.add(parameter::ENVIRONMENT, environment_parameter(env));
    p.add(
        parameter::VPC_ID,
        Parameter::of_type(
            "AWS::EC2::VPC::Id",
            "VPC the compute environment launches in",
        ),
    );
    p.add(
        parameter::SUBNET_IDS,
        Parameter::of_type(
            "List<AWS::EC2::Subnet::Id>",
            "Private subnets for the instances; they need a NAT gateway (or VPC endpoints) to \
             reach ECR, S3, Secrets Manager and CloudWatch Logs",
        ),
    );
    p.add(
        parameter::ECR_REPOSITORY_URI,
        Parameter::string("URI of the simulation-runner image repository, optionally with :tag")
            .pattern(
                r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._-]+(:[A-Za-z0-9._-]+)?$",
                "an ECR repository URI: ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG]",
            ),
    );
    p.add(
        parameter::DATABASE_SECRET_ARN,
        Parameter::string("ARN of the Secrets Manager secret with the database credentials")
            .pattern(
                r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
                "a Secrets Manager secret ARN",
            ),
    );
    let bucket_name = |what: &str| {
        Parameter::string(what).pattern(
            r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "an S3 bucket name: 3 to 63 lower-case letters, digits, dots and dashes",
        )
    };
    p.add(
        parameter::UPLOAD_BUCKET_NAME,
        bucket_name("S3 bucket with each job's inputs"),
    );
    p.add(
        parameter::RESULTS_BUCKET_NAME,
        bucket_name("S3 bucket the runs write their results to"),
    );
    p.add(
        parameter::MAX_VCPUS,
        Parameter::number(
            "Most vCPUs the compute environment runs at once (256 is about 64 c5.xlarge runs)",
        )
        .with_default(parameter::MAX_VCPUS_DEFAULT)
        .range(4, 10_000),
    );
    p.add(
        parameter::LOG_RETENTION_DAYS,
        Parameter::number("Days CloudWatch keeps the runs' logs")
            .with_default(7)
            .allowed(LOG_RETENTION_DAYS),
    );
    p.add(
        parameter::SPOT_BID_PERCENTAGE,
        Parameter::number(
            "Highest Spot price to pay, in percent of On-Demand (100: Spot whenever available)",
        )
        .with_default(100)
        .range(1, 100),
    );
    p.add(
        parameter::ALLOCATION_STRATEGY,
        Parameter::string(
            "How Spot capacity is chosen. SPOT_CAPACITY_OPTIMIZED (the default) picks the \
             pools least likely to be interrupted; SPOT_PRICE_CAPACITY_OPTIMIZED, AWS's current \
             recommendation, also weighs price and is usually the better choice",
        )
        .with_default("SPOT_CAPACITY_OPTIMIZED")
        .allowed(["SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED"]),
    );
    p.add(
        parameter::DATABASE_SECURITY_GROUP_ID,
        Parameter::string(
            "Security group of the database; runs may reach port 5432 only there. Empty: no \
             database traffic leaves the instances",
        )
        .with_default("")
        .pattern(
            "^(sg-[0-9a-f]{8,17})?$",
            "a security group id (sg-...) or empty",
        ),
    );
    p.add(
        parameter::JOB_VCPUS,
        Parameter::number("vCPUs each run reserves (`fredbatch profile` recommends a size)")
            .with_default(Resources::AWS_DEFAULT.vcpus)
            .range(1, 256),
    );
    p.add(
        parameter::JOB_MEMORY,
        Parameter::number("Memory each run reserves, in MiB")
            .with_default(Resources::AWS_DEFAULT.memory_mb)
            .range(256, 1_048_576),
    );
    p.add(
        parameter::FALLBACK_INSTANCE_TYPES,
        Parameter::string(
            "Instance types of the On-Demand fallback compute environment, comma-separated \
             (e.g. c5.xlarge,c5.2xlarge), where runs go that Spot interrupted too often",
        )
        .with_default(fallback::DEFAULT_INSTANCE_TYPES)
        .pattern(
            r"^[a-z0-9.]+(,[a-z0-9.]+)*$",
            "instance types or families separated by commas, without spaces",
        ),
    );
    p.add(
        parameter::FALLBACK_MAX_VCPUS,
        Parameter::number(
            "Most vCPUs the On-Demand fallback runs at once; 0 creates no fallback (runs then \
             stay on Spot however often they are interrupted)",
        )
        .with_default(fallback::DEFAULT_MAX_VCPUS)
        .range(0, 10_000),
    );
    p.add(
        parameter::CANCEL_MISCONFIGURED_AFTER_SECONDS,
        Parameter::number(
            "Seconds a run may wait RUNNABLE, at the head of a queue, because no compute \
             environment can ever run it (larger than every instance type or maxvCpus) before \
             Batch cancels it (600 to 86400)",
        )
        .with_default(1800)
        .range(600, 86_400),
    );
    p.add(
        parameter::CANCEL_NO_CAPACITY_AFTER_SECONDS,
        Parameter::number(
            "Seconds a run may wait RUNNABLE, at the head of a queue, for instance capacity AWS \
             does not have before Batch cancels it (600 to 86400)",
        )
        .with_default(14_400)
        .range(600, 86_400),
    );
}
