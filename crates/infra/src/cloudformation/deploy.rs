//! Deploying an environment's stacks in dependency order: a new stack is created directly
//! (and waited for); an existing one is updated through a change set ([`super::change_set`]),
//! so "nothing to change" is a success and a dry run can show what would change. A stack that
//! is not usable ([`crate::health`]: busy, or left broken by a failure) is reported, never
//! touched.
//!
//! - **request**: what CloudFormation is asked to deploy for one stack: its name, template,
//!   resolved parameters (overrides applied) and tags.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};

use super::describe::Deployed;
use super::error::{DeployError, aws_error};
use super::outcome::{StackAction, StackChange};
use super::overrides::{Overrides, without_overridden};
use super::wait::Operation;
use crate::health::{StackHealth, stack_health};
use crate::project::{Project, ProjectError, StackConfig};
use crate::stacks::Environment;

/// Deploys, inspects and deletes one Sceptre project's stacks.
pub struct Deployer {
    pub(super) client: Client,
    pub(super) project: Project,
    /// Told about progress (a line at a time).
    pub(super) progress: Box<dyn Fn(&str) + Send + Sync>,
}

/// What CloudFormation is asked to deploy for one stack.
pub(super) struct StackRequest {
    pub name: String,
    pub body: String,
    pub parameters: Vec<Parameter>,
    pub tags: Vec<Tag>,
}

impl Deployer {
    /// With the caller's AWS configuration (credentials, region, endpoint): see
    /// [`super::load_aws_config`] for the standard one.
    pub fn new(
        sdk: &SdkConfig,
        project: Project,
        progress: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Deployer {
        Deployer {
            client: Client::new(sdk),
            project,
            progress,
        }
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Deploys an environment's stacks, dependencies first.
    pub async fn deploy(
        &self,
        env: Environment,
        overrides: &Overrides,
        dry_run: bool,
    ) -> Result<Vec<StackChange>, DeployError> {
        let order = self.project.deployment_order(env)?;
        self.check_before_deploying(&order, overrides)?;
        let mut changes = Vec::new();
        for stack in order {
            let change = self
                .deploy_one(stack, overrides.get(&stack.path), dry_run)
                .await?;
            (self.progress)(&format!("{}: {}", change.name, change.action));
            changes.push(change);
        }
        Ok(changes)
    }

    /// Everything that can be checked before touching AWS is: an unset variable found after
    /// the first stacks were created would leave the environment half-deployed. Outputs of
    /// stacks not created yet cannot be known here, so any value stands in for them.
    fn check_before_deploying(
        &self,
        order: &[&StackConfig],
        overrides: &Overrides,
    ) -> Result<(), DeployError> {
        for stack in order {
            let config = without_overridden(stack, overrides.get(&stack.path));
            let mut any_output = |_: &str, _: &str| Some(String::new());
            self.project
                .resolve(&config, &mut any_output, &environment_variable)?;
        }
        Ok(())
    }

    async fn deploy_one(
        &self,
        stack: &StackConfig,
        overrides: Option<&BTreeMap<String, String>>,
        dry_run: bool,
    ) -> Result<StackChange, DeployError> {
        let name = self.project.stack_name(&stack.path);
        let change = |action, changes| StackChange {
            path: stack.path.clone(),
            name: name.clone(),
            action,
            changes,
        };
        let existing = self.describe(&name).await?;
        if let Some(deployed) = &existing {
            refuse_unusable(deployed)?;
        }
        let parameters = match self.resolve_parameters(stack, overrides).await {
            Ok(parameters) => parameters,
            // A dry run of a new environment cannot know outputs of stacks not created yet.
            Err(DeployError::Project(ProjectError::MissingOutput {
                stack: dependency,
                output,
                ..
            })) if dry_run => {
                let after = format!("after {dependency} exists (its {output} output)");
                return Ok(change(StackAction::WouldCreate, vec![after]));
            }
            Err(error) => return Err(error),
        };
        let request = StackRequest {
            body: self.project.template_body(stack)?,
            parameters: parameters
                .iter()
                .map(|(key, value)| parameter(key, value))
                .collect(),
            tags: stack
                .tags
                .iter()
                .map(|(key, value)| tag(key, value))
                .collect(),
            name: name.clone(),
        };
        let (action, lines) = match existing {
            None if dry_run => (StackAction::WouldCreate, parameter_lines(&parameters)),
            None => (self.create(&request).await?, Vec::new()),
            Some(_) => self.update(&request, dry_run).await?,
        };
        Ok(change(action, lines))
    }

    /// A stack's parameters: the Sceptre file's, resolved against its dependencies' outputs
    /// and the environment, then the overrides.
    async fn resolve_parameters(
        &self,
        stack: &StackConfig,
        overrides: Option<&BTreeMap<String, String>>,
    ) -> Result<BTreeMap<String, String>, DeployError> {
        let outputs = self.dependency_outputs(stack).await?;
        let mut lookup = |stack: &str, output: &str| outputs.get(stack)?.get(output).cloned();
        let config = without_overridden(stack, overrides);
        let mut parameters = self
            .project
            .resolve(&config, &mut lookup, &environment_variable)?;
        parameters.extend(overrides.cloned().unwrap_or_default());
        Ok(parameters)
    }

    /// The outputs of the deployed stacks `stack` depends on, by stack name.
    async fn dependency_outputs(
        &self,
        stack: &StackConfig,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, DeployError> {
        let mut outputs = BTreeMap::new();
        for dependency in &stack.dependencies {
            let name = self.project.stack_name(dependency);
            if let Some(deployed) = self.describe(&name).await? {
                outputs.insert(name, deployed.outputs);
            }
        }
        Ok(outputs)
    }

    async fn create(&self, request: &StackRequest) -> Result<StackAction, DeployError> {
        let name = request.name.as_str();
        (self.progress)(&format!("{name}: creating"));
        self.client
            .create_stack()
            .stack_name(name)
            .template_body(&request.body)
            .set_parameters(Some(request.parameters.clone()))
            .set_tags(Some(request.tags.clone()))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .map_err(|error| aws_error("CreateStack", name, &error))?;
        self.wait_for(name, Operation::Create).await?;
        Ok(StackAction::Created)
    }

    /// Updates a deployed stack through a change set: its action and changes.
    async fn update(
        &self,
        request: &StackRequest,
        dry_run: bool,
    ) -> Result<(StackAction, Vec<String>), DeployError> {
        let name = request.name.as_str();
        let Some(pending) = self.change_set(request).await? else {
            return Ok((StackAction::Unchanged, Vec::new()));
        };
        if dry_run {
            self.delete_change_set(name, &pending.name).await;
            return Ok((StackAction::WouldUpdate, pending.lines));
        }
        (self.progress)(&format!("{name}: updating"));
        self.execute_change_set(name, &pending.name).await?;
        self.wait_for(name, Operation::Update).await?;
        Ok((StackAction::Updated, pending.lines))
    }
}

/// A deployed stack CloudFormation can update, or the error that says why it cannot.
fn refuse_unusable(deployed: &Deployed) -> Result<(), DeployError> {
    let (stack, status) = (deployed.name.clone(), deployed.status.clone());
    match stack_health(&deployed.status) {
        StackHealth::Usable => Ok(()),
        StackHealth::Busy => Err(DeployError::Busy { stack, status }),
        StackHealth::Broken => Err(DeployError::Stuck { stack, status }),
    }
}

/// What `!environment_variable NAME` reads: the process environment, as Sceptre does.
fn environment_variable(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn parameter(key: &str, value: &str) -> Parameter {
    Parameter::builder()
        .parameter_key(key)
        .parameter_value(value)
        .build()
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// A new stack's parameters as a dry run lists them: `KEY = VALUE`.
fn parameter_lines(parameters: &BTreeMap<String, String>) -> Vec<String> {
    parameters
        .iter()
        .map(|(key, value)| format!("{key} = {value}"))
        .collect()
}
