//! The measured runs sizes are learned from, a job's size once learned, and what a job's
//! attempts were (what its budget counts).
//!
//! A measurement counts when it is of a succeeded attempt of a run that computed its results
//! (a run that took another's results measured nothing). History stays within one owner, as
//! reuse does: jobs of the command line learn from each other, an API user's from that user's.

use chrono::{DateTime, Utc};
use fredbatch_core::model::Measurements;
use fredbatch_core::{Attempt, AttemptStatus, JobId, Resources, RunId, RunStatus, SizeOrigin};
use sqlx::Row;

use crate::Store;
use crate::error::StoreError;
use crate::rows::{self, ATTEMPT_COLUMNS};
use crate::sql;
use crate::time::to_millis;

fn u32_of(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        what: format!("run number {value}"),
    })
}

/// Measurements of succeeded attempts of runs that computed their results (`a`: attempts,
/// `r`: runs, `j`: jobs).
fn measured() -> String {
    format!(
        "SELECT a.wall_seconds, a.cpu_seconds, a.peak_rss_kb, a.output_bytes \
         FROM attempts a JOIN runs r ON r.id = a.run_id JOIN jobs j ON j.id = r.job_id \
         WHERE a.status = '{}' AND a.wall_seconds IS NOT NULL AND r.reused_from IS NULL \
         AND r.status = {}",
        AttemptStatus::Succeeded.as_str(),
        sql::run_status(RunStatus::Done)
    )
}

fn measurements(rows: &[sqlx::any::AnyRow]) -> Result<Vec<Measurements>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok(Measurements {
                wall_seconds: row.try_get("wall_seconds")?,
                cpu_seconds: row.try_get::<Option<f64>, _>("cpu_seconds")?.unwrap_or(0.0),
                peak_rss_kb: row.try_get::<Option<i64>, _>("peak_rss_kb")?.unwrap_or(0) as u64,
                output_bytes: row.try_get::<Option<i64>, _>("output_bytes")?.unwrap_or(0) as u64,
            })
        })
        .collect()
}

impl Store {
    /// The `limit` most recent measured runs of jobs with size key `key` and the same owner
    /// (`None`: the command line's), deleted jobs left out.
    pub async fn measured_history(
        &self,
        key: &str,
        owner: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Measurements>, StoreError> {
        let rows = sqlx::query(&format!(
            "{} AND j.size_key = $1 AND j.deleted_at IS NULL AND COALESCE(j.owner, 0) = $2 \
             ORDER BY a.finished_at DESC LIMIT $3",
            measured()
        ))
        .bind(key)
        .bind(owner.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        measurements(&rows)
    }

    /// The measured runs among `job`'s runs numbered 1..=`first`.
    pub async fn measured_first_runs(
        &self,
        job: JobId,
        first: u32,
    ) -> Result<Vec<Measurements>, StoreError> {
        let rows = sqlx::query(&format!(
            "{} AND r.job_id = $1 AND r.run_number <= $2",
            measured()
        ))
        .bind(job.0)
        .bind(i64::from(first))
        .fetch_all(&self.pool)
        .await?;
        measurements(&rows)
    }

    /// Every attempt of `job`'s runs that computed their results (what the job paid for),
    /// with each attempt's run number.
    pub async fn job_attempts(&self, job: JobId) -> Result<Vec<(u32, Attempt)>, StoreError> {
        let columns: Vec<String> = ATTEMPT_COLUMNS
            .split(',')
            .map(|c| format!("a.{}", c.trim()))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {}, r.run_number FROM attempts a JOIN runs r ON r.id = a.run_id \
             WHERE r.job_id = $1 AND r.reused_from IS NULL ORDER BY r.run_number, a.number",
            columns.join(", ")
        ))
        .bind(job.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((u32_of(row.try_get("run_number")?)?, rows::attempt(row)?)))
            .collect()
    }

    /// Ends `runs` CANCELLED with `reason` if no backend holds them yet; returns how many.
    pub async fn cancel_unstarted(
        &self,
        runs: &[RunId],
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut ended = 0;
        for run in runs {
            ended += sqlx::query(&format!(
                "UPDATE runs SET status = {cancelled}, status_reason = $1, finished_at = $2 \
                 WHERE id = $3 AND backend_job_id IS NULL AND {open}",
                cancelled = sql::run_status(RunStatus::Cancelled),
                open = sql::run_is_open("status"),
            ))
            .bind(reason)
            .bind(to_millis(now))
            .bind(run.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// Records the size `job`'s runs get from now on and how it was found. Runs whose size a
    /// retry changed keep theirs; attempts keep the size they ran with.
    pub async fn set_job_size(
        &self,
        job: JobId,
        resources: Resources,
        origin: &SizeOrigin,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET vcpus = $1, memory_mb = $2, size_origin = $3 WHERE id = $4")
            .bind(i64::from(resources.vcpus))
            .bind(resources.memory_mb as i64)
            .bind(serde_json::to_string(origin).expect("size origins serialize"))
            .bind(job.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
