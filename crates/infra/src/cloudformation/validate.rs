//! CloudFormation's own template validation (ValidateTemplate), beside fredbatch's offline
//! checks ([`crate::checks`]).

use aws_config::SdkConfig;
use aws_sdk_cloudformation::Client;

use super::error::{DeployError, aws_error};

/// Asks CloudFormation whether templates are valid.
pub struct TemplateValidator {
    client: Client,
}

impl TemplateValidator {
    /// With the caller's AWS configuration (credentials, region, endpoint).
    pub fn new(sdk: &SdkConfig) -> TemplateValidator {
        TemplateValidator {
            client: Client::new(sdk),
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
