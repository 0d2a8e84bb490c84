//! Parameter overrides given on the command line (`--param`): `KEY=VALUE` for the batch stack,
//! `STACK_PATH:KEY=VALUE` for any stack. An override replaces the Sceptre file's value, and
//! with it any resolver the value had.

use std::collections::BTreeMap;

use super::error::DeployError;
use crate::project::{StackConfig, batch_stack_path};
use crate::stacks::Environment;

/// Overridden parameter values by stack path, then by parameter name.
pub type Overrides = BTreeMap<String, BTreeMap<String, String>>;

/// Parses `--param` values; one without `=` (or with an empty name) is refused.
pub fn parse_overrides(env: Environment, raw: &[String]) -> Result<Overrides, DeployError> {
    let mut overrides = Overrides::new();
    for text in raw {
        let (target, assignment) = match text.split_once(':') {
            Some((stack, rest)) if stack.ends_with(".yaml") => (stack.to_owned(), rest),
            _ => (batch_stack_path(env), text.as_str()),
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

/// `stack` with the overridden parameters taken out, so their resolvers are never run (an
/// overridden `!environment_variable` need not be set).
pub(super) fn without_overridden(
    stack: &StackConfig,
    overrides: Option<&BTreeMap<String, String>>,
) -> StackConfig {
    let mut config = stack.clone();
    for key in overrides.into_iter().flat_map(BTreeMap::keys) {
        config.parameters.remove(key);
    }
    config
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
