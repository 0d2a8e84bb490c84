//! fredbatch's infrastructure as code.
//!
//! - [`checks`]: fredbatch's own offline checks of a template (references, least privilege);
//! - [`template`]: a typed model of a CloudFormation template and its intrinsic functions,
//!   written out deterministically;
//! - [`stacks`]: the AWS Batch stack and the stacks it depends on (database secret, upload and
//!   results buckets, the simulation-runner image repository), built from that model;
//! - [`sceptre`]: the Sceptre project under `infrastructure/config` that wires them together;
//! - [`deploy`]: creating, updating, inspecting and deleting those stacks through
//!   CloudFormation.

pub mod checks;
pub mod deploy;
pub mod sceptre;
pub mod stacks;
pub mod template;
