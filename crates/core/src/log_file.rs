//! Attempt logs kept as files (the local executor's, Slurm's task output files), read in
//! pages of whole lines with a byte offset as the cursor, so `fredbatch logs --follow` behaves
//! the same on every backend whose logs are files. Where the files are is each backend's own.
//!
//! A line still being written (no newline yet) is left for the next page.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::runner::{LogPage, LogRequest, RunnerError};

/// A page of the log of the attempt `request` asks for, or of the latest (`latest` finds it
/// among the backend's files), `path` placing an attempt's log. No attempt yet is an empty page.
pub fn read_attempt(
    request: &LogRequest,
    latest: impl FnOnce() -> Option<u32>,
    path: impl FnOnce(u32) -> PathBuf,
) -> Result<LogPage, RunnerError> {
    match request.attempt.or_else(latest) {
        Some(attempt) => read_page(&path(attempt), request, attempt),
        None => Ok(LogPage {
            lines: Vec::new(),
            next_cursor: request.cursor.clone(),
            attempt: None,
        }),
    }
}

/// A page of `attempt`'s log file at `path` (none yet is an empty page): whole lines from the
/// request's cursor, or its last lines for a tail.
pub fn read_page(path: &Path, request: &LogRequest, attempt: u32) -> Result<LogPage, RunnerError> {
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
mod tests;
