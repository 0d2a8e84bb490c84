//! Deleting an environment's own stacks, dependents first.

use super::Deployer;
use super::error::{DeployError, aws_error};
use super::outcome::{StackAction, StackChange};
use super::wait::Operation;
use crate::stacks::Environment;

impl Deployer {
    /// Deletes an environment's own stacks (`config/<env>/`), dependents first. Stacks shared
    /// with other environments (the image repository) are kept.
    pub async fn delete(&self, env: Environment) -> Result<Vec<StackChange>, DeployError> {
        let prefix = format!("{env}/");
        let order = self.project.deployment_order(env)?;
        let mut changes = Vec::new();
        for stack in order.iter().rev().filter(|s| s.path.starts_with(&prefix)) {
            let name = self.project.stack_name(&stack.path);
            let action = self.delete_one(&name).await?;
            changes.push(StackChange {
                path: stack.path.clone(),
                name,
                action,
                changes: Vec::new(),
            });
        }
        Ok(changes)
    }

    async fn delete_one(&self, name: &str) -> Result<StackAction, DeployError> {
        if self.describe(name).await?.is_none() {
            return Ok(StackAction::Absent);
        }
        (self.progress)(&format!("{name}: deleting"));
        self.client
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|error| aws_error("DeleteStack", name, &error))?;
        self.wait_for(name, Operation::Delete).await?;
        Ok(StackAction::Deleted)
    }
}
