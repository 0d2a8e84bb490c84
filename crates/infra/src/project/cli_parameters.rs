//! The AWS CLI's parameter files (`config/<env>/batch-infrastructure-params.json`), for
//! deploying with `aws cloudformation create-stack` instead of Sceptre; generated from the
//! Sceptre files so the two never disagree.

use super::{ParameterValue, Project, StackConfig};

impl Project {
    /// A stack's parameters as the AWS CLI reads them (`aws cloudformation create-stack
    /// --parameters file://...`). Values Sceptre resolves at deploy time become placeholders:
    /// `$NAME` for environment variables (`envsubst` fills them) and `<Output of stack>` for
    /// stack outputs (`aws cloudformation describe-stacks` shows them).
    pub fn cli_parameters(&self, stack: &StackConfig) -> String {
        let parameters: Vec<serde_json::Value> = stack
            .parameters
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    ParameterValue::Text(text) => text.clone(),
                    ParameterValue::EnvironmentVariable(name) => format!("${name}"),
                    ParameterValue::StackOutput { stack, output } => {
                        format!("<{output} of {}>", self.stack_name(stack))
                    }
                };
                serde_json::json!({ "ParameterKey": key, "ParameterValue": value })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&parameters).expect("parameters serialize");
        text.push('\n');
        text
    }
}
