//! `/blobs/{bucket}/{*key}`: the upload and download URLs this server signs itself. The
//! client sends no token to them: the signature in the URL is the authority.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::service::Service;
use crate::signing::{Bucket, Method, SignedQuery};
use crate::wire::ErrorBody;

/// An upload to a URL from `POST /jobs`: exactly 200 when stored (the client takes anything
/// else as a failure).
#[utoipa::path(put, path = "/blobs/{bucket}/{*key}", security(()), params(("bucket" = String, Path), ("key" = String, Path), SignedQuery),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn put_blob(
    State(service): State<Arc<Service>>,
    Path((bucket, key)): Path<(Bucket, String)>,
    Query(signed): Query<SignedQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    service
        .verify_url(Method::Put, bucket, &key, &signed)
        .await?;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    service
        .put_upload(&key, length, body.into_data_stream())
        .await?;
    Ok(StatusCode::OK)
}

/// A download from a URL from `/jobs/results`: the run's results archive.
#[utoipa::path(get, path = "/blobs/{bucket}/{*key}", security(()), params(("bucket" = String, Path), ("key" = String, Path), SignedQuery),
    responses((status = 200, content_type = "application/zip"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn get_blob(
    State(service): State<Arc<Service>>,
    Path((bucket, key)): Path<(Bucket, String)>,
    Query(signed): Query<SignedQuery>,
) -> Result<Response, ApiError> {
    service
        .verify_url(Method::Get, bucket, &key, &signed)
        .await?;
    let bytes = service.get_result(&key).await?;
    Ok(([(header::CONTENT_TYPE, "application/zip")], bytes).into_response())
}
