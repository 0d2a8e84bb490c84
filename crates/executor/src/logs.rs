//! Attempt logs on disk: `<log dir>/<backend id>/attempt-<n>.log`, read in pages by
//! [`fredbatch_core::log_file`].

use std::path::{Path, PathBuf};

use fredbatch_core::log_file::read_attempt;
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

/// A page of the log of one backend job, whose attempts' logs are in `dir`.
pub fn read_page(dir: &Path, request: &LogRequest) -> Result<LogPage, RunnerError> {
    read_attempt(
        request,
        || latest_attempt(dir),
        |attempt| attempt_log(dir, attempt),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_attempt_is_read_unless_one_is_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let request = LogRequest {
            limit: 10,
            ..LogRequest::default()
        };
        let none = read_page(dir.path(), &request).unwrap();
        assert_eq!((none.attempt, none.lines.len()), (None, 0), "no log yet");
        std::fs::write(attempt_log(dir.path(), 1), "first\n").unwrap();
        std::fs::write(attempt_log(dir.path(), 12), "twelfth\n").unwrap();
        let latest = read_page(dir.path(), &request).unwrap();
        assert_eq!(
            (latest.attempt, latest.lines),
            (Some(12), vec!["twelfth".into()])
        );
        let first = LogRequest {
            attempt: Some(1),
            ..request
        };
        assert_eq!(read_page(dir.path(), &first).unwrap().lines, ["first"]);
    }
}
