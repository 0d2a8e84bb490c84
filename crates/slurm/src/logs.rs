//! Task logs: `<log dir>/<backend id>.attempt-<n>.log`, read in pages of whole lines with a
//! byte offset as the cursor — the local executor's semantics (`LogRequest`, `LogPage`), so
//! `fredbatch logs --follow` behaves the same on both.
//!
//! The executor's reader is private to it and keyed by a folder per backend id; Slurm opens a
//! task's output file itself before the task runs, in a folder that must already exist, and
//! an array's task ids are known only after sbatch answers, so the logs here are flat files.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

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
    let empty = |attempt| LogPage {
        lines: Vec::new(),
        next_cursor: request.cursor.clone(),
        attempt,
    };
    let Some(attempt) = request.attempt.or_else(|| latest_attempt(log_dir, id)) else {
        return Ok(empty(None));
    };
    let path = log_path(log_dir, &id.0, attempt);
    let io_error = |source| RunnerError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(empty(Some(attempt)));
        }
        Err(error) => return Err(io_error(error)),
    };
    let limit = request.limit.max(1);
    let mut reader = BufReader::new(file);
    let mut offset: u64 = if request.tail {
        0
    } else {
        request
            .cursor
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    };
    reader.seek(SeekFrom::Start(offset)).map_err(io_error)?;
    let mut lines = VecDeque::new();
    let mut line = Vec::new();
    // A tail reads to the end keeping the last `limit` lines; a page stops after `limit`.
    while request.tail || lines.len() < limit {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io_error)?;
        // A line still being written is left for the next page.
        if read == 0 || !line.ends_with(b"\n") {
            break;
        }
        offset += read as u64;
        if lines.len() == limit {
            lines.pop_front();
        }
        lines.push_back(
            String::from_utf8_lossy(&line)
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
        );
    }
    Ok(LogPage {
        lines: lines.into(),
        next_cursor: Some(offset.to_string()),
        attempt: Some(attempt),
    })
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
