//! `/jobs...`: registering a job, its upload URLs, finding jobs, results, deleting.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::ApiResult;
use crate::extract::{self, Caller, Path, Query};
use crate::service::Service;
use crate::wire::*;

#[utoipa::path(post, path = "/jobs/register", request_body = RegisterJobRequest,
    responses((status = 200, body = RegisteredJob), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn register_job(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    extract::Json(request): extract::Json<RegisterJobRequest>,
) -> ApiResult<RegisteredJob> {
    Ok(Json(service.register_job(&user, request).await?))
}

#[utoipa::path(post, path = "/jobs", request_body = UploadUrlRequest,
    responses((status = 200, body = UrlBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn upload_url(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    extract::Json(request): extract::Json<UploadUrlRequest>,
) -> ApiResult<UrlBody> {
    Ok(Json(service.upload_url(&user, request).await?))
}

/// What `GET /jobs` answers: the latest matching job with `latest=true`, else all of them.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LatestOrJobs {
    Latest(JobInfo),
    Jobs(JobsBody),
}

#[utoipa::path(get, path = "/jobs", params(LatestQuery, JobsQuery),
    responses((status = 200, body = LatestOrJobs), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn latest_job(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Query(latest): Query<LatestQuery>,
    Query(filter): Query<JobsQuery>,
) -> ApiResult<LatestOrJobs> {
    Ok(Json(if latest.latest {
        LatestOrJobs::Latest(service.latest_job(&user, &filter).await?)
    } else {
        LatestOrJobs::Jobs(service.my_jobs(&user, &filter).await?)
    }))
}

#[utoipa::path(get, path = "/jobs/me", params(JobsQuery),
    responses((status = 200, body = JobsBody), (status = 400, body = ErrorBody)))]
pub async fn my_jobs(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Query(filter): Query<JobsQuery>,
) -> ApiResult<JobsBody> {
    Ok(Json(service.my_jobs(&user, &filter).await?))
}

#[utoipa::path(get, path = "/jobs/results", params(ResultsQuery),
    responses((status = 200, body = ResultsUrls), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn results(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Query(query): Query<ResultsQuery>,
) -> ApiResult<ResultsUrls> {
    Ok(Json(service.results(&user, query.job_id).await?))
}

#[utoipa::path(delete, path = "/jobs/{id}", params(JobPath),
    responses((status = 200, body = ErrorBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_job(
    State(service): State<Arc<Service>>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
) -> ApiResult<ErrorBody> {
    Ok(Json(service.delete_job(&user, path.id).await?))
}
