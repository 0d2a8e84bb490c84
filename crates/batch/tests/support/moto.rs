//! The moto server the tests run against (`FREDBATCH_TEST_MOTO_URL`, started by scripts/test),
//! and a fresh AWS Batch setup in it for each test: an IAM service role, a compute
//! environment, a job queue, a job definition that logs to its own log group, and that group.
//! Names are unique, so many test processes can share one server.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_batch::config::Credentials;
use aws_sdk_batch::types::{
    CeState, CeType, ComputeEnvironmentOrder, ContainerProperties, JobDefinitionType, JqState,
    LogConfiguration, LogDriver, ResourceRequirement, ResourceType,
};
use fredbatch_batch::{BatchConfig, BatchRunner, Clients};

pub use fredbatch_testkit::moto_url;
use fredbatch_testkit::unique;

use super::http::{Message, exchange};

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "fredbatch-tests",
        ))
        .load()
        .await
}

pub async fn clients(endpoint: &str) -> Clients {
    Clients::from_sdk_config(&sdk_config(endpoint).await)
}

pub struct Setup {
    pub queue: String,
    pub definition_arn: String,
    pub log_group: String,
    pub compute_environment: String,
    /// Clients talking to moto directly, for arranging and checking.
    pub direct: Clients,
}

impl Setup {
    pub async fn create() -> Setup {
        let moto = moto_url();
        let direct = clients(&moto).await;
        let role = create_role(&moto, &unique("fred-batch-service")).await;
        let compute_environment = unique("fred-ce");
        let ce = direct
            .batch
            .create_compute_environment()
            .compute_environment_name(&compute_environment)
            .r#type(CeType::Unmanaged)
            .state(CeState::Enabled)
            .service_role(role)
            .send()
            .await
            .expect("creating the compute environment in moto");
        let queue = unique("fred-queue");
        direct
            .batch
            .create_job_queue()
            .job_queue_name(&queue)
            .state(JqState::Enabled)
            .priority(1)
            .compute_environment_order(
                ComputeEnvironmentOrder::builder()
                    .order(1)
                    .compute_environment(ce.compute_environment_arn().unwrap())
                    .build(),
            )
            .send()
            .await
            .expect("creating the job queue in moto");
        let log_group = format!("/aws/batch/{}", unique("fred-simulations"));
        direct
            .logs
            .create_log_group()
            .log_group_name(&log_group)
            .send()
            .await
            .expect("creating the log group in moto");
        let definition_name = unique("fred-def");
        let requirement = |kind, value: &str| {
            ResourceRequirement::builder()
                .r#type(kind)
                .value(value)
                .build()
        };
        let definition = direct
            .batch
            .register_job_definition()
            .job_definition_name(&definition_name)
            .r#type(JobDefinitionType::Container)
            .tags("project", "fred")
            .container_properties(
                ContainerProperties::builder()
                    .image("simulation-runner:latest")
                    .resource_requirements(requirement(ResourceType::Vcpu, "4"))
                    .resource_requirements(requirement(ResourceType::Memory, "8192"))
                    .log_configuration(
                        LogConfiguration::builder()
                            .log_driver(LogDriver::Awslogs)
                            .options("awslogs-group", &log_group)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("registering the job definition in moto");
        Setup {
            queue,
            definition_arn: definition.job_definition_arn().unwrap().to_owned(),
            log_group,
            compute_environment,
            direct,
        }
    }

    /// A second queue on the same compute environment, standing for the On-Demand fallback.
    pub async fn create_fallback_queue(&self) -> String {
        let queue = unique("fred-fallback-queue");
        let arn = self
            .direct
            .batch
            .describe_compute_environments()
            .compute_environments(&self.compute_environment)
            .send()
            .await
            .expect("describing the compute environment in moto")
            .compute_environments()[0]
            .compute_environment_arn()
            .unwrap()
            .to_owned();
        self.direct
            .batch
            .create_job_queue()
            .job_queue_name(&queue)
            .state(JqState::Enabled)
            .priority(1)
            .compute_environment_order(
                ComputeEnvironmentOrder::builder()
                    .order(1)
                    .compute_environment(arn)
                    .build(),
            )
            .send()
            .await
            .expect("creating the fallback queue in moto");
        queue
    }

    /// A configuration for this setup, with the rate limit lifted (moto has none).
    pub fn config(&self) -> BatchConfig {
        let mut config = BatchConfig::new(&self.queue, &self.definition_arn);
        config.submit_rate = 1000;
        config.submit_burst = 50;
        config.user = Some("tester".into());
        config
    }

    /// A runner talking to `endpoint` (moto, or a proxy in front of it).
    pub async fn runner(&self, endpoint: &str, config: BatchConfig) -> BatchRunner {
        BatchRunner::with_clients(config, clients(endpoint).await)
    }

    /// Every top-level job (no array children) of this queue whose name starts with `prefix`.
    /// The sorted names of the queue's jobs (not array children) whose name starts with `prefix`.
    pub async fn job_names(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .jobs_named(prefix)
            .await
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    }

    pub async fn jobs_named(&self, prefix: &str) -> Vec<(String, String)> {
        let page = self
            .direct
            .batch
            .list_jobs()
            .job_queue(&self.queue)
            .filters(
                aws_sdk_batch::types::KeyValuesPair::builder()
                    .name("JOB_NAME")
                    .values(format!("{prefix}*"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        page.job_summary_list()
            .iter()
            .filter(|s| !s.job_id().unwrap().contains(':'))
            .map(|s| {
                (
                    s.job_name().unwrap().to_owned(),
                    s.job_id().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// IAM's query API, spoken directly: the tests need one role and no IAM SDK.
async fn create_role(moto: &str, name: &str) -> String {
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"
    );
    let mut request = Message {
        start: "POST / HTTP/1.1".into(),
        headers: vec![
            ("Host".into(), "iam.amazonaws.com".into()),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            (
                "Authorization".into(),
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, \
                 SignedHeaders=host, Signature=0"
                    .into(),
            ),
        ],
        body: Vec::new(),
    };
    request.set_body(body.into_bytes());
    let answer = exchange(moto.trim_start_matches("http://"), request)
        .await
        .expect("calling moto's IAM");
    let text = String::from_utf8_lossy(&answer.body);
    let arn = text
        .split("<Arn>")
        .nth(1)
        .and_then(|rest| rest.split("</Arn>").next())
        .unwrap_or_else(|| panic!("moto did not create the role: {text}"));
    arn.to_owned()
}
