//! What a refused or failed call says, and the HTTP status it is given at the edge. Every
//! error body is `{"description": ...}`, the one shape the epx client reads.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fredbatch_storage::StorageError;
use fredbatch_store::StoreError;

use crate::signing::SignatureError;
use crate::translate::TranslateError;
use crate::wire::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("run request {index}: {source}")]
    RunRequest {
        index: usize,
        #[source]
        source: TranslateError,
    },
    #[error(
        "no valid token: send `Offline-Token: Bearer <token>` (or `Authorization: Bearer <token>`) with a token from `fredbatch users add`"
    )]
    Unauthenticated,
    /// A URL handed to a user whose account was revoked since.
    #[error("the account this URL was handed to was revoked")]
    Revoked,
    #[error("no {what} {id}")]
    NotFound { what: &'static str, id: i64 },
    /// Nothing matches a search.
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// A limit of the caller's: requests in flight, or a quota.
    #[error("{0}")]
    TooManyRequests(String),
    /// What a URL reached existed once and was removed (its job was deleted).
    #[error("{0}")]
    Gone(String),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot spool an upload in {}: {source}", path.display())]
    Spool {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no route {0}: the API's routes are in /openapi.json")]
    NoRoute(String),
    #[error("{path} takes no {method}: the API's routes are in /openapi.json")]
    NoMethod { method: String, path: String },
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::RunRequest { .. } => StatusCode::BAD_REQUEST,
            // The client turns only 403 with a description into its own authorization error.
            ApiError::Unauthenticated | ApiError::Signature(_) | ApiError::Revoked => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound { .. } | ApiError::Missing(_) | ApiError::NoRoute(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::NoMethod { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Store(_)
            | ApiError::Storage(_)
            | ApiError::Spool { .. }
            | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // A failure of the server's own (its store, storage or disk) is told in full to the
        // log only: its text names paths and hosts that are none of a client's business.
        let description = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "the server could not answer this call; its operator finds why in its log".to_owned()
        } else {
            self.to_string()
        };
        (status, Json(ErrorBody { description })).into_response()
    }
}
