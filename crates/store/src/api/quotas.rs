//! Each API user's quotas and what they use of them, so no one user can take a shared server:
//! jobs kept, runs in flight, bytes stored (what they uploaded and their runs' results). No
//! quota set means no limit.

use serde::Serialize;

use fredbatch_core::JobId;

use crate::Store;
use crate::error::StoreError;
use crate::sql;

/// A user's limits; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub jobs: Option<u64>,
    pub runs_in_flight: Option<u64>,
    pub stored_bytes: Option<u64>,
}

/// What a user uses now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Jobs not deleted.
    pub jobs: u64,
    /// Runs QUEUED or RUNNING.
    pub runs_in_flight: u64,
    /// What their jobs not deleted store: the files their client uploaded and every
    /// attempt's uploaded output.
    pub stored_bytes: u64,
}

fn limit(value: Option<i64>) -> Option<u64> {
    value.map(|v| v.max(0) as u64)
}

fn stored(value: Option<u64>) -> Option<i64> {
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl Store {
    /// Sets `name`'s quota (every limit, `None` clearing it).
    pub async fn set_quota(&self, name: &str, quota: Quota) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE users SET max_jobs = $1, max_runs_in_flight = $2, max_stored_bytes = $3 \
             WHERE name = $4",
        )
        .bind(stored(quota.jobs))
        .bind(stored(quota.runs_in_flight))
        .bind(stored(quota.stored_bytes))
        .bind(name)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(name.to_owned()));
        }
        Ok(())
    }

    /// A user's quota.
    pub async fn quota(&self, user: i64) -> Result<Quota, StoreError> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT max_jobs, max_runs_in_flight, max_stored_bytes FROM users WHERE id = $1",
        )
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        let (jobs, runs, bytes) = row.unwrap_or_default();
        Ok(Quota {
            jobs: limit(jobs),
            runs_in_flight: limit(runs),
            stored_bytes: limit(bytes),
        })
    }

    /// What a user uses of their quota now.
    pub async fn usage(&self, user: i64) -> Result<Usage, StoreError> {
        let kept = "SELECT id FROM jobs WHERE owner = $1 AND deleted_at IS NULL";
        let jobs: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({kept}) kept"))
            .bind(user)
            .fetch_one(&self.pool)
            .await?;
        let runs: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM runs WHERE job_id IN ({kept}) AND {open}",
            open = sql::run_is_open("status"),
        ))
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        let results: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT CAST(SUM(attempts.output_bytes) AS BIGINT) FROM attempts \
             JOIN runs ON runs.id = attempts.run_id WHERE runs.job_id IN ({kept})"
        ))
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        let uploaded: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(uploaded_bytes) AS BIGINT) FROM jobs \
             WHERE owner = $1 AND deleted_at IS NULL",
        )
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        let bytes = |sum: Option<i64>| sum.unwrap_or(0).max(0) as u64;
        Ok(Usage {
            jobs: jobs.max(0) as u64,
            runs_in_flight: runs.max(0) as u64,
            stored_bytes: bytes(results).saturating_add(bytes(uploaded)),
        })
    }

    /// Counts `bytes` more uploaded by `job`'s client and stored, toward its owner's quota.
    pub async fn record_upload(&self, job: JobId, bytes: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET uploaded_bytes = uploaded_bytes + $1 WHERE id = $2")
            .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
            .bind(job.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
