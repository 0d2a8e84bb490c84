//! What this backend needs from the job definition: its tags (Batch fails a job whose own tags
//! plus its definition's exceed 50 once propagated), where its logs go (the awslogs driver's
//! `awslogs-group`), and whether it is ACTIVE (for `fredbatch doctor`).

use aws_sdk_batch::types::{JobDefinition, LogDriver};

use crate::calls::retrying;
use crate::error::BatchError;

/// Batch's limit on a job's tags plus its definition's tags.
pub const MAX_TAGS: usize = 50;
/// Where Batch writes container logs when the definition names no group.
pub const BATCH_DEFAULT_LOG_GROUP: &str = "/aws/batch/job";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefinitionInfo {
    pub arn: String,
    pub status: String,
    pub tag_count: usize,
    /// The awslogs driver's group, when the definition sets one.
    pub log_group: Option<String>,
}

impl DefinitionInfo {
    fn from_sdk(definition: &JobDefinition) -> DefinitionInfo {
        let log_group = definition
            .container_properties()
            .and_then(|c| c.log_configuration())
            .filter(|l| l.log_driver() == Some(&LogDriver::Awslogs))
            .and_then(|l| l.options())
            .and_then(|o| o.get("awslogs-group"))
            .cloned();
        DefinitionInfo {
            arn: definition
                .job_definition_arn()
                .unwrap_or_default()
                .to_owned(),
            status: definition.status().unwrap_or_default().to_owned(),
            tag_count: definition.tags().map_or(0, |t| t.len()),
            log_group,
        }
    }

    /// How many tags a job may carry beside the definition's.
    pub fn tag_budget(&self) -> usize {
        MAX_TAGS.saturating_sub(self.tag_count)
    }
}

/// The one-line warning when the definition cannot be read and submissions go ahead as if it
/// had no tags: which definition, and why, never the raw answer.
pub fn unreadable_warning(reference: &str, error: &BatchError) -> String {
    format!(
        "cannot read job definition {reference}: {}; assuming it has no tags",
        error.cause()
    )
}

/// Looks the definition up: an ARN or `name:revision` exactly, a bare name as its latest
/// ACTIVE revision. `None` when no such definition exists.
pub async fn lookup(
    client: &aws_sdk_batch::Client,
    reference: &str,
) -> Result<Option<DefinitionInfo>, BatchError> {
    let exact = reference.contains(':');
    let mut next_token = None;
    let mut best: Option<JobDefinition> = None;
    loop {
        let request = if exact {
            client.describe_job_definitions().job_definitions(reference)
        } else {
            client
                .describe_job_definitions()
                .job_definition_name(reference)
                .status("ACTIVE")
        }
        .set_next_token(next_token.clone());
        let page = retrying("DescribeJobDefinitions", || request.clone().send()).await?;
        for definition in page.job_definitions() {
            if best
                .as_ref()
                .is_none_or(|b| b.revision() < definition.revision())
            {
                best = Some(definition.clone());
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    Ok(best.as_ref().map(DefinitionInfo::from_sdk))
}

#[cfg(test)]
mod tests;
