//! The fleet's wake-up handle: a front end that changed a job's runs (added, retried or
//! stopped them through an API) marks the job, and the fleet starts a round at once that
//! watches it afresh, instead of waiting for its next tick.

use std::collections::HashSet;
use std::sync::Mutex;

use fredbatch_core::JobId;
use tokio::sync::Notify;

#[derive(Default)]
pub struct JobWakeup {
    /// Jobs marked since the fleet's last round.
    jobs: Mutex<HashSet<JobId>>,
    wake: Notify,
}

impl JobWakeup {
    /// `job`'s runs changed: the fleet looks at it now.
    pub fn mark(&self, job: JobId) {
        self.jobs.lock().expect("woken jobs").insert(job);
        self.wake.notify_one();
    }

    /// The jobs marked since the last call.
    pub(crate) fn take(&self) -> HashSet<JobId> {
        std::mem::take(&mut *self.jobs.lock().expect("woken jobs"))
    }

    /// Resolves once a job is marked (at once if one was marked since the last wake-up).
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}
