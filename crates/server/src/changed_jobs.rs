//! Jobs whose runs changed through the API (added, retried, stopped, deleted) or whose inputs
//! the supervision loop just checked: the loop reloads them at once instead of waiting for its
//! next tick, and whoever listens (the answers to polls) forgets what it knew of them.

use std::collections::HashSet;
use std::sync::Mutex;

use fredbatch_core::JobId;
use tokio::sync::Notify;

/// Told of each job as it is marked changed.
pub type ChangeListener = Box<dyn Fn(JobId) + Send + Sync>;

#[derive(Default)]
pub struct ChangedJobs {
    jobs: Mutex<HashSet<JobId>>,
    /// Woken on every change.
    pub wake: Notify,
    listener: Option<ChangeListener>,
}

impl ChangedJobs {
    /// Changes that `listener` hears of as they are marked.
    pub fn with_listener(listener: ChangeListener) -> ChangedJobs {
        ChangedJobs {
            listener: Some(listener),
            ..ChangedJobs::default()
        }
    }

    /// A job changed: its supervisor looks at it now, and the listener forgets it first (so
    /// nothing read before the change is answered after it).
    pub fn mark(&self, job: JobId) {
        if let Some(listener) = &self.listener {
            listener(job);
        }
        self.jobs.lock().expect("changed jobs").insert(job);
        self.wake.notify_one();
    }

    /// The jobs marked since the last call.
    pub fn take(&self) -> HashSet<JobId> {
        std::mem::take(&mut *self.jobs.lock().expect("changed jobs"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn marked_jobs_are_taken_once_and_heard_by_the_listener() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let changed = ChangedJobs::with_listener(Box::new({
            let heard = Arc::clone(&heard);
            move |job| heard.lock().unwrap().push(job)
        }));
        changed.mark(JobId(3));
        changed.mark(JobId(3));
        changed.mark(JobId(4));
        assert_eq!(changed.take(), HashSet::from([JobId(3), JobId(4)]));
        assert!(changed.take().is_empty());
        assert_eq!(*heard.lock().unwrap(), [JobId(3), JobId(3), JobId(4)]);
    }
}
