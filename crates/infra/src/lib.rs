//! fredbatch's infrastructure as code.
//!
//! - [`checks`]: fredbatch's own offline checks of a template (references, least privilege);
//! - [`template`]: a typed model of a CloudFormation template and its intrinsic functions,
//!   written out deterministically;
//! - [`stacks`]: the AWS Batch stack and the stacks it depends on (database secret, upload and
//!   results buckets, the simulation-runner image repository), built from that model;
//! - [`project`]: the Sceptre project under `infrastructure/config` that wires them together;
//! - [`cloudformation`]: creating, updating, inspecting and deleting those stacks with a
//!   caller's AWS configuration, waiting on the SDK's waiters, and CloudFormation's own template
//!   validation;
//! - [`contract`]: the batch stack's parameter and output names, for its generator and readers;
//! - [`health`]: what a stack's status means (usable, busy, broken), for every reader.

pub mod checks;
pub mod cloudformation;
pub mod contract;
pub mod health;
pub mod project;
pub mod stacks;
pub mod template;
