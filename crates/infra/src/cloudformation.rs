//! Deploying the Sceptre project's stacks with CloudFormation, in dependency order, with the
//! standard AWS configuration (profiles, environment credentials, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`).
//!
//! A new stack is created directly (and waited for); an existing one is updated through a
//! change set, so "nothing to change" is a success and `--dry-run` can show what would change.
//! A failed change set is deleted; a failed stack's events are shown; a stack that is not
//! usable ([`crate::health`]: busy, or left broken by a failure) is reported, never touched.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackStatus, Tag,
};

use crate::health::{StackHealth, stack_health};
use crate::project::{Project, ProjectError, StackConfig};
use crate::stacks::Environment;

/// How often a stack or change set is looked at while waiting.
const POLL: Duration = Duration::from_secs(2);
/// How long a stack may take to create, update or delete.
const PATIENCE: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("CloudFormation refused {operation} for {stack}: {message}")]
    Aws {
        operation: &'static str,
        stack: String,
        message: String,
    },
    #[error(
        "stack {stack} is {status}: CloudFormation cannot update it. Delete it \
         (`fredbatch infra delete` or the console) and deploy again"
    )]
    Stuck { stack: String, status: String },
    #[error(
        "stack {stack} is {status}: an operation on it has not finished (a stack in \
         REVIEW_IN_PROGRESS waits for its change set to be executed or deleted); deploy again \
         once `fredbatch infra status` shows it complete"
    )]
    Busy { stack: String, status: String },
    #[error("stack {stack} ended {status}:\n{events}")]
    Failed {
        stack: String,
        status: String,
        events: String,
    },
    #[error("stack {stack} is not deployed; deploy it with `fredbatch infra deploy --env {env}`")]
    NotDeployed { stack: String, env: String },
    #[error("--param {0}: give KEY=VALUE or STACK_PATH:KEY=VALUE")]
    BadOverride(String),
}

/// What happened to one stack.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StackChange {
    pub path: String,
    pub name: String,
    /// `created`, `updated`, `unchanged`, `would create`, `would update`, `deleted`, `absent`.
    pub action: String,
    /// For dry runs: the changes, one line each.
    pub changes: Vec<String>,
}

/// A deployed stack as CloudFormation describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Deployed {
    pub name: String,
    pub status: String,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
}

/// A CloudFormation client with the standard AWS configuration (profiles, environment
/// credentials, `AWS_ENDPOINT_URL`); in `default_region` unless `AWS_REGION` or
/// `AWS_DEFAULT_REGION` names one.
pub async fn client(default_region: Option<&str>) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let region_set = std::env::var_os("AWS_REGION").is_some()
        || std::env::var_os("AWS_DEFAULT_REGION").is_some();
    if let Some(region) = default_region.filter(|_| !region_set) {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    Client::new(&loader.load().await)
}

/// The one reader of a stack: its status, outputs and parameters from one DescribeStacks, or
/// `None` when it does not exist (or was deleted). What the status allows is
/// [`crate::health::stack_health`]'s to say.
pub async fn read_stack(
    client: &Client,
    stack: &str,
) -> Result<Option<Deployed>, SdkError<DescribeStacksError>> {
    let answer = match client.describe_stacks().stack_name(stack).send().await {
        Ok(answer) => answer,
        // CloudFormation says "Stack with id NAME does not exist" as a ValidationError.
        Err(error)
            if error
                .message()
                .is_some_and(|m| m.contains("does not exist")) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    let pairs = |items: Vec<(Option<&str>, Option<&str>)>| {
        items
            .into_iter()
            .filter_map(|(k, v)| Some((k?.to_owned(), v?.to_owned())))
            .collect::<BTreeMap<_, _>>()
    };
    Ok(answer.stacks().first().and_then(|found| {
        let status = found.stack_status()?.as_str().to_owned();
        (status != StackStatus::DeleteComplete.as_str()).then(|| Deployed {
            name: stack.to_owned(),
            status,
            outputs: pairs(
                found
                    .outputs()
                    .iter()
                    .map(|o| (o.output_key(), o.output_value()))
                    .collect(),
            ),
            parameters: pairs(
                found
                    .parameters()
                    .iter()
                    .map(|p| (p.parameter_key(), p.parameter_value()))
                    .collect(),
            ),
        })
    }))
}

/// CloudFormation's own ValidateTemplate, with the standard AWS configuration.
pub struct TemplateValidator {
    client: Client,
}

impl TemplateValidator {
    pub async fn connect() -> TemplateValidator {
        TemplateValidator {
            client: client(None).await,
        }
    }

    /// Whether CloudFormation accepts the template `body` (of the stack at `path`); its
    /// objection when it does not.
    pub async fn validate(&self, path: &str, body: String) -> Result<(), DeployError> {
        self.client
            .validate_template()
            .template_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| aws_error("ValidateTemplate", path, &error))
    }
}

pub struct Deployer {
    client: Client,
    project: Project,
    /// Told about progress (a line at a time).
    progress: Box<dyn Fn(&str) + Send + Sync>,
}

/// Parameter overrides: `KEY=VALUE` for the batch stack, `STACK_PATH:KEY=VALUE` for any.
pub fn parse_overrides(
    env: Environment,
    raw: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, DeployError> {
    let mut overrides: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for text in raw {
        let (target, assignment) = match text.split_once(':') {
            Some((stack, rest)) if stack.ends_with(".yaml") => (stack.to_owned(), rest),
            _ => (format!("{env}/batch-infrastructure.yaml"), text.as_str()),
        };
        let (key, value) = assignment
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| DeployError::BadOverride(text.clone()))?;
        overrides
            .entry(target)
            .or_default()
            .insert(key.to_owned(), value.to_owned());
    }
    Ok(overrides)
}

impl Deployer {
    /// With the standard AWS configuration; the project's region unless `AWS_REGION` says
    /// otherwise.
    pub async fn connect(project: Project, progress: Box<dyn Fn(&str) + Send + Sync>) -> Deployer {
        Deployer {
            client: client(Some(&project.region)).await,
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
        overrides: &BTreeMap<String, BTreeMap<String, String>>,
        dry_run: bool,
    ) -> Result<Vec<StackChange>, DeployError> {
        let order = self.project.deployment_order(env)?;
        // Everything that can be checked before touching AWS is: an unset variable found after
        // the first stacks were created would leave the environment half-deployed.
        for stack in &order {
            let mut config = (*stack).clone();
            for key in overrides
                .get(&stack.path)
                .into_iter()
                .flat_map(|o| o.keys())
            {
                config.parameters.remove(key);
            }
            let variable = |name: &str| std::env::var(name).ok();
            self.project
                .resolve(&config, &mut |_, _| Some(String::new()), &variable)?;
        }
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

    async fn deploy_one(
        &self,
        stack: &StackConfig,
        overrides: Option<&BTreeMap<String, String>>,
        dry_run: bool,
    ) -> Result<StackChange, DeployError> {
        let name = self.project.stack_name(&stack.path);
        let existing = self.describe(&name).await?;
        let mut outputs = BTreeMap::new();
        for dependency in &stack.dependencies {
            let dependency_name = self.project.stack_name(dependency);
            if let Some(deployed) = self.describe(&dependency_name).await? {
                outputs.insert(dependency_name, deployed.outputs);
            }
        }
        let mut config = stack.clone();
        for key in overrides.into_iter().flat_map(|o| o.keys()) {
            // An override replaces the value, and with it any resolver.
            config.parameters.remove(key);
        }
        let mut lookup = |stack: &str, output: &str| -> Option<String> {
            outputs.get(stack)?.get(output).cloned()
        };
        let variable = |name: &str| std::env::var(name).ok();
        let mut parameters = match self.project.resolve(&config, &mut lookup, &variable) {
            Ok(parameters) => parameters,
            // A dry run of a new environment cannot know outputs of stacks not created yet.
            Err(ProjectError::MissingOutput { stack, output, .. }) if dry_run => {
                return Ok(StackChange {
                    path: config.path.clone(),
                    name,
                    action: "would create".into(),
                    changes: vec![format!("after {stack} exists (its {output} output)")],
                });
            }
            Err(error) => return Err(error.into()),
        };
        parameters.extend(overrides.cloned().unwrap_or_default());
        let body = self.project.template_body(stack)?;
        let parameters: Vec<Parameter> = parameters
            .iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        let tags: Vec<Tag> = stack
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let change = |action: &str, changes: Vec<String>| StackChange {
            path: stack.path.clone(),
            name: name.clone(),
            action: action.to_owned(),
            changes,
        };
        match existing {
            None if dry_run => Ok(change(
                "would create",
                parameters
                    .iter()
                    .map(|p| {
                        format!(
                            "{} = {}",
                            p.parameter_key().unwrap_or_default(),
                            p.parameter_value().unwrap_or_default()
                        )
                    })
                    .collect(),
            )),
            None => {
                (self.progress)(&format!("{name}: creating"));
                self.client
                    .create_stack()
                    .stack_name(&name)
                    .template_body(body)
                    .set_parameters(Some(parameters))
                    .set_tags(Some(tags))
                    .capabilities(Capability::CapabilityIam)
                    .capabilities(Capability::CapabilityNamedIam)
                    .send()
                    .await
                    .map_err(|e| aws_error("CreateStack", &name, &e))?;
                self.wait_for(&name, "CREATE_COMPLETE").await?;
                Ok(change("created", Vec::new()))
            }
            Some(deployed) if stack_health(&deployed.status) == StackHealth::Busy => {
                Err(DeployError::Busy {
                    stack: name.clone(),
                    status: deployed.status,
                })
            }
            Some(deployed) if stack_health(&deployed.status) == StackHealth::Broken => {
                Err(DeployError::Stuck {
                    stack: name.clone(),
                    status: deployed.status,
                })
            }
            Some(_) => {
                let changes = self.change_set(&name, body, parameters, tags).await?;
                let Some((change_set, lines)) = changes else {
                    return Ok(change("unchanged", Vec::new()));
                };
                if dry_run {
                    self.delete_change_set(&name, &change_set).await;
                    return Ok(change("would update", lines));
                }
                (self.progress)(&format!("{name}: updating"));
                self.client
                    .execute_change_set()
                    .stack_name(&name)
                    .change_set_name(&change_set)
                    .send()
                    .await
                    .map_err(|e| aws_error("ExecuteChangeSet", &name, &e))?;
                self.wait_for(&name, "UPDATE_COMPLETE").await?;
                Ok(change("updated", lines))
            }
        }
    }

    /// Creates an update change set and waits for it: `None` when there is nothing to change
    /// (the empty change set is deleted), else its name and its changes.
    async fn change_set(
        &self,
        stack: &str,
        body: String,
        parameters: Vec<Parameter>,
        tags: Vec<Tag>,
    ) -> Result<Option<(String, Vec<String>)>, DeployError> {
        let change_set = format!(
            "fredbatch-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        );
        let created = self
            .client
            .create_change_set()
            .stack_name(stack)
            .change_set_name(&change_set)
            .change_set_type(ChangeSetType::Update)
            .template_body(body)
            .set_parameters(Some(parameters))
            .set_tags(Some(tags))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.message().is_some_and(no_changes) => return Ok(None),
            Err(error) => return Err(aws_error("CreateChangeSet", stack, &error)),
        }
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let described = self
                .client
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(&change_set)
                .send()
                .await
                .map_err(|e| aws_error("DescribeChangeSet", stack, &e))?;
            match described.status() {
                Some(ChangeSetStatus::CreateComplete) => {
                    let lines = described
                        .changes()
                        .iter()
                        .filter_map(|c| c.resource_change())
                        .map(|r| {
                            format!(
                                "{} {} ({})",
                                r.action().map_or("?", |a| a.as_str()),
                                r.logical_resource_id().unwrap_or_default(),
                                r.resource_type().unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>();
                    if lines.is_empty() {
                        self.delete_change_set(stack, &change_set).await;
                        return Ok(None);
                    }
                    return Ok(Some((change_set, lines)));
                }
                Some(ChangeSetStatus::Failed) => {
                    let reason = described.status_reason().unwrap_or_default().to_owned();
                    self.delete_change_set(stack, &change_set).await;
                    // CloudFormation reports "no changes" as a failed change set.
                    if no_changes(&reason) {
                        return Ok(None);
                    }
                    return Err(DeployError::Aws {
                        operation: "CreateChangeSet",
                        stack: stack.to_owned(),
                        message: reason,
                    });
                }
                _ if std::time::Instant::now() > deadline => {
                    self.delete_change_set(stack, &change_set).await;
                    return Err(DeployError::Aws {
                        operation: "CreateChangeSet",
                        stack: stack.to_owned(),
                        message: "the change set was not ready within an hour".into(),
                    });
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Best effort: a change set left behind is harmless, and the error that led here matters more.
    async fn delete_change_set(&self, stack: &str, change_set: &str) {
        let _ = self
            .client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await;
    }

    /// Waits until `stack` reaches `goal`; any other final state is a failure with its events.
    async fn wait_for(&self, stack: &str, goal: &str) -> Result<(), DeployError> {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let status = self.describe(stack).await?.map(|d| d.status);
            match status.as_deref() {
                Some(s) if s == goal => return Ok(()),
                None if goal == "DELETE_COMPLETE" => return Ok(()),
                Some(s) if !s.ends_with("_IN_PROGRESS") || std::time::Instant::now() > deadline => {
                    return Err(DeployError::Failed {
                        stack: stack.to_owned(),
                        status: s.to_owned(),
                        events: self.failure_events(stack).await,
                    });
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// The events that say why a stack failed, one line each.
    async fn failure_events(&self, stack: &str) -> String {
        let Ok(answer) = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
        else {
            return "(its events could not be read)".into();
        };
        let lines: Vec<String> = answer
            .stack_events()
            .iter()
            .filter(|e| {
                e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("FAILED"))
            })
            .map(|e| {
                format!(
                    "  {} {}: {}",
                    e.logical_resource_id().unwrap_or_default(),
                    e.resource_status().map_or("", |s| s.as_str()),
                    e.resource_status_reason().unwrap_or_default()
                )
            })
            .collect();
        if lines.is_empty() {
            "(no failed resource events)".into()
        } else {
            lines.join("\n")
        }
    }

    /// A stack by name, or `None` when it does not exist.
    pub async fn describe(&self, stack: &str) -> Result<Option<Deployed>, DeployError> {
        read_stack(&self.client, stack)
            .await
            .map_err(|error| aws_error("DescribeStacks", stack, &error))
    }

    /// Every stack of an environment, deployed or not, in deployment order.
    pub async fn status(
        &self,
        env: Environment,
    ) -> Result<Vec<(String, Option<Deployed>)>, DeployError> {
        let mut found = Vec::new();
        for stack in self.project.deployment_order(env)? {
            let name = self.project.stack_name(&stack.path);
            found.push((stack.path.clone(), self.describe(&name).await?));
        }
        Ok(found)
    }

    /// Deletes an environment's own stacks (`config/<env>/`), dependents first. Stacks shared
    /// with other environments (the image repository) are kept.
    pub async fn delete(&self, env: Environment) -> Result<Vec<StackChange>, DeployError> {
        let mut changes = Vec::new();
        let prefix = format!("{env}/");
        let order = self.project.deployment_order(env)?;
        for stack in order.iter().rev().filter(|s| s.path.starts_with(&prefix)) {
            let name = self.project.stack_name(&stack.path);
            let action = if self.describe(&name).await?.is_some() {
                (self.progress)(&format!("{name}: deleting"));
                self.client
                    .delete_stack()
                    .stack_name(&name)
                    .send()
                    .await
                    .map_err(|e| aws_error("DeleteStack", &name, &e))?;
                self.wait_for(&name, "DELETE_COMPLETE").await?;
                "deleted"
            } else {
                "absent"
            };
            changes.push(StackChange {
                path: stack.path.clone(),
                name,
                action: action.into(),
                changes: Vec::new(),
            });
        }
        Ok(changes)
    }

    /// The deployed batch stack of an environment.
    pub async fn batch_stack(&self, env: Environment) -> Result<Deployed, DeployError> {
        let name = self
            .project
            .stack_name(&format!("{env}/batch-infrastructure.yaml"));
        self.describe(&name)
            .await?
            .ok_or_else(|| DeployError::NotDeployed {
                stack: name,
                env: env.to_string(),
            })
    }
}

/// How CloudFormation says an update would change nothing (as a failed change set, or as an
/// error of CreateChangeSet itself).
fn no_changes(message: &str) -> bool {
    message.contains("didn't contain changes") || message.contains("No updates are to be performed")
}

fn aws_error<E>(operation: &'static str, stack: &str, error: &SdkError<E>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    DeployError::Aws {
        operation,
        stack: stack.to_owned(),
        message: error
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| DisplayErrorContext(error).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_go_to_the_batch_stack_unless_a_stack_is_named() {
        let overrides = parse_overrides(
            Environment::Dev,
            &[
                "MaxvCpus=32".into(),
                "dev/s3-results-bucket.yaml:InfrequentAccessAfterDays=60".into(),
                "DatabaseSecretArn=arn:aws:secretsmanager:us-east-1:1:secret:x".into(),
            ],
        )
        .unwrap();
        assert_eq!(overrides["dev/batch-infrastructure.yaml"]["MaxvCpus"], "32");
        assert_eq!(
            overrides["dev/batch-infrastructure.yaml"]["DatabaseSecretArn"],
            "arn:aws:secretsmanager:us-east-1:1:secret:x",
            "a colon inside the value is not a stack path"
        );
        assert_eq!(
            overrides["dev/s3-results-bucket.yaml"]["InfrequentAccessAfterDays"],
            "60"
        );
        assert!(parse_overrides(Environment::Dev, &["novalue".into()]).is_err());
    }
}
