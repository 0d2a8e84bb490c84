//! `/metrics` for operators, in Prometheus's text format: runs by status on this server's
//! backend and the queue's depth (read from the store at each scrape), HTTP requests by route
//! and status with their durations, and what supervision counts (round time, backend requests
//! and errors, inputs checks). Counts only: no names, tokens or paths.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fredbatch_core::RunStatus;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::dashboard::Dashboard;
use crate::error::ApiError;

/// How often the recorder folds the durations recorded since into their summaries. Until it
/// does, each recorded duration is held on its own: a server polled thousands of times a
/// second and never scraped would grow by megabytes a minute.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's one recorder (the `metrics` facade has one global recorder), kept up by a
/// thread of its own for as long as the process lives.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (a test harness) keeps the counts instead.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::debug!("a metrics recorder was installed already; it keeps the counts");
        }
        let upkept = handle.clone();
        let upkeep = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkept.run_upkeep();
                }
            });
        if let Err(error) = upkeep {
            tracing::warn!(%error, "cannot start the metrics' upkeep; they are kept up at each scrape only");
        }
        handle
    })
}

/// Starts recording (before the first request, so nothing is lost).
pub fn install() {
    recorder();
}

/// Counts each request by its route (the pattern, never the ids in it) and status.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("fredbatch_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("fredbatch_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The metrics, as Prometheus scrapes them.
#[utoipa::path(get, path = "/metrics",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format")))]
pub async fn scrape(State(dashboard): State<Arc<Dashboard>>) -> Result<Response, ApiError> {
    let counts = dashboard.service.store.all_status_counts().await?;
    let backend = dashboard.runner.kind().to_string();
    for status in RunStatus::ALL {
        metrics::gauge!("fredbatch_runs", "status" => status.as_str(), "backend" => backend.clone())
            .set(f64::from(counts.get(status)));
    }
    metrics::gauge!("fredbatch_queue_depth", "backend" => backend)
        .set(f64::from(counts.get(RunStatus::Queued)));
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
        .into_response())
}
