//! The platform API's handlers, a few lines each over [`crate::service::Service`], by
//! resource. Each carries its OpenAPI description; [`crate::routes`] lists them once.

pub mod blobs;
pub mod jobs;
pub mod runs;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use crate::error::ApiError;
use crate::service::Service;
use crate::wire::{ErrorBody, Health};

type ApiResult<T> = Result<Json<T>, ApiError>;

#[utoipa::path(get, path = "/health", security(()), responses((status = 200, body = Health), (status = 500, body = ErrorBody)))]
pub async fn health(State(service): State<Arc<Service>>) -> ApiResult<Health> {
    service.health().await?;
    Ok(Json(Health { status: "ok" }))
}
