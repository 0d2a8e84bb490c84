//! The typed edge: what a handler takes from a request, every refusal answered as the
//! `{"description"}` body the epx client reads (axum's own rejections are plain text).
//!
//! - [`Caller`]: the account whose token the request presents (the platform API and the
//!   dashboard alike);
//! - [`Json`]: a JSON body, read whatever the content type says (the client is loose);
//! - [`Query`]: a query string whose names may repeat (`?id=5&id=6`);
//! - [`Path`]: the path's parameters;
//! - [`FormOrJson`]: a body sent form-encoded under a JSON content type (what the client does
//!   for `/runs/retry`), or as JSON.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use bytes::Bytes;
use fredbatch_store::User;
use serde::de::DeserializeOwned;

use crate::auth::presented_token;
use crate::error::ApiError;
use crate::service::Service;

/// The account a request's token belongs to; requests without a valid one are refused.
pub struct Caller(pub User);

impl<S> FromRequestParts<S> for Caller
where
    Arc<Service>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Arc::<Service>::from_ref(state)
            .authenticate(presented_token(&parts.headers))
            .await
            .map(Caller)
    }
}

/// A JSON body. Its content type is not checked: the client labels every call JSON, and a
/// body is what it is whatever its label says.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = body(request, state).await?;
        axum::Json::<T>::from_bytes(&body)
            .map(|axum::Json(value)| Json(value))
            .map_err(|rejection| {
                ApiError::BadRequest(format!(
                    "the body is not the JSON expected: {}",
                    rejection.body_text()
                ))
            })
    }
}

/// A query string, names repeated for lists.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum_extra::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum_extra::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// The parameters of the path that matched.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// A body that is a JSON object, or else form-encoded fields (names repeated for lists),
/// whatever the content type says.
pub struct FormOrJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormOrJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = body(request, state).await?;
        let is_json = body.trim_ascii_start().starts_with(b"{");
        let value = if is_json {
            serde_json::from_slice(&body).map_err(|e| e.to_string())
        } else {
            serde_html_form::from_bytes(body.trim_ascii()).map_err(|e| e.to_string())
        };
        value.map(FormOrJson).map_err(|error| {
            ApiError::BadRequest(format!(
                "the body is not the form or JSON expected: {error}"
            ))
        })
    }
}

/// Bodies other than uploads (a job's run requests, at most) may be this large.
pub const BODY_LIMIT: usize = 64 << 20;

async fn body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    // Refused at once on its declared length, rather than after waiting for a body the
    // client may never send.
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Err(ApiError::TooLarge {
            limit: BODY_LIMIT as u64,
        });
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
                limit: BODY_LIMIT as u64,
            },
            _ => ApiError::BadRequest(rejection.body_text()),
        })
}
