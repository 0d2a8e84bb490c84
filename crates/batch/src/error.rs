//! Errors of the AWS Batch backend, and how an AWS SDK failure is classified.
//!
//! - **throttled**: AWS refused the request because of a rate limit (HTTP 429 or a throttling
//!   error code). AWS did not act on it: sending it again cannot duplicate anything.
//! - **transient**: a 5xx answer, a timeout, a broken connection. AWS may or may not have acted
//!   on the request, so a retried SubmitJob must first look for the job it may have created.
//! - **rejected**: AWS understood the request and said no (bad parameters, no permission, a
//!   queue that does not exist). Retrying cannot help; the message says what to check.

use aws_sdk_batch::error::{ProvideErrorMetadata, SdkError};
use fredbatch_core::RunnerError;

/// Error codes AWS services use for rate limiting (the SDK's own list, plus Batch's).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// The longest cause a message keeps: the SDK's own account of an answer it could not read
/// can run to the whole HTTP response.
const MAX_CAUSE_CHARS: usize = 200;

/// How a failed call may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Throttled,
    Transient,
    Rejected,
}

/// One failed AWS call, reduced to what decides retrying and what the user reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    /// Works for every service's errors: they share the SDK's error and response types.
    pub fn from_sdk<E>(error: &SdkError<E>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = error.raw_response().map(|raw| raw.status().as_u16());
        let code = error.code().map(str::to_owned);
        let unreadable = is_unreadable_answer(error);
        let message = match error.message() {
            Some(message) => message.to_owned(),
            // The SDK's wrappers ("service error: unhandled error") say nothing; what the
            // parser choked on does.
            None if unreadable => format!(
                "the response could not be parsed ({})",
                short_cause(innermost(error))
            ),
            None => short_cause(error),
        };
        let kind = match error {
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                if status == Some(429) || code.as_deref().is_some_and(is_throttling_code) {
                    FailureKind::Throttled
                } else if status.is_some_and(|s| s >= 500) {
                    FailureKind::Transient
                } else if unreadable {
                    // The answer could not be read: whatever AWS did is unknown.
                    FailureKind::Transient
                } else {
                    FailureKind::Rejected
                }
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => FailureKind::Transient,
            _ => FailureKind::Rejected,
        };
        Failure {
            kind,
            code,
            message,
        }
    }
}

/// Whether AWS answered but the SDK could not read the answer: a response error, or what the
/// SDK reports for a success answer it cannot deserialize (an unhandled service error with no
/// error code, e.g. when moto or an old Batch returns a field in another type).
fn is_unreadable_answer<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    match error {
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(_) => {
            error.code().is_none()
                && error
                    .raw_response()
                    .is_some_and(|raw| (200..300).contains(&raw.status().as_u16()))
        }
        _ => false,
    }
}

/// The last of `error`'s sources: the one that says what actually went wrong.
fn innermost<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> &'a (dyn std::error::Error + 'static) {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current
}

/// `error` and its sources on one line (`error: source: ...`), at most [`MAX_CAUSE_CHARS`]
/// long. Unlike the SDK's `DisplayErrorContext` it appends no Debug dump, which for an
/// unreadable answer holds the raw HTTP response.
pub fn short_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX_CAUSE_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

pub fn is_throttling_code(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// What went wrong talking to AWS Batch or CloudWatch Logs.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The caller could not record submitted runs (see `SubmitProgress`).
    #[error(transparent)]
    Progress(#[from] RunnerError),
    #[error("AWS refused {operation}: {message}{}. {hint}", code_suffix(.code))]
    Rejected {
        operation: &'static str,
        code: Option<String>,
        message: String,
        hint: &'static str,
    },
    #[error(
        "AWS kept throttling {operation} after {attempts} attempts ({message}); nothing was \
         duplicated: wait a minute and try again (`fredbatch resume JOB_ID` continues a job)"
    )]
    Throttled {
        operation: &'static str,
        attempts: u32,
        message: String,
    },
    #[error(
        "AWS gave no usable answer to {operation} after {attempts} attempts ({message}); check \
         the network and the region or endpoint (AWS_REGION, AWS_ENDPOINT_URL)"
    )]
    Unavailable {
        operation: &'static str,
        attempts: u32,
        message: String,
    },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("AWS answered {operation} without {field}; this is not an answer AWS Batch gives")]
    Malformed {
        operation: &'static str,
        field: &'static str,
    },
    #[error(
        "job definition `{0}` was not found in this region; check AWS_BATCH_JOB_DEFINITION (the \
         stack's {output} output) and AWS_REGION, or run `fredbatch doctor`",
        output = fredbatch_infra::contract::output::JOB_DEFINITION_ARN
    )]
    NoJobDefinition(String),
    #[error("AWS Batch does not know job `{0}` (jobs are kept for a limited time after they end)")]
    UnknownJob(fredbatch_core::BackendJobId),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "each run asks for {asked} (--vcpus/--memory), more than queue `{queue}` can ever start: \
         {}",
        largest_text(.largest)
    )]
    TooLarge {
        asked: fredbatch_core::Resources,
        queue: String,
        largest: Option<crate::capacity::Placeable>,
    },
}

fn largest_text(largest: &Option<crate::capacity::Placeable>) -> String {
    match largest {
        Some(p) => format!(
            "the largest instance type its compute environments allow is {}, which can give one \
             run at most {}; lower --vcpus/--memory, or deploy the stack with larger instance \
             types (or a larger MaxvCpus)",
            p.instance_type, p.most
        ),
        None => "its compute environments have no instance type".to_owned(),
    }
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
}

/// What to check when AWS rejects a request with `code`.
pub fn hint_for(code: Option<&str>) -> &'static str {
    match code.unwrap_or("") {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            "Check that your AWS credentials (AWS_PROFILE, `aws sts get-caller-identity`) allow \
             this AWS Batch / CloudWatch Logs action"
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException" => {
            "Your AWS credentials are missing, expired or for another account: refresh them \
             (e.g. `aws sso login`) or set AWS_PROFILE"
        }
        "ResourceNotFoundException" => {
            "The log group or stream does not exist (yet): check FREDBATCH_LOG_GROUP and the job \
             definition's logConfiguration"
        }
        _ => {
            "Check AWS_BATCH_JOB_QUEUE and AWS_BATCH_JOB_DEFINITION (the stack's outputs) and \
             AWS_REGION; `fredbatch doctor` checks the queue, compute environment and definition"
        }
    }
}

impl BatchError {
    /// What went wrong, without the operation and the advice around it: for a message that
    /// says itself what could not be done.
    pub fn cause(&self) -> String {
        match self {
            BatchError::Rejected { message, .. }
            | BatchError::Throttled { message, .. }
            | BatchError::Unavailable { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// The error for `failure` once retrying is over (or pointless).
    pub fn from_failure(operation: &'static str, failure: Failure, attempts: u32) -> BatchError {
        match failure.kind {
            FailureKind::Throttled => BatchError::Throttled {
                operation,
                attempts,
                message: failure.message,
            },
            FailureKind::Transient => BatchError::Unavailable {
                operation,
                attempts,
                message: failure.message,
            },
            FailureKind::Rejected => BatchError::Rejected {
                operation,
                hint: hint_for(failure.code.as_deref()),
                code: failure.code,
                message: failure.message,
            },
        }
    }
}

impl From<BatchError> for RunnerError {
    fn from(error: BatchError) -> RunnerError {
        let message = error.to_string();
        match error {
            BatchError::Progress(error) => error,
            BatchError::Throttled { .. } => RunnerError::Throttled { message },
            BatchError::Unavailable { .. } => RunnerError::Unavailable { message },
            BatchError::UnknownJob(id) => RunnerError::UnknownJob(id),
            _ => RunnerError::Rejected { message },
        }
    }
}

#[cfg(test)]
mod tests;
