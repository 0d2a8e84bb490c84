//! The AWS SDK clients this backend uses (Batch and CloudWatch Logs), configured once: the SDK's
//! standard loader (profiles, environment credentials, `AWS_REGION`, `AWS_ENDPOINT_URL`),
//! adaptive retries, timeouts, and a counter of every HTTP request sent, so the cost of a status
//! refresh can be measured rather than guessed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_batch::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_batch::config::retry::{RetryConfig, RetryMode};
use aws_sdk_batch::config::timeout::TimeoutConfig;
use aws_sdk_batch::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_batch::error::BoxError;

/// Attempts the SDK makes per call (its own retries), before this crate's backoff.
const SDK_MAX_ATTEMPTS: u32 = 4;

/// Counts requests per API operation. Every attempt counts, retries included.
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    fn record(&self, operation: String) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(operation).or_default() += 1;
        }
    }
}

/// Batch's REST paths are the operation's name in lower case (`/v1/describejobs`).
const BATCH_OPERATIONS: &[&str] = &[
    "SubmitJob",
    "DescribeJobs",
    "ListJobs",
    "CancelJob",
    "TerminateJob",
    "DescribeJobDefinitions",
    "DescribeJobQueues",
    "DescribeComputeEnvironments",
];

/// The operation a request calls: JSON-RPC services name it in `X-Amz-Target`
/// (`Logs_20140328.GetLogEvents`), REST ones in the path. Public for test proxies that count
/// requests the same way.
pub fn operation_of(path: &str, target: Option<&str>) -> String {
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let segment = path
        .split('?')
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("");
    BATCH_OPERATIONS
        .iter()
        .find(|name| name.eq_ignore_ascii_case(segment))
        .map_or_else(|| segment.to_owned(), |name| (*name).to_owned())
}

#[derive(Debug)]
struct CountRequests(RequestCounter);

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "fredbatch-count-requests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let uri = request.uri().to_owned();
        let path = uri.splitn(4, '/').nth(3).unwrap_or("");
        let target = request.headers().get("x-amz-target");
        self.0.record(operation_of(path, target));
        Ok(())
    }
}

/// The configured clients, cheap to clone.
#[derive(Clone, Debug)]
pub struct Clients {
    pub batch: aws_sdk_batch::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub requests: RequestCounter,
}

impl Clients {
    /// Loads the AWS configuration the standard way (what the AWS CLI would use).
    pub async fn from_environment() -> Clients {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Clients::from_sdk_config(&sdk)
    }

    pub fn from_sdk_config(sdk: &aws_config::SdkConfig) -> Clients {
        let requests = RequestCounter::default();
        let retry = RetryConfig::standard()
            .with_retry_mode(RetryMode::Adaptive)
            .with_max_attempts(SDK_MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(5));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(120))
            .build();
        let batch = aws_sdk_batch::config::Builder::from(sdk)
            .retry_config(retry.clone())
            .timeout_config(timeouts.clone())
            .interceptor(CountRequests(requests.clone()))
            .build();
        let logs = aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .retry_config(retry)
            .timeout_config(timeouts)
            .interceptor(CountRequests(requests.clone()))
            .build();
        Clients {
            batch: aws_sdk_batch::Client::from_conf(batch),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs),
            requests,
        }
    }
}

/// A per-call override turning the SDK's retries off: SubmitJob is retried only by
/// [`crate::submit`], which looks for the job a lost answer may have created before resending.
pub fn no_sdk_retries() -> aws_sdk_batch::config::Builder {
    aws_sdk_batch::config::Builder::default().retry_config(RetryConfig::disabled())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_from_path_or_target() {
        assert_eq!(operation_of("v1/describejobs", None), "DescribeJobs");
        assert_eq!(
            operation_of("", Some("Logs_20140328.GetLogEvents")),
            "GetLogEvents"
        );
        assert_eq!(operation_of("v1/somethingnew", None), "somethingnew");
    }
}
