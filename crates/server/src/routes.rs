//! The HTTP edge: routes, extracting the caller and the request, answering. Each handler is a
//! few lines over [`Service`]; errors become `{"description"}` bodies in `ApiError`.
//!
//! Bodies are read as raw bytes where the client is loose: GETs carry a JSON content type and
//! no body, and `/runs/retry` sends a form under a JSON content type.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use bytes::Bytes;
use fredbatch_store::User;

use crate::auth::presented_token;
use crate::error::ApiError;
use crate::service::{Service, pairs};
use crate::signing::{Bucket, Method};
use crate::wire::*;

type AppState = Arc<Service>;
type ApiResult<T> = Result<Json<T>, ApiError>;

/// JSON request bodies (a job's run requests) may be this large.
const JSON_BODY_LIMIT: usize = 64 << 20;

/// The account a request's token belongs to; requests without a valid one are refused.
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .authenticate(presented_token(&parts.headers))
            .await
            .map(Caller)
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not the JSON expected: {e}")))
}

pub fn router(service: AppState) -> axum::Router {
    // `/` is the dashboard (`crate::dashboard`), merged in by `serve`.
    axum::Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/jobs/register", post(register_job))
        .route("/jobs", post(upload_url).get(latest_job))
        .route("/jobs/me", get(my_jobs))
        .route("/jobs/results", get(results))
        .route("/jobs/{id}", delete(delete_job))
        .route("/runs", post(submit_runs).get(runs).patch(stop_runs))
        .route("/runs/retry", post(retry))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(
            // Uploads are limited by the service as they stream, not buffered.
            axum::Router::new()
                .route("/blobs/{bucket}/{*key}", put(put_blob).get(get_blob))
                .layer(DefaultBodyLimit::disable()),
        )
        .with_state(service)
}

#[utoipa::path(get, path = "/health", security(()), responses((status = 200, body = Health), (status = 500, body = ErrorBody)))]
async fn health(State(service): State<AppState>) -> ApiResult<Health> {
    service.health().await?;
    Ok(Json(Health { status: "ok" }))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

#[utoipa::path(post, path = "/jobs/register", request_body = RegisterJobRequest,
    responses((status = 200, body = RegisteredJob), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn register_job(
    State(service): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> ApiResult<RegisteredJob> {
    Ok(Json(service.register_job(&user, json_body(&body)?).await?))
}

#[utoipa::path(post, path = "/jobs", request_body = UploadUrlRequest,
    responses((status = 200, body = UrlBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn upload_url(
    State(service): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> ApiResult<UrlBody> {
    Ok(Json(service.upload_url(&user, json_body(&body)?).await?))
}

/// What `GET /jobs` answers: the latest matching job with `latest=true`, else all of them.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LatestOrJobs {
    Latest(JobInfo),
    Jobs(JobsBody),
}

#[utoipa::path(get, path = "/jobs", params(("latest" = bool, Query), ("tags" = Option<Vec<String>>, Query)),
    responses((status = 200, body = LatestOrJobs), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn latest_job(
    State(service): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<LatestOrJobs> {
    let query = query.unwrap_or_default();
    let latest = crate::service::pairs(&query)
        .iter()
        .any(|(k, v)| k == "latest" && v == "true");
    Ok(Json(if latest {
        LatestOrJobs::Latest(service.latest_job(&user, &query).await?)
    } else {
        LatestOrJobs::Jobs(service.my_jobs(&user, &query).await?)
    }))
}

#[utoipa::path(get, path = "/jobs/me",
    params(("tags" = Option<Vec<String>>, Query), ("startDate" = Option<String>, Query), ("endDate" = Option<String>, Query)),
    responses((status = 200, body = JobsBody), (status = 400, body = ErrorBody)))]
async fn my_jobs(
    State(service): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<JobsBody> {
    Ok(Json(
        service.my_jobs(&user, &query.unwrap_or_default()).await?,
    ))
}

#[utoipa::path(get, path = "/jobs/results", params(("job_id" = i64, Query)),
    responses((status = 200, body = ResultsUrls), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn results(
    State(service): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<ResultsUrls> {
    Ok(Json(
        service.results(&user, &query.unwrap_or_default()).await?,
    ))
}

#[utoipa::path(delete, path = "/jobs/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ErrorBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_job(
    State(service): State<AppState>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> ApiResult<ErrorBody> {
    let id = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("`{id}` is not a job id")))?;
    Ok(Json(service.delete_job(&user, id).await?))
}

#[utoipa::path(post, path = "/runs", request_body = SubmitRunsRequest,
    responses((status = 200, body = SubmitRunsResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn submit_runs(
    State(service): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> ApiResult<SubmitRunsResponse> {
    Ok(Json(service.submit_runs(&user, &body).await?))
}

#[utoipa::path(get, path = "/runs", params(("job_id" = Option<i64>, Query), ("id" = Option<i64>, Query)),
    responses((status = 200, body = RunsBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn runs(
    State(service): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query.unwrap_or_default();
    // The poll of one job, epx's while a job runs, is answered from the shared body.
    if let [(name, id)] = pairs(&query).as_slice()
        && name == "job_id"
        && let Ok(id) = id.parse::<i64>()
    {
        let body = service.polled_runs(&user, id).await?;
        return Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    Ok(Json(service.runs(&user, &query).await?).into_response())
}

#[utoipa::path(patch, path = "/runs", params(("id" = Vec<i64>, Query)),
    responses((status = 200, body = StopResponse), (status = 400, body = ErrorBody)))]
async fn stop_runs(
    State(service): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<StopResponse> {
    Ok(Json(
        service.stop_runs(&user, &query.unwrap_or_default()).await?,
    ))
}

#[utoipa::path(post, path = "/runs/retry",
    request_body(content = RetryRequest, description = "`runRequestIds=5&runRequestIds=6` (form-encoded, whatever the content type says) or JSON"),
    responses((status = 200, body = RetryResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn retry(
    State(service): State<AppState>,
    Caller(user): Caller,
    body: Bytes,
) -> ApiResult<RetryResponse> {
    Ok(Json(service.retry(&user, &body).await?))
}

fn bucket(name: &str) -> Result<Bucket, ApiError> {
    Bucket::parse(name).ok_or(ApiError::NotFound {
        what: "storage",
        id: 0,
    })
}

/// An upload to a URL from `POST /jobs`: exactly 200 when stored (the client takes anything
/// else as a failure).
#[utoipa::path(put, path = "/blobs/{bucket}/{key}", security(()), params(("bucket" = String, Path), ("key" = String, Path), ("expires" = i64, Query), ("signature" = String, Query)),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn put_blob(
    State(service): State<AppState>,
    Path((bucket_name, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let bucket = bucket(&bucket_name)?;
    service.verify_url(Method::Put, bucket, &key, &query.unwrap_or_default())?;
    if bucket != Bucket::Uploads {
        return Err(ApiError::Signature(crate::signing::SignatureError::Invalid));
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    service
        .put_upload(&key, length, body.into_data_stream())
        .await?;
    Ok(StatusCode::OK)
}

/// A download from a URL from `/jobs/results`: the run's results archive.
#[utoipa::path(get, path = "/blobs/{bucket}/{key}", security(()), params(("bucket" = String, Path), ("key" = String, Path), ("expires" = i64, Query), ("signature" = String, Query)),
    responses((status = 200, content_type = "application/zip"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_blob(
    State(service): State<AppState>,
    Path((bucket_name, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let bucket = bucket(&bucket_name)?;
    service.verify_url(Method::Get, bucket, &key, &query.unwrap_or_default())?;
    if bucket != Bucket::Results {
        return Err(ApiError::Signature(crate::signing::SignatureError::Invalid));
    }
    let bytes = service.get_result(&key).await?;
    Ok(([(header::CONTENT_TYPE, "application/zip")], bytes).into_response())
}

/// The handlers, for the OpenAPI document.
pub mod documented {
    pub use super::{
        __path_delete_job, __path_get_blob, __path_health, __path_latest_job, __path_my_jobs,
        __path_put_blob, __path_register_job, __path_results, __path_retry, __path_runs,
        __path_stop_runs, __path_submit_runs, __path_upload_url,
    };
}
