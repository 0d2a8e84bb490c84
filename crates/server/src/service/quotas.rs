//! Holding each user to their quota (set with `fredbatch users quota`): what would take them
//! past it is refused with 429 and a description their client shows, before anything is stored.
//! Stored bytes are what a user's jobs uploaded and their runs' results.

use fredbatch_store::User;

use crate::error::ApiError;
use crate::service::Service;

/// What a user past a quota can do about it.
const QUOTA_ASK: &str =
    "delete jobs you no longer need, or ask the server's operator for a larger quota";

impl Service {
    /// Refuses what would take `user` past a quota: `new_jobs` more jobs, `new_runs` more runs
    /// in flight; and any new work while what they store fills their quota.
    pub(super) async fn within_quota(
        &self,
        user: &User,
        new_jobs: u64,
        new_runs: u64,
    ) -> Result<(), ApiError> {
        let quota = self.store.quota(user.id).await?;
        if quota == Default::default() {
            return Ok(());
        }
        let used = self.store.usage(user.id).await?;
        let ask = QUOTA_ASK;
        if let Some(max) = quota.jobs
            && used.jobs + new_jobs > max
        {
            return Err(ApiError::TooManyRequests(format!(
                "your quota is {max} job(s) and you have {}: {ask}",
                used.jobs
            )));
        }
        if let Some(max) = quota.runs_in_flight
            && used.runs_in_flight + new_runs > max
        {
            return Err(ApiError::TooManyRequests(format!(
                "your quota is {max} run(s) in flight; you have {} queued or running and asked \
                 for {new_runs} more: wait for some to finish, or {ask}",
                used.runs_in_flight
            )));
        }
        if let Some(max) = quota.stored_bytes
            && used.stored_bytes >= max
        {
            return Err(stored_bytes_refusal(max, used.stored_bytes));
        }
        Ok(())
    }

    /// `owner`'s stored-bytes quota and what they store now (`None`: no limit).
    pub(super) async fn stored_bytes(&self, owner: i64) -> Result<Option<StoredBytes>, ApiError> {
        let Some(max) = self.store.quota(owner).await?.stored_bytes else {
            return Ok(None);
        };
        let used = self.store.usage(owner).await?.stored_bytes;
        Ok(Some(StoredBytes { max, used }))
    }
}

/// A user's stored-bytes quota and what they store now.
pub(super) struct StoredBytes {
    max: u64,
    used: u64,
}

impl StoredBytes {
    /// Refuses `more` bytes if they would take the user past the quota.
    pub(super) fn admit(&self, more: u64) -> Result<(), ApiError> {
        if self.used.saturating_add(more) > self.max {
            return Err(stored_bytes_refusal(self.max, self.used));
        }
        Ok(())
    }
}

/// The refusal of what would take a user past their `max` stored bytes, with `used` stored.
fn stored_bytes_refusal(max: u64, used: u64) -> ApiError {
    ApiError::TooManyRequests(format!(
        "your quota is {:.1} MB stored (uploads and results) and yours take {:.1} MB: {QUOTA_ASK}",
        max as f64 / 1e6,
        used as f64 / 1e6
    ))
}
