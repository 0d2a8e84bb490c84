//! The moto server the tests run against (`FREDBATCH_TEST_MOTO_URL`, started by scripts/test),
//! and a fresh AWS Batch setup in it for each test: an IAM service role, a compute
//! environment, a job queue, a job definition that logs to its own log group, and that group;
//! and, for the tests that need them, fallback queues and managed compute environments
//! (On-Demand or Spot, in moto's default VPC, with no instance running).
//! Names are unique, so many test processes can share one server.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_batch::config::Credentials;
use aws_sdk_batch::types::{
    CeState, CeType, ComputeEnvironmentOrder, ComputeResource, ContainerProperties, CrType,
    JobDefinitionType, JqState, LogConfiguration, LogDriver, ResourceRequirement, ResourceType,
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
    /// The IAM service role its compute environment uses.
    pub service_role: String,
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
            .service_role(&role)
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
            service_role: role,
            direct,
        }
    }

    /// A second queue on the same compute environment, standing for the On-Demand fallback.
    pub async fn create_fallback_queue(&self) -> String {
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
        self.create_queue_on(&arn).await
    }

    /// A queue of its own on the compute environment `arn`.
    pub async fn create_queue_on(&self, arn: &str) -> String {
        let queue = unique("fred-fallback-queue");
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

    /// A managed compute environment whose instances are `market`'s (`EC2`: On-Demand, or
    /// `SPOT`), in moto's default VPC, scaling from 0 (so no instance starts); returns its ARN.
    pub async fn create_managed_environment(&self, market: CrType) -> String {
        let moto = moto_url();
        let profile = unique("fred-instance-profile");
        let created = query(
            &moto,
            "iam",
            &format!("CreateInstanceProfile&InstanceProfileName={profile}"),
        )
        .await;
        let profile_arn = xml_values(&created, "Arn").remove(0);
        let subnets = query(
            &moto,
            "ec2",
            "DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true",
        )
        .await;
        let groups = query(
            &moto,
            "ec2",
            "DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=default",
        )
        .await;
        let resources = ComputeResource::builder()
            .r#type(market.clone())
            .minv_cpus(0)
            .maxv_cpus(16)
            .instance_types("c5.xlarge")
            .instance_types("c5.2xlarge")
            .set_subnets(Some(xml_values(&subnets, "subnetId")))
            .security_group_ids(xml_values(&groups, "groupId").remove(0))
            .instance_role(profile_arn)
            .build();
        let name = unique(&format!("fred-{}-ce", market.as_str().to_lowercase()));
        self.direct
            .batch
            .create_compute_environment()
            .compute_environment_name(&name)
            .r#type(CeType::Managed)
            .state(CeState::Enabled)
            .service_role(&self.service_role)
            .compute_resources(resources)
            .send()
            .await
            .expect("creating a managed compute environment in moto")
            .compute_environment_arn()
            .unwrap()
            .to_owned()
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
    let text = query(
        moto,
        "iam",
        &format!("CreateRole&RoleName={name}&AssumeRolePolicyDocument=%7B%7D"),
    )
    .await;
    xml_values(&text, "Arn")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("moto did not create the role: {text}"))
}

/// A call to one of moto's query APIs (`iam`, `ec2`), spoken directly: the tests need no SDK
/// of theirs. Returns the answer's body.
async fn query(moto: &str, service: &str, action_and_params: &str) -> String {
    let (host, version) = match service {
        "ec2" => ("ec2.us-east-1.amazonaws.com", "2016-11-15"),
        _ => ("iam.amazonaws.com", "2010-05-08"),
    };
    let body = format!("Action={action_and_params}&Version={version}");
    let mut request = Message {
        start: "POST / HTTP/1.1".into(),
        headers: vec![
            ("Host".into(), host.into()),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            (
                "Authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{service}/aws4_request, \
                     SignedHeaders=host, Signature=0"
                ),
            ),
        ],
        body: Vec::new(),
    };
    request.set_body(body.into_bytes());
    let answer = exchange(moto.trim_start_matches("http://"), request)
        .await
        .unwrap_or_else(|e| panic!("calling moto's {service}: {e}"));
    String::from_utf8_lossy(&answer.body).into_owned()
}

/// The text of every `<tag>...</tag>` in an XML answer.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next().map(str::to_owned))
        .collect()
}
