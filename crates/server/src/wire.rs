//! The bodies of the platform API exactly as the epx client sends and parses them: field names,
//! casing (camelCase, except `run_id` in result URLs), and the two status vocabularies (runs
//! are "Submitted" when created and QUEUED/RUNNING/DONE/ERROR when polled), and the query
//! strings it sends (names repeat for lists: `?id=5&id=6`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

/// Every error answer: the client shows `description` to the user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterJobRequest {
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredJob {
    pub id: i64,
    pub user_id: i64,
    pub tags: Vec<String>,
}

/// A request for a URL to upload one artifact to: the job's inputs archive
/// (`context: job, type: input`), a run's `run.json` (`context: run, type: config`, with
/// `runId`) or the job's `job.json` (`context: job, type: config`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrlRequest {
    pub job_id: i64,
    pub context: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub run_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UrlBody {
    pub url: String,
}

/// One `-flag value` pair of a run request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FredArg {
    pub flag: String,
    pub value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Population {
    pub version: String,
    #[serde(default)]
    pub locations: Vec<String>,
}

/// One run as the client asks for it. `workingDir` and `fredFiles` are paths on the client's
/// machine, kept only to be echoed back; the model run is `main.fred` from the inputs archive.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunRequest {
    pub job_id: i64,
    pub working_dir: String,
    pub size: String,
    pub fred_version: String,
    #[serde(default)]
    pub population: Option<Population>,
    pub fred_args: Vec<FredArg>,
    pub fred_files: Vec<String>,
}

/// `POST /runs`: one run per request, all of one job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitRunsRequest {
    pub run_requests: Vec<RunRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunResponse {
    pub run_id: i64,
    pub job_id: i64,
    /// Always "Submitted": the client accepts only "Submitted" or "Failed" here.
    pub status: &'static str,
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<serde_json::Value>>,
    /// The request, echoed.
    pub run_request: RunRequest,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitRunsResponse {
    pub run_responses: Vec<RunResponse>,
}

/// A run as polled (`GET /runs`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    pub id: i64,
    pub job_id: i64,
    pub user_id: i64,
    pub created_ts: String,
    /// The request as it was submitted.
    #[schema(value_type = RunRequest)]
    pub request: Box<RawValue>,
    /// Pending, Running, Succeeded or Failed.
    pub pod_phase: &'static str,
    #[schema(value_type = Option<Object>)]
    pub container_status: Option<serde_json::Value>,
    /// QUEUED, RUNNING, DONE or ERROR.
    pub status: &'static str,
    pub user_deleted: bool,
    /// Why the run ended ERROR (fredbatch's reason: FRED's own error lines), when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunsBody {
    pub runs: Vec<RunInfo>,
}

/// `POST /runs/retry` as JSON (the client itself sends `runRequestIds=5&runRequestIds=6`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryRequest {
    pub run_request_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryResponse {
    pub status: &'static str,
    pub run_request_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunUrl {
    pub run_id: i64,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsUrls {
    pub urls: Vec<RunUrl>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    pub id: i64,
    pub user_id: i64,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub created: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobsBody {
    pub jobs: Vec<JobInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoppedRun {
    pub run_id: i64,
    /// Success, NotFound or Forbidden.
    pub reason: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StopResponse {
    pub description: String,
    pub deleted_ids: Vec<StoppedRun>,
    pub failed_ids: Vec<StoppedRun>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// `GET /jobs` and `GET /jobs/me`: the caller's jobs carrying every tag, created within the
/// dates (inclusive).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    #[serde(default)]
    pub tags: Vec<String>,
    /// YYYY-MM-DD.
    #[param(value_type = Option<String>)]
    pub start_date: Option<NaiveDate>,
    /// YYYY-MM-DD.
    #[param(value_type = Option<String>)]
    pub end_date: Option<NaiveDate>,
}

/// `GET /jobs?latest=true`: the latest matching job rather than all of them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatestQuery {
    #[serde(default)]
    pub latest: bool,
}

/// `GET /runs`: the runs of jobs (`job_id`) and runs by id (`id`), each repeatable.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    #[serde(default)]
    pub job_id: Vec<i64>,
    #[serde(default)]
    pub id: Vec<i64>,
}

/// `PATCH /runs?id=R...`: the runs to stop.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StopQuery {
    pub id: Vec<i64>,
}

/// `GET /jobs/results?job_id=J`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    pub job_id: i64,
}

/// A job's id in a path (`/jobs/{id}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct JobPath {
    pub id: i64,
}
