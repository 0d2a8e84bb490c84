//! Jobs whose runs changed through the API (added, retried, stopped, deleted): the supervisor's
//! fleet looks at them at once instead of waiting for its next tick, and the answers to polls
//! forget what they knew of them (nothing read before a change is answered after it).

use std::sync::Arc;

use fredbatch_core::JobId;
use fredbatch_supervisor::JobWakeup;

use crate::service::PolledRuns;

pub struct ChangedJobs {
    fleet: Arc<JobWakeup>,
    polled: Arc<PolledRuns>,
}

impl ChangedJobs {
    /// Changes that wake `fleet` and that `polled` forgets.
    pub fn new(fleet: Arc<JobWakeup>, polled: Arc<PolledRuns>) -> ChangedJobs {
        ChangedJobs { fleet, polled }
    }

    /// A job changed: polls read it afresh, and its supervisor looks at it now.
    pub fn mark(&self, job: JobId) {
        self.polled.forget(job);
        self.fleet.mark(job);
    }
}
