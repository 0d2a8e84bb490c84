//! How many runs of a job are in each status, and the job's status they add up to.

use serde::Serialize;

use crate::status::{JobStatus, RunStatus};

/// How many runs of a job are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub queued: u32,
    pub running: u32,
    pub done: u32,
    pub error: u32,
    pub cancelled: u32,
}

impl StatusCounts {
    pub fn total(&self) -> u32 {
        self.queued + self.running + self.done + self.error + self.cancelled
    }

    pub fn finished(&self) -> u32 {
        self.done + self.error + self.cancelled
    }

    pub fn add(&mut self, status: RunStatus, count: u32) {
        *self.slot(status) += count;
    }

    pub fn remove(&mut self, status: RunStatus, count: u32) {
        let slot = self.slot(status);
        *slot = slot.saturating_sub(count);
    }

    /// `queued 3 · running 2 · done 10 · error 1`: queued and running always, the others when
    /// not zero.
    pub fn summary(&self) -> String {
        let mut parts = vec![
            format!("queued {}", self.queued),
            format!("running {}", self.running),
        ];
        for (name, count) in [
            ("done", self.done),
            ("error", self.error),
            ("cancelled", self.cancelled),
        ] {
            if count > 0 {
                parts.push(format!("{name} {count}"));
            }
        }
        parts.join(" · ")
    }

    /// The job's status: QUEUED until a run starts (and while it has no run at all), RUNNING
    /// while any run is open after that, DONE when every run is DONE, else what ended it
    /// (FAILED or CANCELLED).
    pub fn job_status(&self) -> JobStatus {
        if self.queued == self.total() {
            JobStatus::Queued
        } else if self.queued + self.running > 0 {
            JobStatus::Running
        } else if self.done == self.total() {
            JobStatus::Done
        } else if self.error > 0 {
            JobStatus::Failed
        } else {
            JobStatus::Cancelled
        }
    }

    pub fn get(&self, status: RunStatus) -> u32 {
        match status {
            RunStatus::Queued => self.queued,
            RunStatus::Running => self.running,
            RunStatus::Done => self.done,
            RunStatus::Error => self.error,
            RunStatus::Cancelled => self.cancelled,
        }
    }

    fn slot(&mut self, status: RunStatus) -> &mut u32 {
        match status {
            RunStatus::Queued => &mut self.queued,
            RunStatus::Running => &mut self.running,
            RunStatus::Done => &mut self.done,
            RunStatus::Error => &mut self.error,
            RunStatus::Cancelled => &mut self.cancelled,
        }
    }
}

#[cfg(test)]
mod tests;
