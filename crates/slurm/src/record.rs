//! One Slurm job (a plain job, an array task, or an array's pending remainder) as this backend
//! needs it, whichever source described it: `squeue --json` or the job-completion log.

use chrono::{DateTime, Utc};

use crate::ids::SlurmId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobRecord {
    pub job_id: u64,
    /// The array this job belongs to (`None` for a plain job).
    pub array_job_id: Option<u64>,
    /// The task index; `None` for a plain job and for an array's pending remainder.
    pub array_task_id: Option<u32>,
    /// For an array's pending remainder: the tasks still pending, e.g. `2-5%1`.
    pub pending_tasks: Option<String>,
    pub name: String,
    /// The base state, e.g. `PENDING`, `RUNNING`, `NODE_FAIL`.
    pub state: String,
    /// Slurm's reason (`Resources`, `NonZeroExitCode`, ...); `None` when it says `None`.
    pub reason: Option<String>,
    pub exit: Option<WaitStatus>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub nodes: Option<String>,
    pub comment: Option<String>,
    pub time_limit_minutes: Option<u64>,
}

impl JobRecord {
    /// The backend ids this record describes (a remainder describes each pending task).
    pub fn covers(&self, id: &SlurmId) -> bool {
        match (*id, self.array_job_id) {
            (SlurmId::Plain(job), None) => self.job_id == job,
            (SlurmId::Task { array, index }, Some(of)) if of == array => {
                match (self.array_task_id, &self.pending_tasks) {
                    (Some(task), _) => task == index,
                    (None, Some(tasks)) => task_set_contains(tasks, index),
                    (None, None) => false,
                }
            }
            _ => false,
        }
    }

    /// The id of the task or plain job this record is (`None` for a pending remainder).
    pub fn id(&self) -> Option<SlurmId> {
        match (self.array_job_id, self.array_task_id) {
            (None, _) => Some(SlurmId::Plain(self.job_id)),
            (Some(array), Some(index)) => Some(SlurmId::Task { array, index }),
            (Some(_), None) => None,
        }
    }
}

/// A raw wait status, as Slurm reports a job's exit (`exit_code` in squeue's JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitStatus {
    pub code: i32,
    /// The signal that ended the job, if one did.
    pub signal: Option<i32>,
}

impl WaitStatus {
    pub fn from_raw(raw: i64) -> WaitStatus {
        let signal = (raw & 0x7f) as i32;
        WaitStatus {
            code: ((raw >> 8) & 0xff) as i32,
            signal: (signal != 0).then_some(signal),
        }
    }
}

/// How many tasks a task set holds.
pub fn task_set_len(tasks: &str) -> usize {
    let tasks = tasks.split('%').next().unwrap_or("");
    tasks
        .split(',')
        .map(|part| {
            let (range, step) = match part.split_once(':') {
                Some((range, step)) => (range, step.parse::<usize>().unwrap_or(1).max(1)),
                None => (part, 1),
            };
            let (first, last) = match range.split_once('-') {
                Some((first, last)) => (first.parse::<usize>(), last.parse::<usize>()),
                None => (range.parse(), range.parse()),
            };
            match (first, last) {
                (Ok(first), Ok(last)) if first <= last => (last - first) / step + 1,
                _ => 0,
            }
        })
        .sum()
}

/// Whether Slurm's task set (`2-5%1`, `0-999`, `1,3,5-7`, `0-10:2`) holds `index`.
pub fn task_set_contains(tasks: &str, index: u32) -> bool {
    // `%N` limits how many run at once; it is not part of the set.
    let tasks = tasks.split('%').next().unwrap_or("");
    tasks.split(',').any(|part| {
        let (range, step) = match part.split_once(':') {
            Some((range, step)) => (range, step.parse::<u32>().unwrap_or(1).max(1)),
            None => (part, 1),
        };
        let (first, last) = match range.split_once('-') {
            Some((first, last)) => (first.parse::<u32>(), last.parse::<u32>()),
            None => (range.parse(), range.parse()),
        };
        match (first, last) {
            (Ok(first), Ok(last)) => {
                (first..=last).contains(&index) && (index - first).is_multiple_of(step)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests;
