//! The one list of routes: it builds both the router and the OpenAPI document (each handler
//! carries its own description), so nothing is routed undocumented or documented unrouted.
//! Only `/` (the dashboard's page) and `/openapi.json` itself are routed outside it. Every
//! request is counted for `/metrics`.
//!
//! Refusals are `{"description"}` bodies everywhere, unknown paths and methods included.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{Method, Uri, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dashboard::{self, Dashboard};
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::handlers::{self, blobs, jobs, runs};
use crate::in_flight;
use crate::openapi;
use crate::prometheus;
use crate::service::Service;

/// What the handlers reach: the platform API's service, and the dashboard over it.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub dashboard: Arc<Dashboard>,
}

impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Arc<Service> {
        Arc::clone(&state.service)
    }
}

impl FromRef<AppState> for Arc<Dashboard> {
    fn from_ref(state: &AppState) -> Arc<Dashboard> {
        Arc::clone(&state.dashboard)
    }
}

/// Every documented route with its handler: the platform API, the dashboard's JSON and the
/// signed blob URLs.
pub fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(handlers::health))
        .routes(routes!(jobs::register_job))
        .routes(routes!(jobs::upload_url, jobs::latest_job))
        .routes(routes!(jobs::my_jobs))
        .routes(routes!(jobs::results))
        .routes(routes!(jobs::delete_job))
        .routes(routes!(runs::submit_runs, runs::runs, runs::stop_runs))
        .routes(routes!(runs::retry))
        .routes(routes!(dashboard::me))
        .routes(routes!(dashboard::jobs))
        .routes(routes!(dashboard::job))
        .routes(routes!(dashboard::curves))
        .routes(routes!(dashboard::table))
        .routes(routes!(dashboard::report))
        .routes(routes!(dashboard::cancel))
        .routes(routes!(prometheus::scrape))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    // Uploads are limited by the service as they stream, not buffered.
    let blobs = OpenApiRouter::new()
        .routes(routes!(blobs::put_blob, blobs::get_blob))
        .layer(DefaultBodyLimit::disable());
    api.merge(blobs)
}

/// The whole HTTP edge over `state`.
pub fn router(state: AppState) -> Router {
    let in_flight = Arc::clone(&state.service.in_flight);
    let (router, document) = documented().split_for_parts();
    let document = Bytes::from(openapi::to_json(document));
    router
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .route("/", get(dashboard::page))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            in_flight,
            in_flight::limit_per_token,
        ))
        .layer(middleware::from_fn(prometheus::count_requests))
}

async fn no_route(uri: Uri) -> impl IntoResponse {
    ApiError::NoRoute(uri.path().to_owned())
}

async fn no_method(method: Method, uri: Uri) -> impl IntoResponse {
    ApiError::NoMethod {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}
