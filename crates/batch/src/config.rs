//! What the AWS Batch backend needs to know: which queue and job definition to submit to, where
//! the logs are, and how hard it may push the API.
//!
//! The queue and definition come from the environment, as the AWS Batch design this project
//! implements configures its application (`AWS_BATCH_JOB_QUEUE`, `AWS_BATCH_JOB_DEFINITION`;
//! see `docs/design.md`), or from a deployed stack's outputs (`BatchJobQueueName`,
//! `BatchJobDefinitionArn`, `BatchLogGroupName`, named in [`fredbatch_infra::contract`]). The
//! On-Demand fallback queue, optional, comes from `AWS_BATCH_FALLBACK_JOB_QUEUE` or the stack's
//! `BatchFallbackJobQueueName` output (a stack deployed without a fallback has none).
//! Credentials, region and endpoint are the AWS SDK's own business (profiles, `AWS_REGION`,
//! `AWS_ENDPOINT_URL`, ...).

use std::collections::HashMap;

use fredbatch_core::AwsBatchTarget;
use fredbatch_infra::contract::output as stack_output;

/// Batch's account-wide SubmitJob limit is 50 requests per second; the default stays below it
/// (rate + burst), leaving room for other clients of the account.
pub const DEFAULT_SUBMIT_RATE: u32 = 40;
pub const DEFAULT_SUBMIT_BURST: u32 = 5;
/// SubmitJob calls in flight at once.
pub const DEFAULT_SUBMIT_CONCURRENCY: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    /// Job queue name or ARN.
    pub job_queue: String,
    /// Job definition ARN, `name:revision`, or a name (its latest ACTIVE revision).
    pub job_definition: String,
    /// The CloudWatch log group, when the job definition does not name one in its
    /// logConfiguration (`FREDBATCH_LOG_GROUP`, or the stack's `BatchLogGroupName` output).
    pub log_group: Option<String>,
    /// Submit the contiguous runs of a job as array jobs (`FREDBATCH_ARRAY_JOBS=false` turns it
    /// off: one Batch job per run).
    pub array_jobs: bool,
    /// SubmitJob requests per second, and how many may go at once after a pause.
    pub submit_rate: u32,
    pub submit_burst: u32,
    pub submit_concurrency: usize,
    /// Recorded as the `fredbatch:user` tag, for cost attribution.
    pub user: Option<String>,
    /// Variables every run's container gets (e.g. FREDBATCH_UPLOADS / FREDBATCH_RESULTS).
    pub environment: Vec<(String, String)>,
    /// The On-Demand queue runs go on in once Spot gave up on them; `None`: they stay on Spot.
    pub fallback_queue: Option<String>,
}

/// The variable naming the fallback queue.
pub const FALLBACK_QUEUE_VAR: &str = "AWS_BATCH_FALLBACK_JOB_QUEUE";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "the AWS Batch backend needs a job queue and a job definition: set AWS_BATCH_JOB_QUEUE \
         and AWS_BATCH_JOB_DEFINITION (the stack's {queue} and {definition} outputs), or name a \
         deployed stack with --stack (missing: {missing})",
        queue = stack_output::JOB_QUEUE_NAME,
        definition = stack_output::JOB_DEFINITION_ARN
    )]
    Missing { missing: String },
    #[error(
        "stack `{stack}` has no output {output}; is it the AWS Batch stack (deployed by `fredbatch infra deploy`)?"
    )]
    MissingOutput { stack: String, output: &'static str },
    #[error("{name} is `{value}`: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl BatchConfig {
    pub fn new(job_queue: impl Into<String>, job_definition: impl Into<String>) -> BatchConfig {
        BatchConfig {
            job_queue: job_queue.into(),
            job_definition: job_definition.into(),
            log_group: None,
            array_jobs: true,
            submit_rate: DEFAULT_SUBMIT_RATE,
            submit_burst: DEFAULT_SUBMIT_BURST,
            submit_concurrency: DEFAULT_SUBMIT_CONCURRENCY,
            user: None,
            environment: Vec::new(),
            fallback_queue: None,
        }
    }

    /// From the process environment.
    pub fn from_env() -> Result<BatchConfig, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From a lookup of variables (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<BatchConfig, ConfigError> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let queue = get("AWS_BATCH_JOB_QUEUE");
        let definition = get("AWS_BATCH_JOB_DEFINITION");
        let (Some(queue), Some(definition)) = (queue.clone(), definition.clone()) else {
            let missing = [
                ("AWS_BATCH_JOB_QUEUE", queue.is_none()),
                ("AWS_BATCH_JOB_DEFINITION", definition.is_none()),
            ]
            .iter()
            .filter(|(_, absent)| *absent)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ");
            return Err(ConfigError::Missing { missing });
        };
        let mut config = BatchConfig::new(queue, definition);
        config.fallback_queue = get(FALLBACK_QUEUE_VAR);
        config.apply_tuning(&get)?;
        Ok(config)
    }

    /// For a job registered earlier: the queue, definition and log group it recorded; tuning
    /// variables still come from `var`.
    pub fn for_target(
        target: AwsBatchTarget,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<BatchConfig, ConfigError> {
        let mut config = BatchConfig::new(target.job_queue, target.job_definition);
        config.log_group = target.log_group;
        config.environment = target.environment;
        config.fallback_queue = target.fallback_queue;
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        config.apply_tuning(&get)?;
        Ok(config)
    }

    /// What a job records (as its [`fredbatch_core::BackendTarget`]) so later commands reach
    /// the same queue and logs.
    pub fn target(&self) -> AwsBatchTarget {
        AwsBatchTarget {
            job_queue: self.job_queue.clone(),
            job_definition: self.job_definition.clone(),
            log_group: self.log_group.clone(),
            environment: self.environment.clone(),
            fallback_queue: self.fallback_queue.clone(),
        }
    }

    /// From a deployed stack's outputs; tuning variables still come from `var`.
    pub fn from_stack_outputs(
        stack: &str,
        outputs: &HashMap<String, String>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<BatchConfig, ConfigError> {
        let output = |name: &'static str| {
            outputs
                .get(name)
                .cloned()
                .ok_or_else(|| ConfigError::MissingOutput {
                    stack: stack.to_owned(),
                    output: name,
                })
        };
        let mut config = BatchConfig::new(
            output(stack_output::JOB_QUEUE_NAME)?,
            output(stack_output::JOB_DEFINITION_ARN)?,
        );
        config.log_group = outputs.get(stack_output::LOG_GROUP_NAME).cloned();
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        // The variable wins, as FREDBATCH_LOG_GROUP does over the log group output.
        config.fallback_queue = get(FALLBACK_QUEUE_VAR)
            .or_else(|| outputs.get(stack_output::FALLBACK_JOB_QUEUE_NAME).cloned());
        config.apply_tuning(&get)?;
        Ok(config)
    }

    fn apply_tuning(&mut self, get: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(group) = get("FREDBATCH_LOG_GROUP") {
            self.log_group = Some(group);
        }
        if let Some(value) = get("FREDBATCH_ARRAY_JOBS") {
            self.array_jobs = match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "FREDBATCH_ARRAY_JOBS",
                        value,
                        expected: "true or false",
                    });
                }
            };
        }
        if let Some(value) = get("FREDBATCH_SUBMIT_RATE") {
            self.submit_rate = value
                .trim()
                .parse()
                .ok()
                .filter(|rate| (1..=50).contains(rate))
                .ok_or(ConfigError::Invalid {
                    name: "FREDBATCH_SUBMIT_RATE",
                    value,
                    expected: "SubmitJob requests per second, 1 to 50 (Batch's account limit)",
                })?;
            self.submit_burst = self.submit_burst.min(50 - self.submit_rate).max(1);
        }
        self.user = get("FREDBATCH_USER").or_else(|| get("USER"));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
