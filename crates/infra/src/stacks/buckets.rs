//! The upload bucket (each job's inputs) and the results bucket (each run's outputs): encrypted,
//! versioned, closed to the public, owned by the account; results move to cheaper storage as
//! they age, and replaced versions and abandoned uploads are cleaned up.

use serde_json::{Value, json};

use super::Environment;
use super::common::{environment_parameter, tag_list};
use crate::template::{Output, Parameter, Resource, Template, func};

pub const UPLOADS_PATH: &str = "s3-upload-bucket/s3-upload-bucket.json";
pub const RESULTS_PATH: &str = "s3-results-bucket/s3-results-bucket.json";

/// Checks that do not apply to either bucket, and why.
const SKIPPED: &[(&str, &str)] = &[(
    "CKV_AWS_18",
    "access logging needs a separate log bucket; CloudTrail data events cover auditing where \
     it is required",
)];

pub fn uploads(env: Environment) -> Template {
    let mut t = Template::new("FRED simulations: the bucket that holds each job's inputs");
    t.parameters.add("Environment", environment_parameter(env));
    t.resources.add(
        "UploadBucket",
        bucket(json!([
            abort_incomplete_uploads(),
            expire_replaced_versions(30)
        ])),
    );
    outputs(
        &mut t,
        "UploadBucket",
        "upload bucket (the batch stack's UploadBucketName)",
    );
    t
}

pub fn results(env: Environment) -> Template {
    let mut t = Template::new("FRED simulations: the bucket that holds each run's results");
    t.parameters.add("Environment", environment_parameter(env));
    t.parameters.add(
        "InfrequentAccessAfterDays",
        Parameter::number("Days after which results move to S3 Standard-IA")
            .with_default(30)
            .range(30, 3650),
    );
    let age_out = json!({
        "Id": "ResultsAgeOut",
        "Status": "Enabled",
        "Transitions": [{
            "StorageClass": "STANDARD_IA",
            "TransitionInDays": func::reference("InfrequentAccessAfterDays"),
        }],
    });
    t.resources.add(
        "ResultsBucket",
        bucket(json!([
            abort_incomplete_uploads(),
            expire_replaced_versions(30),
            age_out
        ])),
    );
    outputs(
        &mut t,
        "ResultsBucket",
        "results bucket (the batch stack's ResultsBucketName)",
    );
    t
}

fn bucket(rules: Value) -> Resource {
    Resource::new(
        "AWS::S3::Bucket",
        json!({
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
                    "BucketKeyEnabled": true,
                }],
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true,
                "BlockPublicPolicy": true,
                "IgnorePublicAcls": true,
                "RestrictPublicBuckets": true,
            },
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
            "VersioningConfiguration": { "Status": "Enabled" },
            "LifecycleConfiguration": { "Rules": rules },
            "Tags": tag_list(),
        }),
    )
    .skip_checks(SKIPPED)
}

fn abort_incomplete_uploads() -> Value {
    json!({
        "Id": "AbortIncompleteUploads",
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 },
    })
}

/// Versioning keeps what an overwrite or delete replaced; for a while, not forever.
fn expire_replaced_versions(days: u32) -> Value {
    json!({
        "Id": "ExpireReplacedVersions",
        "Status": "Enabled",
        "NoncurrentVersionExpiration": { "NoncurrentDays": days },
    })
}

fn outputs(t: &mut Template, bucket: &str, what: &str) {
    t.outputs.add(
        "BucketName",
        Output::exported(
            &format!("Name of the {what}"),
            func::reference(bucket),
            "BucketName",
        ),
    );
    t.outputs.add(
        "BucketArn",
        Output::exported(
            "ARN of the bucket",
            func::get_att(bucket, "Arn"),
            "BucketArn",
        ),
    );
}
