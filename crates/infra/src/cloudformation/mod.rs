//! Deploying the Sceptre project's stacks with CloudFormation, in dependency order, and
//! reading them back. Every AWS call uses the [`SdkConfig`] its caller gives; nothing here
//! reads the AWS variables of the process environment except [`load_aws_config`], the
//! standard configuration a command line loads.
//!
//! - [`deploy`]: creating and updating an environment's stacks ([`Deployer`]);
//! - [`change_set`]: updates through change sets, shown by dry runs;
//! - [`wait`]: waiting on the SDK's waiters and judging where a stack settled;
//! - [`describe`]: one reader of a stack's status, outputs and parameters ([`read_stack`]);
//! - [`delete`]: deleting an environment's stacks, dependents first;
//! - [`overrides`]: `--param` values; [`outcome`]: what happened to each stack;
//! - [`validate`]: CloudFormation's own ValidateTemplate; [`error`]: what can go wrong.

mod change_set;
mod delete;
mod deploy;
mod describe;
mod error;
mod outcome;
mod overrides;
mod validate;
mod wait;

pub use aws_config::SdkConfig;
pub use deploy::Deployer;
pub use describe::{Deployed, read_stack};
pub use error::DeployError;
pub use outcome::{StackAction, StackChange};
pub use overrides::{Overrides, parse_overrides};
pub use validate::TemplateValidator;

/// The standard AWS configuration (profiles, environment credentials, `AWS_ENDPOINT_URL`), in
/// `default_region` unless `AWS_REGION` or `AWS_DEFAULT_REGION` names one: a project's stacks
/// live in its region unless the user says otherwise.
pub async fn load_aws_config(default_region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let region_set = std::env::var_os("AWS_REGION").is_some()
        || std::env::var_os("AWS_DEFAULT_REGION").is_some();
    if let Some(region) = default_region.filter(|_| !region_set) {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}
