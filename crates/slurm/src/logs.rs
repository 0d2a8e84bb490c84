//! Task logs: `<log dir>/<backend id>.attempt-<n>.log`, read in pages by
//! [`fredbatch_core::log_file`], as the local executor reads its own.
//!
//! The executor keeps a folder per backend id; Slurm opens a task's output file itself before
//! the task runs, in a folder that must already exist, and an array's task ids are known only
//! after sbatch answers, so the logs here are flat files.

use std::path::Path;

use fredbatch_core::log_file::read_attempt;
use fredbatch_core::{BackendJobId, LogPage, LogRequest, RunnerError};

use crate::script::log_path;

/// Attempts are numbered from 1 without gaps, and few (at most the run's attempts).
fn latest_attempt(log_dir: &Path, id: &BackendJobId) -> Option<u32> {
    (1..=100)
        .take_while(|&attempt| log_path(log_dir, &id.0, attempt).exists())
        .last()
}

pub fn read_page(
    log_dir: &Path,
    id: &BackendJobId,
    request: &LogRequest,
) -> Result<LogPage, RunnerError> {
    read_attempt(
        request,
        || latest_attempt(log_dir, id),
        |attempt| log_path(log_dir, &id.0, attempt),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_tails_and_the_latest_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let id = BackendJobId::from("12_3");
        let page = |request: &LogRequest| read_page(dir.path(), &id, request).unwrap();
        assert_eq!(page(&LogRequest::default()).attempt, None, "no log yet");
        std::fs::write(log_path(dir.path(), "12_3", 1), "a\nb\n").unwrap();
        std::fs::write(log_path(dir.path(), "12_3", 2), "one\ntwo\nthree\nhalf").unwrap();
        let first = page(&LogRequest {
            limit: 2,
            ..LogRequest::default()
        });
        assert_eq!(first.attempt, Some(2));
        assert_eq!(first.lines, ["one", "two"]);
        let next = page(&LogRequest {
            limit: 10,
            cursor: first.next_cursor,
            ..LogRequest::default()
        });
        assert_eq!(next.lines, ["three"], "the half-written line waits");
        let tail = page(&LogRequest {
            limit: 2,
            tail: true,
            ..LogRequest::default()
        });
        assert_eq!(tail.lines, ["two", "three"]);
        assert_eq!(tail.next_cursor, next.next_cursor);
        let older = page(&LogRequest {
            attempt: Some(1),
            limit: 10,
            ..LogRequest::default()
        });
        assert_eq!(older.lines, ["a", "b"]);
    }
}
