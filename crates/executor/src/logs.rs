//! Attempt logs on disk: `<log dir>/<backend id>/attempt-<n>.log`, read in pages of whole lines
//! with a byte offset as the cursor.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use fredbatch_core::{LogPage, LogRequest, RunnerError};

pub fn attempt_log(dir: &Path, attempt: u32) -> PathBuf {
    dir.join(format!("attempt-{attempt}.log"))
}

/// The highest attempt with a log in `dir`.
fn latest_attempt(dir: &Path) -> Option<u32> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            name.to_str()?
                .strip_prefix("attempt-")?
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .max()
}

pub fn read_page(dir: &Path, request: &LogRequest) -> Result<LogPage, RunnerError> {
    match request.attempt.or_else(|| latest_attempt(dir)) {
        Some(attempt) => read_file(&attempt_log(dir, attempt), request, attempt),
        None => Ok(LogPage {
            lines: Vec::new(),
            next_cursor: request.cursor.clone(),
            attempt: None,
        }),
    }
}

/// A page of `attempt`'s log file at `path` (none yet is an empty page): whole lines from the
/// request's cursor, or its last lines for a tail. Shared by the backends whose attempt logs
/// are files (this executor's, Slurm's task output files).
pub fn read_file(path: &Path, request: &LogRequest, attempt: u32) -> Result<LogPage, RunnerError> {
    let io_error = |source| RunnerError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LogPage {
                lines: Vec::new(),
                next_cursor: request.cursor.clone(),
                attempt: Some(attempt),
            });
        }
        Err(error) => return Err(io_error(error)),
    };
    if request.tail {
        return read_tail(file, request.limit.max(1), attempt).map_err(io_error);
    }
    let mut offset: u64 = request
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(offset)).map_err(io_error)?;
    let mut lines = Vec::new();
    let mut line = Vec::new();
    while lines.len() < request.limit.max(1) {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io_error)?;
        // A line still being written is left for the next page.
        if read == 0 || !line.ends_with(b"\n") {
            break;
        }
        offset += read as u64;
        lines.push(
            String::from_utf8_lossy(&line)
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
        );
    }
    Ok(LogPage {
        lines,
        next_cursor: Some(offset.to_string()),
        attempt: Some(attempt),
    })
}

/// The last `limit` complete lines of a log, keeping only those in memory.
fn read_tail(file: std::fs::File, limit: usize, attempt: u32) -> std::io::Result<LogPage> {
    let mut reader = BufReader::new(file);
    let mut lines = VecDeque::with_capacity(limit);
    let mut offset = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
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
    fn a_tail_is_the_last_complete_lines_and_continues_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = attempt_log(dir.path(), 1);
        std::fs::write(&log, "one\ntwo\nthree\nfour\nhalf a li").unwrap();
        let request = LogRequest {
            limit: 2,
            tail: true,
            ..LogRequest::default()
        };
        let page = read_page(dir.path(), &request).unwrap();
        assert_eq!(page.lines, ["three", "four"]);
        std::fs::write(&log, "one\ntwo\nthree\nfour\nhalf a line\n").unwrap();
        let next = read_page(
            dir.path(),
            &LogRequest {
                cursor: page.next_cursor,
                limit: 10,
                ..LogRequest::default()
            },
        )
        .unwrap();
        assert_eq!(next.lines, ["half a line"], "following on after the tail");
    }
}
