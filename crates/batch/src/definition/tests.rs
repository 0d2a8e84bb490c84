use super::*;
use aws_sdk_batch::types::{ContainerProperties, LogConfiguration};

#[test]
fn the_log_group_comes_from_the_awslogs_driver() {
    let definition = JobDefinition::builder()
        .job_definition_arn("arn:jd:1")
        .status("ACTIVE")
        .tags("team", "epi")
        .container_properties(
            ContainerProperties::builder()
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", "/aws/batch/fred-simulations-dev")
                        .build(),
                )
                .build(),
        )
        .build();
    let info = DefinitionInfo::from_sdk(&definition);
    assert_eq!(
        info.log_group.as_deref(),
        Some("/aws/batch/fred-simulations-dev")
    );
    assert_eq!(info.tag_budget(), 49);
}
