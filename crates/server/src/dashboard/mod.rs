//! The dashboard at `/`: one self-contained page (`assets/dashboard.html`) over a small JSON
//! API under `/dashboard/api/`, with the platform API's accounts (`Authorization: Bearer`):
//! the caller's jobs newest first with their runs' counts, a job's runs with attempts,
//! durations, reasons and log tails, its results report, and cancelling it. Others' jobs and
//! deleted ones answer 404, as in the platform API.

mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use fredbatch_core::worker_line::for_people;
use fredbatch_core::{JobId, LogRequest, Run, RunStatus, SimulationRunner};
use fredbatch_cost::Pricing;
use fredbatch_report::ReportError;
use fredbatch_store::ApiJob;

pub use wire::*;

use crate::error::ApiError;
use crate::extract::{Caller, Path, Query};
use crate::redact::without_paths;
use crate::service::Service;
use crate::wire::JobPath;

/// The page, with its styles and script inline.
pub const PAGE: &str = include_str!("../../assets/dashboard.html");
/// Nothing from elsewhere: the page talks to this server only. The report it frames runs its
/// one inline script (which checks its figures were drawn) in a sandbox of its own origin.
const PAGE_POLICY: &str = "default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; \
                           script-src 'unsafe-inline'; frame-src 'self' blob:; img-src data:; \
                           form-action 'none'; base-uri 'none'; frame-ancestors 'none'";
/// Runs whose log tails a job's answer carries, and how many lines each.
const LOG_TAIL_RUNS: usize = 50;
const LOG_TAIL_LINES: usize = 8;

pub struct Dashboard {
    pub service: Arc<Service>,
    /// The backend, for runs' logs.
    pub runner: Arc<dyn SimulationRunner>,
    pub pricing: Pricing,
    /// Each job's curves as last drawn, with the DONE runs they were drawn from: read again
    /// only once more runs are DONE, however often the page polls.
    pub curves: Mutex<HashMap<JobId, DashboardCurves>>,
}

type DashState = Arc<Dashboard>;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot build the report: {0}")]
    Report(#[from] ReportError),
    #[error("cannot write the results table: {0}")]
    Table(String),
}

impl From<fredbatch_store::StoreError> for DashboardError {
    fn from(error: fredbatch_store::StoreError) -> Self {
        DashboardError::Api(ApiError::Store(error))
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        match self {
            DashboardError::Api(error) => error.into_response(),
            other @ (DashboardError::Report(_) | DashboardError::Table(_)) => {
                ApiError::Internal(other.to_string()).into_response()
            }
        }
    }
}

type DashResult<T> = Result<Json<T>, DashboardError>;

fn policy(value: &'static str) -> [(header::HeaderName, HeaderValue); 3] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(value),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// The page (not in the OpenAPI document: it is no API).
pub async fn page() -> Response {
    (
        policy(PAGE_POLICY),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE,
    )
        .into_response()
}

impl Dashboard {
    fn cached_curves(&self, job: JobId, done_runs: u32) -> Option<DashboardCurves> {
        let cache = self
            .curves
            .lock()
            .expect("the curves cache is never poisoned");
        cache
            .get(&job)
            .filter(|curves| curves.done_runs == done_runs)
            .cloned()
    }

    async fn summary(&self, job: &ApiJob) -> Result<DashboardJob, DashboardError> {
        let counts = self.service.store.status_counts(job.job.id).await?;
        Ok(DashboardJob {
            id: job.job.id.0,
            name: job.job.name.clone(),
            tags: job.tags.clone(),
            created: job.job.created_at.to_rfc3339(),
            status: counts.job_status().to_string(),
            reason: job
                .job
                .status_reason
                .as_deref()
                .map(|reason| without_paths(reason).into_owned()),
            counts: counts.into(),
        })
    }

    async fn log_tail(&self, run: &Run) -> Vec<String> {
        let Some(id) = &run.backend_job_id else {
            return Vec::new();
        };
        let request = LogRequest {
            limit: LOG_TAIL_LINES,
            tail: true,
            ..LogRequest::default()
        };
        match self.runner.logs(id, &request).await {
            // The worker's own lines as people read them, as `fredbatch logs` shows them,
            // and no line names a folder of this server.
            Ok(page) => page
                .lines
                .iter()
                .map(|line| without_paths(&for_people(line)).into_owned())
                .collect(),
            Err(error) => {
                tracing::debug!(run = %run.id, %error, "no log tail");
                Vec::new()
            }
        }
    }
}

#[utoipa::path(get, path = "/dashboard/api/me",
    responses((status = 200, body = Me), (status = 403, body = crate::wire::ErrorBody)))]
pub async fn me(Caller(user): Caller) -> Json<Me> {
    Json(Me { name: user.name })
}

#[utoipa::path(get, path = "/dashboard/api/jobs",
    responses((status = 200, body = DashboardJobs), (status = 403, body = crate::wire::ErrorBody)))]
pub async fn jobs(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
) -> DashResult<DashboardJobs> {
    let mut jobs = Vec::new();
    for job in dashboard
        .service
        .store
        .api_jobs_of(user.id)
        .await?
        .iter()
        .rev()
    {
        jobs.push(dashboard.summary(job).await?);
    }
    Ok(Json(DashboardJobs { jobs }))
}

#[utoipa::path(get, path = "/dashboard/api/jobs/{id}", params(JobPath),
    responses((status = 200, body = DashboardJobDetail), (status = 400, body = crate::wire::ErrorBody),
        (status = 403, body = crate::wire::ErrorBody), (status = 404, body = crate::wire::ErrorBody)))]
pub async fn job(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
) -> DashResult<DashboardJobDetail> {
    let job = dashboard.service.owned_job(&user, path.id).await?;
    let summary = dashboard.summary(&job).await?;
    let now = Utc::now();
    let mut runs = Vec::new();
    for (index, run) in dashboard
        .service
        .store
        .runs(job.job.id)
        .await?
        .into_iter()
        .enumerate()
    {
        let log_tail = if index < LOG_TAIL_RUNS {
            dashboard.log_tail(&run).await
        } else {
            Vec::new()
        };
        runs.push(DashboardRun {
            id: run.id.0,
            run_number: run.run_number,
            config: run.config,
            replicate: run.replicate,
            status: run.status.to_string(),
            attempts: run.attempts,
            duration_seconds: run
                .duration(now)
                .map(|d| d.num_milliseconds() as f64 / 1000.0),
            reason: (run.status != RunStatus::Done)
                .then_some(run.status_reason.as_deref())
                .flatten()
                .map(|reason| without_paths(reason).into_owned()),
            failure: run.failure().map(|class| class.label().to_owned()),
            warnings: run
                .warnings
                .iter()
                .map(|warning| without_paths(warning).into_owned())
                .collect(),
            log_tail,
        });
    }
    Ok(Json(DashboardJobDetail { job: summary, runs }))
}

/// Each configuration's median and 5-95% band of new infections over the job's DONE runs so
/// far: the page draws them beside the runs and they fill in as runs finish.
#[utoipa::path(get, path = "/dashboard/api/jobs/{id}/curves", params(JobPath),
    responses((status = 200, body = DashboardCurves), (status = 400, body = crate::wire::ErrorBody),
        (status = 403, body = crate::wire::ErrorBody), (status = 404, body = crate::wire::ErrorBody)))]
pub async fn curves(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
) -> Result<Json<DashboardCurves>, DashboardError> {
    let job = dashboard.service.owned_job(&user, path.id).await?;
    let service = &dashboard.service;
    let done_runs = service.store.status_counts(job.job.id).await?.done;
    let cached = dashboard.cached_curves(job.job.id, done_runs);
    if let Some(curves) = cached {
        return Ok(Json(curves));
    }
    let configs = fredbatch_report::config_curves(&service.store, &service.results, &job.job)
        .await?
        .iter()
        .map(|config| {
            let band = config.bands().new_infections;
            ConfigBand {
                config: config.number,
                label: config.label.clone(),
                runs: config.curves.len(),
                days: band.days,
                median: band.median,
                p5: band.p5,
                p95: band.p95,
            }
        })
        .collect();
    let curves = DashboardCurves { done_runs, configs };
    dashboard
        .curves
        .lock()
        .expect("the curves cache is never poisoned")
        .insert(job.job.id, curves.clone());
    Ok(Json(curves))
}

/// Which file format a results table is downloaded in.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct TableQuery {
    /// `parquet` (the default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The job's results as one table (`fredbatch results JOB --table`), as a download: written to
/// a scratch file, then streamed from it, so its size costs disk rather than memory.
#[utoipa::path(get, path = "/dashboard/api/jobs/{id}/table", params(JobPath, TableQuery),
    responses((status = 200, content_type = "application/octet-stream"), (status = 400, body = crate::wire::ErrorBody),
        (status = 403, body = crate::wire::ErrorBody), (status = 404, body = crate::wire::ErrorBody)))]
pub async fn table(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
    Query(query): Query<TableQuery>,
) -> Result<Response, DashboardError> {
    let job = dashboard.service.owned_job(&user, path.id).await?;
    let service = &dashboard.service;
    let extension = match query.format.as_deref().unwrap_or("parquet") {
        format @ ("parquet" | "csv") => format,
        other => {
            return Err(ApiError::BadRequest(format!(
                "format={other}: a table is downloaded as format=parquet or format=csv"
            ))
            .into());
        }
    };
    let scratch = service.scratch.join("tables");
    std::fs::create_dir_all(&scratch).map_err(|e| DashboardError::Table(e.to_string()))?;
    let folder =
        tempfile::tempdir_in(&scratch).map_err(|e| DashboardError::Table(e.to_string()))?;
    let name = format!("job-{}.{extension}", job.job.id);
    let file = folder.path().join(&name);
    fredbatch_table::write_table(&service.store, &service.results, &job.job, &file)
        .await
        .map_err(|e| DashboardError::Table(e.to_string()))?;
    let opened = tokio::fs::File::open(&file)
        .await
        .map_err(|e| DashboardError::Table(e.to_string()))?;
    // The folder goes when the stream ends (or the client leaves).
    let chunks = futures::stream::unfold((opened, folder), |(mut file, folder)| async move {
        let mut buffer = vec![0u8; 64 * 1024];
        match tokio::io::AsyncReadExt::read(&mut file, &mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(bytes::Bytes::from(buffer)), (file, folder)))
            }
            Err(error) => Some((Err(error), (file, folder))),
        }
    });
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).expect("a plain file name"),
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// The page `fredbatch report` writes for the job, with its figures inline.
#[utoipa::path(get, path = "/dashboard/api/jobs/{id}/report", params(JobPath),
    responses((status = 200, content_type = "text/html"), (status = 400, body = crate::wire::ErrorBody),
        (status = 403, body = crate::wire::ErrorBody), (status = 404, body = crate::wire::ErrorBody)))]
pub async fn report(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
) -> Result<Response, DashboardError> {
    let job = dashboard.service.owned_job(&user, path.id).await?;
    let service = &dashboard.service;
    let report = fredbatch_report::build_report(
        &service.store,
        &service.results,
        &job.job,
        &dashboard.pricing,
    )
    .await?;
    Ok((
        policy(fredbatch_report::CONTENT_SECURITY_POLICY),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        report.html(),
    )
        .into_response())
}

/// Asks every open run of the job to stop; they end CANCELLED.
#[utoipa::path(post, path = "/dashboard/api/jobs/{id}/cancel", params(JobPath),
    responses((status = 200, body = Cancelled), (status = 400, body = crate::wire::ErrorBody),
        (status = 403, body = crate::wire::ErrorBody), (status = 404, body = crate::wire::ErrorBody)))]
pub async fn cancel(
    State(dashboard): State<DashState>,
    Caller(user): Caller,
    Path(path): Path<JobPath>,
) -> DashResult<Cancelled> {
    let job = dashboard.service.owned_job(&user, path.id).await?;
    let runs = dashboard
        .service
        .store
        .request_cancel(job.job.id, None)
        .await?;
    dashboard.service.changed.mark(job.job.id);
    crate::audit::record(
        &user,
        "cancel job",
        job.job.id.0,
        &format!("{} run(s)", runs.len()),
    );
    Ok(Json(Cancelled {
        job_id: job.job.id.0,
        runs: runs.len(),
    }))
}
