//! The stacks of a deployment, each built from the typed [`crate::template`] model:
//!
//! - [`batch`]: the AWS Batch stack of the design this project implements (`docs/design.md`):
//!   compute environment, job queue, job definition, IAM roles, security group, log group;
//! - [`secret`], [`buckets`], [`repository`]: the stacks it depends on (the database secret,
//!   the upload and results buckets, the simulation-runner image repository).
//!
//! Each is written to `infrastructure/templates/<dir>/<name>.json`; a test keeps those files
//! equal to what these builders produce.

pub mod batch;
pub mod buckets;
mod common;
pub mod repository;
pub mod secret;

use std::fmt;
use std::str::FromStr;

use crate::template::Template;

pub use common::{MANAGED_BY, PURPOSE};

/// A deployment environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    #[default]
    Dev,
    Staging,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 3] = [
        Environment::Dev,
        Environment::Staging,
        Environment::Production,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown environment `{0}`: use dev, staging or production")]
pub struct UnknownEnvironment(pub String);

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Environment::ALL
            .into_iter()
            .find(|env| env.name() == text)
            .ok_or_else(|| UnknownEnvironment(text.to_owned()))
    }
}

/// One stack's template and where it is kept.
pub struct StackTemplate {
    /// Under `infrastructure/templates/`, e.g. `batch/batch-infrastructure.json`.
    pub path: &'static str,
    pub template: Template,
}

/// Every stack of a deployment; `env` sets each template's default environment.
pub fn all(env: Environment) -> Vec<StackTemplate> {
    vec![
        StackTemplate {
            path: secret::PATH,
            template: secret::template(env),
        },
        StackTemplate {
            path: buckets::UPLOADS_PATH,
            template: buckets::uploads(env),
        },
        StackTemplate {
            path: buckets::RESULTS_PATH,
            template: buckets::results(env),
        },
        StackTemplate {
            path: repository::PATH,
            template: repository::template(env),
        },
        StackTemplate {
            path: batch::PATH,
            template: batch::template(env),
        },
    ]
}

/// The stack kept at `path`, e.g. `batch/batch-infrastructure.json`, or by its file stem
/// (`batch-infrastructure`).
pub fn named(name: &str, env: Environment) -> Option<StackTemplate> {
    all(env).into_iter().find(|stack| {
        stack.path == name
            || std::path::Path::new(stack.path)
                .file_stem()
                .is_some_and(|stem| stem == name)
    })
}
