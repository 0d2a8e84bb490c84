//! Holding each user to their quota (set with `fredbatch users quota`): what would take them
//! past it is refused with 429 and a description their client shows, before anything is stored.

use fredbatch_store::User;

use crate::error::ApiError;
use crate::service::Service;

impl Service {
    /// Refuses what would take `user` past a quota: `new_jobs` more jobs, `new_runs` more runs
    /// in flight; and any new work while their stored results fill their quota.
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
        let ask = "delete jobs you no longer need, or ask the server's operator for a larger quota";
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
            return Err(ApiError::TooManyRequests(format!(
                "your quota is {:.1} MB of results and yours take {:.1} MB: {ask}",
                max as f64 / 1e6,
                used.stored_bytes as f64 / 1e6
            )));
        }
        Ok(())
    }
}
