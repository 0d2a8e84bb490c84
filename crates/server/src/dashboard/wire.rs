//! The dashboard's JSON: the caller, their jobs with their runs' counts, a job's runs.

use fredbatch_store::StatusCounts;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub name: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Counts {
    pub queued: u32,
    pub running: u32,
    pub done: u32,
    pub error: u32,
    pub cancelled: u32,
}

impl From<StatusCounts> for Counts {
    fn from(c: StatusCounts) -> Counts {
        Counts {
            queued: c.queued,
            running: c.running,
            done: c.done,
            error: c.error,
            cancelled: c.cancelled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardJob {
    pub id: i64,
    pub name: String,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub created: String,
    /// QUEUED until a run starts, RUNNING while any run is open, DONE when all are DONE, else
    /// FAILED or CANCELLED.
    pub status: String,
    /// Why the job's runs cannot go on, when the server cannot supervise it (e.g. it was
    /// submitted to another backend than this server's).
    pub reason: Option<String>,
    pub counts: Counts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardJobs {
    /// Newest first.
    pub jobs: Vec<DashboardJob>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardRun {
    pub id: i64,
    pub run_number: u32,
    pub config: u32,
    pub replicate: u32,
    /// QUEUED, RUNNING, DONE, ERROR or CANCELLED.
    pub status: String,
    pub attempts: u32,
    /// From the first attempt's start to the end (or now, while it runs).
    pub duration_seconds: Option<f64>,
    pub reason: Option<String>,
    /// What kind of failure ended it (`out of memory`, `model error`...), for an ERROR run.
    pub failure: Option<String>,
    /// What FRED warned of: statements the run ignored, such as a misspelt key.
    pub warnings: Vec<String>,
    /// The last lines of the latest attempt's log (for the first runs of a large job).
    pub log_tail: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardJobDetail {
    pub job: DashboardJob,
    pub runs: Vec<DashboardRun>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    pub job_id: i64,
    /// How many open runs were asked to stop.
    pub runs: usize,
}

/// Each configuration's new infections across its DONE runs so far, day by day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DashboardCurves {
    /// DONE runs the curves are drawn from (they fill in as more finish).
    pub done_runs: u32,
    pub configs: Vec<ConfigBand>,
}

/// One configuration's median and 5-95% band of new infections per day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConfigBand {
    pub config: u32,
    /// Its overrides, e.g. `INF.transmissibility=1.3`.
    pub label: String,
    /// Its DONE runs.
    pub runs: usize,
    pub days: Vec<u32>,
    pub median: Vec<f64>,
    pub p5: Vec<f64>,
    pub p95: Vec<f64>,
}
