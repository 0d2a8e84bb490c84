//! Turning rows into domain records.

use fredbatch_core::model::Measurements;
use fredbatch_core::params::ParamOverride;
use fredbatch_core::{
    Attempt, AttemptStatus, BackendJobId, BackendState, BackendTarget, Config, Job, JobId,
    Resources, RetryPolicy, Run, RunId, RunSize, SizeOrigin,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::time::{from_millis, opt_from_millis};

pub const JOB_COLUMNS: &str = "id, name, model_dir, program, params, run_count, vcpus, memory_mb, \
                               max_attempts, attempt_timeout_seconds, backend, inputs_key, created_at, \
                               config_count, status_reason, first_run_checks, reuse, retry_policy, \
                               size_origin, size_key, budget";

pub const RUN_COLUMNS: &str = "id, job_id, run_number, config, replicate, status, status_reason, attempts, \
                               backend_job_id, backend_state, cancel_requested, results_key, \
                               started_at, finished_at, retries, warnings, reused_from, vcpus, \
                               memory_mb, timeout_seconds, \
                               CASE WHEN seed IS NULL THEN replicate ELSE 1 END AS fred_run";

pub const ATTEMPT_COLUMNS: &str = "run_id, number, backend_job_id, status, reason, exit_code, \
                                   started_at, finished_at, wall_seconds, cpu_seconds, \
                                   peak_rss_kb, output_bytes, results_key, log_ref, \
                                   warnings, vcpus, memory_mb, timeout_seconds";

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

fn u32_of(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(format!("{what} = {value}")))
}

/// A job's backend as stored: its [`BackendTarget`] as JSON.
pub fn backend_json(backend: &BackendTarget) -> String {
    serde_json::to_string(backend).expect("backend targets serialize")
}

pub fn job(row: &AnyRow) -> Result<Job, StoreError> {
    let params: String = row.try_get("params")?;
    let params: Vec<ParamOverride> =
        serde_json::from_str(&params).map_err(|e| corrupt(format!("job params: {e}")))?;
    let backend: String = row.try_get("backend")?;
    let backend: BackendTarget = serde_json::from_str(&backend)
        .map_err(|e| corrupt(format!("job backend {backend}: {e}")))?;
    Ok(Job {
        id: JobId(row.try_get("id")?),
        name: row.try_get("name")?,
        model_dir: row.try_get("model_dir")?,
        program: row.try_get("program")?,
        params,
        run_count: u32_of(row.try_get("run_count")?, "run_count")?,
        resources: Resources {
            vcpus: u32_of(row.try_get("vcpus")?, "vcpus")?,
            memory_mb: row.try_get::<i64, _>("memory_mb")? as u64,
        },
        max_attempts: u32_of(row.try_get("max_attempts")?, "max_attempts")?,
        attempt_timeout_seconds: row.try_get::<i64, _>("attempt_timeout_seconds")? as u64,
        backend,
        inputs_key: row.try_get("inputs_key")?,
        created_at: from_millis(row.try_get("created_at")?),
        config_count: u32_of(row.try_get("config_count")?, "config_count")?,
        status_reason: row.try_get("status_reason")?,
        first_run_checks: row.try_get::<i64, _>("first_run_checks")? != 0,
        reuse: row.try_get::<i64, _>("reuse")? != 0,
        retry_policy: match row.try_get::<Option<String>, _>("retry_policy")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| corrupt(format!("job retry policy {text}: {e}")))?,
            None => RetryPolicy::default(),
        },
        size_origin: match row.try_get::<Option<String>, _>("size_origin")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| corrupt(format!("job size origin {text}: {e}")))?,
            None => SizeOrigin::Given,
        },
        size_key: row.try_get("size_key")?,
        budget: match row.try_get::<Option<String>, _>("budget")? {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| corrupt(format!("job budget {text}: {e}")))?,
            ),
            None => None,
        },
    })
}

pub fn config(row: &AnyRow) -> Result<Config, StoreError> {
    let params: String = row.try_get("params")?;
    Ok(Config {
        number: u32_of(row.try_get("number")?, "configuration number")?,
        params: serde_json::from_str(&params)
            .map_err(|e| corrupt(format!("configuration params: {e}")))?,
    })
}

pub fn run(row: &AnyRow) -> Result<Run, StoreError> {
    let status: String = row.try_get("status")?;
    let backend_state: Option<String> = row.try_get("backend_state")?;
    Ok(Run {
        id: RunId(row.try_get("id")?),
        job_id: JobId(row.try_get("job_id")?),
        run_number: u32_of(row.try_get("run_number")?, "run_number")?,
        config: u32_of(row.try_get("config")?, "config")?,
        replicate: u32_of(row.try_get("replicate")?, "replicate")?,
        fred_run: u32_of(row.try_get("fred_run")?, "fred_run")?,
        status: status
            .parse()
            .map_err(|_| corrupt(format!("run status {status}")))?,
        status_reason: row.try_get("status_reason")?,
        attempts: u32_of(row.try_get("attempts")?, "attempts")?,
        backend_job_id: row
            .try_get::<Option<String>, _>("backend_job_id")?
            .map(BackendJobId),
        backend_state: backend_state
            .map(|s| {
                s.parse::<BackendState>()
                    .map_err(|_| corrupt(format!("backend state {s}")))
            })
            .transpose()?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        retries: u32_of(row.try_get("retries")?, "retries")?,
        results_key: row.try_get("results_key")?,
        started_at: opt_from_millis(row.try_get("started_at")?),
        finished_at: opt_from_millis(row.try_get("finished_at")?),
        warnings: warnings(row)?,
        size: size(row)?,
        reused_from: row.try_get::<Option<i64>, _>("reused_from")?.map(RunId),
    })
}

pub fn attempt(row: &AnyRow) -> Result<Attempt, StoreError> {
    let status: String = row.try_get("status")?;
    let wall_seconds: Option<f64> = row.try_get("wall_seconds")?;
    let measurements = match wall_seconds {
        Some(wall_seconds) => Some(Measurements {
            wall_seconds,
            cpu_seconds: row.try_get::<Option<f64>, _>("cpu_seconds")?.unwrap_or(0.0),
            peak_rss_kb: row.try_get::<Option<i64>, _>("peak_rss_kb")?.unwrap_or(0) as u64,
            output_bytes: row.try_get::<Option<i64>, _>("output_bytes")?.unwrap_or(0) as u64,
        }),
        None => None,
    };
    Ok(Attempt {
        run_id: RunId(row.try_get("run_id")?),
        number: u32_of(row.try_get("number")?, "attempt number")?,
        backend_job_id: row
            .try_get::<Option<String>, _>("backend_job_id")?
            .map(BackendJobId),
        status: AttemptStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("attempt status {status}")))?,
        reason: row.try_get("reason")?,
        exit_code: row
            .try_get::<Option<i64>, _>("exit_code")?
            .map(|c| c as i32),
        started_at: from_millis(row.try_get("started_at")?),
        finished_at: opt_from_millis(row.try_get("finished_at")?),
        measurements,
        results_key: row.try_get("results_key")?,
        log_ref: row.try_get("log_ref")?,
        warnings: warnings(row)?,
        size: size(row)?,
    })
}

/// A retry policy as stored: JSON.
pub fn retry_policy_json(policy: &RetryPolicy) -> String {
    serde_json::to_string(policy).expect("retry policies serialize")
}

/// A run's or an attempt's size, from its `vcpus`, `memory_mb` and `timeout_seconds` columns
/// (all set, or all NULL).
fn size(row: &AnyRow) -> Result<Option<RunSize>, StoreError> {
    let vcpus: Option<i64> = row.try_get("vcpus")?;
    let memory_mb: Option<i64> = row.try_get("memory_mb")?;
    let timeout_seconds: Option<i64> = row.try_get("timeout_seconds")?;
    let (Some(vcpus), Some(memory_mb), Some(timeout_seconds)) = (vcpus, memory_mb, timeout_seconds)
    else {
        return Ok(None);
    };
    Ok(Some(RunSize {
        resources: Resources {
            vcpus: u32_of(vcpus, "vcpus")?,
            memory_mb: memory_mb as u64,
        },
        timeout_seconds: timeout_seconds as u64,
    }))
}

/// FRED's warning lines as stored: a JSON array, or NULL for none.
pub fn warnings_json(warnings: &[String]) -> Option<String> {
    (!warnings.is_empty()).then(|| serde_json::to_string(warnings).expect("strings serialize"))
}

pub fn warnings(row: &AnyRow) -> Result<Vec<String>, StoreError> {
    let Some(text) = row.try_get::<Option<String>, _>("warnings")? else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&text).map_err(|e| corrupt(format!("warnings: {e}")))
}
