//! The Sceptre project under `infrastructure/`: `config/config.yaml` (project code, region)
//! and one YAML file per stack (`config/dev/batch-infrastructure.yaml`, ...), read the way
//! Sceptre reads them, so `sceptre` and `fredbatch infra` deploy the same stacks.
//!
//! - **stack path**: a stack file's path under `config/`, e.g. `dev/batch-infrastructure.yaml`;
//! - **stack name**: `<project code>-<stack path without .yaml, / as ->`, Sceptre's naming;
//! - **resolver**: `!stack_output PATH::OUTPUT` (an output of a deployed stack, which is also a
//!   dependency) and `!environment_variable NAME`.
//!
//! Reading the YAML files is [`stack_file`]'s; the AWS CLI's parameter files generated from them
//! are [`cli_parameters`]'.

mod cli_parameters;
mod stack_file;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

use crate::stacks::Environment;
use stack_file::{parse_stack, read_yaml, yaml_files};

/// The path of an environment's AWS Batch stack file, e.g. `dev/batch-infrastructure.yaml`.
pub fn batch_stack_path(env: Environment) -> String {
    format!("{env}/batch-infrastructure.yaml")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProjectError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path} is not valid YAML: {message}; fix the file (Sceptre reads the same syntax)")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("there is no stack {0} in the Sceptre project (config/{0})")]
    UnknownStack(String),
    #[error("the stacks' dependencies form a cycle through {0}")]
    Cycle(String),
    #[error(
        "{path}: parameter {parameter} reads the environment variable {variable}, which is not \
         set; export it (e.g. `export {variable}=...`) and try again"
    )]
    UnsetVariable {
        path: String,
        parameter: String,
        variable: String,
    },
    #[error(
        "{path}: parameter {parameter} needs output {output} of stack {stack} ({name}), which \
         is not deployed or has no such output; deploy it first (`fredbatch infra deploy` \
         deploys dependencies in order)"
    )]
    MissingOutput {
        path: String,
        parameter: String,
        stack: String,
        name: String,
        output: String,
    },
}

/// A parameter's value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterValue {
    Text(String),
    StackOutput { stack: String, output: String },
    EnvironmentVariable(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackConfig {
    /// e.g. `dev/batch-infrastructure.yaml`.
    pub path: String,
    /// Under `templates/`, e.g. `batch/batch-infrastructure.json`.
    pub template: String,
    pub parameters: BTreeMap<String, ParameterValue>,
    /// Stack paths this one needs deployed first (declared, and implied by `!stack_output`).
    pub dependencies: BTreeSet<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct Project {
    /// The folder holding `config/` and `templates/`.
    pub root: PathBuf,
    pub project_code: String,
    pub region: String,
    pub stacks: BTreeMap<String, StackConfig>,
}

impl Project {
    /// Reads every stack file under `root/config`.
    pub fn load(root: &Path) -> Result<Project, ProjectError> {
        let config_dir = root.join("config");
        let main = read_yaml(&config_dir.join("config.yaml"))?;
        let text = |key: &str| main.get(key).and_then(Value::as_str).map(str::to_owned);
        let invalid = |message: &str| ProjectError::Invalid {
            path: config_dir.join("config.yaml"),
            message: message.to_owned(),
        };
        let project_code = text("project_code").ok_or_else(|| invalid("no project_code"))?;
        let region = text("region").ok_or_else(|| invalid("no region"))?;
        let mut stacks = BTreeMap::new();
        for file in yaml_files(&config_dir)? {
            let path = file
                .strip_prefix(&config_dir)
                .expect("found under the config folder")
                .to_string_lossy()
                .into_owned();
            if path == "config.yaml" {
                continue;
            }
            let stack = parse_stack(&path, &read_yaml(&file)?).map_err(|message| {
                ProjectError::Invalid {
                    path: file.clone(),
                    message,
                }
            })?;
            stacks.insert(path, stack);
        }
        Ok(Project {
            root: root.to_owned(),
            project_code,
            region,
            stacks,
        })
    }

    /// Sceptre's name for the stack at `path`.
    pub fn stack_name(&self, path: &str) -> String {
        format!(
            "{}-{}",
            self.project_code,
            path.trim_end_matches(".yaml").replace('/', "-")
        )
    }

    pub fn stack(&self, path: &str) -> Result<&StackConfig, ProjectError> {
        self.stacks
            .get(path)
            .ok_or_else(|| ProjectError::UnknownStack(path.to_owned()))
    }

    /// The stacks of an environment (`config/<env>/`) and everything they depend on, each after
    /// its dependencies.
    pub fn deployment_order(&self, env: Environment) -> Result<Vec<&StackConfig>, ProjectError> {
        let prefix = format!("{}/", env.name());
        let roots: Vec<&str> = self
            .stacks
            .keys()
            .filter(|path| path.starts_with(&prefix))
            .map(String::as_str)
            .collect();
        let mut order = Vec::new();
        let mut done = BTreeSet::new();
        for root in roots {
            self.visit(root, &mut Vec::new(), &mut done, &mut order)?;
        }
        Ok(order)
    }

    fn visit<'a>(
        &'a self,
        path: &str,
        trail: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        order: &mut Vec<&'a StackConfig>,
    ) -> Result<(), ProjectError> {
        if done.contains(path) {
            return Ok(());
        }
        if trail.iter().any(|p| p == path) {
            return Err(ProjectError::Cycle(path.to_owned()));
        }
        let stack = self.stack(path)?;
        trail.push(path.to_owned());
        for dependency in &stack.dependencies {
            self.visit(dependency, trail, done, order)?;
        }
        trail.pop();
        done.insert(path.to_owned());
        order.push(stack);
        Ok(())
    }

    /// The template a stack deploys.
    pub fn template_body(&self, stack: &StackConfig) -> Result<String, ProjectError> {
        let path = self.root.join("templates").join(&stack.template);
        std::fs::read_to_string(&path).map_err(|e| ProjectError::Read {
            path,
            message: e.to_string(),
        })
    }

    /// A stack's parameters with every resolver replaced: `outputs(stack name, output)` looks up
    /// deployed stacks' outputs, `variable(name)` the environment.
    pub fn resolve(
        &self,
        stack: &StackConfig,
        outputs: &mut dyn FnMut(&str, &str) -> Option<String>,
        variable: &dyn Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, String>, ProjectError> {
        let mut resolved = BTreeMap::new();
        for (name, value) in &stack.parameters {
            let text = match value {
                ParameterValue::Text(text) => text.clone(),
                ParameterValue::EnvironmentVariable(variable_name) => variable(variable_name)
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| ProjectError::UnsetVariable {
                        path: stack.path.clone(),
                        parameter: name.clone(),
                        variable: variable_name.clone(),
                    })?,
                ParameterValue::StackOutput {
                    stack: other,
                    output,
                } => {
                    let other_name = self.stack_name(other);
                    outputs(&other_name, output).ok_or_else(|| ProjectError::MissingOutput {
                        path: stack.path.clone(),
                        parameter: name.clone(),
                        stack: other.clone(),
                        name: other_name,
                        output: output.clone(),
                    })?
                }
            };
            resolved.insert(name.clone(), text);
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests;
