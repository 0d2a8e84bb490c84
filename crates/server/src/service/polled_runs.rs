//! The answers to `GET /runs?job_id=`, the poll epx makes every 3 s while a job runs: every
//! poller of a job shares one read of the store and one serialization within
//! [`POLLED_FRESH_FOR`], and when that answer goes stale one poll reads again while the others
//! wait for it (many pollers reading at once would each pay the whole read). A change marked
//! in [`ChangedJobs`](crate::changed_jobs::ChangedJobs) forgets the job's answer (a retried run is QUEUED on the very next poll);
//! what the supervisor records shows within that time, which is its own tick.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fredbatch_core::JobId;
use fredbatch_store::User;

use super::Service;
use crate::error::ApiError;
use crate::wire::RunsBody;

/// How long one read of a job's runs answers everyone polling it.
const POLLED_FRESH_FOR: Duration = Duration::from_millis(500);

/// The answers of recently polled jobs.
#[derive(Default)]
pub struct PolledRuns {
    /// Per job: when it was last polled, and its answer.
    jobs: Mutex<HashMap<JobId, (Instant, PolledAnswer)>>,
}

/// A job's last answer and when it was read; its lock is held by the poll reading it again.
type PolledAnswer = Arc<tokio::sync::Mutex<Option<(Instant, Bytes)>>>;

impl PolledRuns {
    fn answer(&self, job: JobId) -> PolledAnswer {
        let now = Instant::now();
        let mut jobs = self.jobs.lock().expect("polled runs");
        // Jobs nobody polls any more keep no answer.
        jobs.retain(|_, (polled_at, _)| now.duration_since(*polled_at) < 4 * POLLED_FRESH_FOR);
        let (polled_at, answer) = jobs.entry(job).or_insert_with(|| (now, Arc::default()));
        *polled_at = now;
        Arc::clone(answer)
    }

    /// Polls from now on read afresh (one still reading keeps its answer to itself).
    pub(crate) fn forget(&self, job: JobId) {
        self.jobs.lock().expect("polled runs").remove(&job);
    }
}

impl Service {
    /// `GET /runs?job_id=J` as the body to send, shared with every other poller of the job.
    pub async fn polled_runs(&self, user: &User, job_id: i64) -> Result<Bytes, ApiError> {
        let job = self.owned_job(user, job_id).await?;
        let answer = self.polled.answer(job.job.id);
        let mut last = answer.lock().await;
        if let Some((read_at, body)) = &*last
            && read_at.elapsed() < POLLED_FRESH_FOR
        {
            return Ok(body.clone());
        }
        let runs = self.runs_of(&job).await?;
        let body = Bytes::from(serde_json::to_vec(&RunsBody { runs }).expect("runs serialize"));
        *last = Some((Instant::now(), body.clone()));
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use fredbatch_supervisor::JobWakeup;

    use super::*;
    use crate::changed_jobs::ChangedJobs;

    #[tokio::test]
    async fn pollers_of_a_job_share_one_answer_until_the_job_changes() {
        let polled = Arc::new(PolledRuns::default());
        let changed = ChangedJobs::new(Arc::new(JobWakeup::default()), Arc::clone(&polled));
        let (job, other) = (JobId(1), JobId(2));
        let reading = polled.answer(job);
        let held = reading.lock().await;
        // Another poll of the job waits for the one reading; another job's does not.
        assert!(Arc::ptr_eq(&reading, &polled.answer(job)));
        assert!(polled.answer(job).try_lock().is_err());
        assert!(polled.answer(other).try_lock().is_ok());
        drop(held);
        changed.mark(job);
        assert!(
            !Arc::ptr_eq(&reading, &polled.answer(job)),
            "after a change, polls read afresh"
        );
    }
}
