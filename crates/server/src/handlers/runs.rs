//! `/runs...`: submitting runs, polling them, stopping and retrying them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::ApiResult;
use crate::error::ApiError;
use crate::extract::{self, Caller, FormOrJson, Query};
use crate::service::Service;
use crate::wire::*;

#[utoipa::path(post, path = "/runs", request_body = SubmitRunsRequest,
    responses((status = 200, body = SubmitRunsResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn submit_runs(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    extract::Json(request): extract::Json<SubmitRunsRequest>,
) -> ApiResult<SubmitRunsResponse> {
    Ok(Json(service.submit_runs(&user, request).await?))
}

#[utoipa::path(get, path = "/runs", params(RunsQuery),
    responses((status = 200, body = RunsBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn runs(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Query(query): Query<RunsQuery>,
) -> Result<Response, ApiError> {
    // The poll of one job, epx's while a job runs, is answered from the shared body.
    if let ([job_id], []) = (query.job_id.as_slice(), query.id.as_slice()) {
        let body = service.polled_runs(&user, *job_id).await?;
        return Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    Ok(Json(service.runs(&user, &query).await?).into_response())
}

#[utoipa::path(patch, path = "/runs", params(StopQuery),
    responses((status = 200, body = StopResponse), (status = 400, body = ErrorBody)))]
pub async fn stop_runs(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Query(query): Query<StopQuery>,
) -> ApiResult<StopResponse> {
    Ok(Json(service.stop_runs(&user, &query.id).await?))
}

/// The client sends the ids form-encoded (`runRequestIds=5&runRequestIds=6`) under a JSON
/// content type; a JSON body `{"runRequestIds": [5, 6]}` is accepted too.
#[utoipa::path(post, path = "/runs/retry",
    request_body(content = RetryRequest, description = "`runRequestIds=5&runRequestIds=6` (form-encoded, whatever the content type says) or JSON"),
    responses((status = 200, body = RetryResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retry(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    FormOrJson(request): FormOrJson<RetryRequest>,
) -> ApiResult<RetryResponse> {
    Ok(Json(service.retry(&user, &request.run_request_ids).await?))
}
