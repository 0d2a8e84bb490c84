//! The results archive of one run in the layout the epx client reads: every entry under
//! `work/outputs/` (FRED 11's layout: `DAILY/<Condition>.<var>.txt`, `DAILY/Date.txt`,
//! `DAILY/Popsize.txt`, `conditions.json`, `logs.txt`), built from FRED 5's committed
//! `RUN<r>/` output, so the client's readers work on public FRED.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use fredbatch_core::Run;
use fredbatch_core::keys::{attempt_file_key, manifest_key, results_archive_key};
use fredbatch_core::manifest::Manifest;
use fredbatch_storage::{Storage, StorageError};
use zip::write::SimpleFileOptions;

/// Where every entry of the archive lives.
pub const ROOT: &str = "work/outputs";

#[derive(Debug, thiserror::Error)]
pub enum ResultsZipError {
    #[error("run {0} has no committed results")]
    NotCommitted(fredbatch_core::RunId),
    #[error("the run's manifest `{key}` is unreadable: {source}")]
    Manifest {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot write the results archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the results archive: {0}")]
    Write(#[from] std::io::Error),
}

/// One line of `logs.txt`: `[YYYY-MM-DDTHH:MM:SS.mmmZ] LEVEL: message`. The client's reader
/// refuses the whole file if any line differs, so messages are kept on one line.
pub fn log_line(at: DateTime<Utc>, level: &str, message: &str) -> String {
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "[{}] {level}: {}",
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        message.trim()
    )
}

/// Builds the archive from a committed run's files: `(path below the attempt's prefix,
/// bytes)`. Files under `RUN<replicate>/` go to `work/outputs/`; the engine's log gives
/// `logs.txt` its summary lines.
pub fn build_zip(
    run: &Run,
    files: &[(String, Vec<u8>)],
    finished_at: DateTime<Utc>,
) -> Result<Vec<u8>, ResultsZipError> {
    let run_dir = format!("RUN{}/", run.fred_run);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut conditions = BTreeSet::new();
    let mut engine_log = None;
    for (path, bytes) in files {
        if path == "fred.log" {
            engine_log = Some(bytes);
        }
        let Some(relative) = path.strip_prefix(&run_dir) else {
            continue;
        };
        if let Some(daily) = relative.strip_prefix("DAILY/")
            && let Some((condition, _)) = daily.split_once('.')
            && !["Date", "EpiWeek", "Popsize"].contains(&condition)
        {
            conditions.insert(condition.to_owned());
        }
        writer.start_file(format!("{ROOT}/{relative}"), options)?;
        writer.write_all(bytes)?;
    }
    // The client takes this file's presence as FRED 11's layout; it lists the conditions.
    let conditions: Vec<String> = conditions.into_iter().collect();
    writer.start_file(format!("{ROOT}/conditions.json"), options)?;
    writer.write_all(&serde_json::to_vec(&conditions).expect("names serialize"))?;
    let mut logs = vec![log_line(
        finished_at,
        "INFO",
        &format!(
            "fredbatch run {} of job {} finished DONE after {} attempt(s)",
            run.id, run.job_id, run.attempts
        ),
    )];
    if let Some(log) = engine_log {
        logs.extend(
            String::from_utf8_lossy(log)
                .lines()
                .filter(|line| line.starts_with("FRED finished") || line.starts_with("FRED took"))
                .map(|line| log_line(finished_at, "INFO", line)),
        );
    }
    // What FRED ignored (e.g. a misspelt key), so the client's user sees it with the results.
    logs.extend(
        run.warnings
            .iter()
            .map(|warning| log_line(finished_at, "WARNING", warning)),
    );
    writer.start_file(format!("{ROOT}/logs.txt"), options)?;
    writer.write_all(format!("{}\n", logs.join("\n")).as_bytes())?;
    writer.start_file(format!("{ROOT}/return_code.txt"), options)?;
    writer.write_all(b"0\n")?;
    Ok(writer.finish()?.into_inner())
}

/// Reads a DONE run's committed files (as its manifest lists them) and stores its archive;
/// returns the archive's key.
pub async fn store_results_zip(results: &Storage, run: &Run) -> Result<String, ResultsZipError> {
    let prefix = run
        .results_key
        .as_deref()
        .ok_or(ResultsZipError::NotCommitted(run.id))?;
    let key = manifest_key(prefix);
    let manifest: Manifest = serde_json::from_slice(&results.get_bytes(&key).await?)
        .map_err(|source| ResultsZipError::Manifest { key, source })?;
    let run_dir = format!("RUN{}/", run.fred_run);
    let mut files = Vec::new();
    for file in &manifest.files {
        if file.path.starts_with(&run_dir) || file.path == "fred.log" {
            let bytes = results
                .get_bytes(&attempt_file_key(prefix, &file.path))
                .await?;
            files.push((file.path.clone(), bytes.to_vec()));
        }
    }
    let zip = build_zip(run, &files, run.finished_at.unwrap_or_else(Utc::now))?;
    let key = results_archive_key(run.job_id, run.id);
    results.put_bytes(&key, zip).await?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use fredbatch_core::{JobId, RunId, RunStatus};

    use super::*;

    fn run() -> Run {
        Run {
            id: RunId(12),
            job_id: JobId(3),
            run_number: 2,
            config: 2,
            replicate: 1,
            status: RunStatus::Done,
            status_reason: None,
            attempts: 1,
            backend_job_id: None,
            backend_state: None,
            cancel_requested: false,
            retries: 0,
            results_key: Some("job-3/run-2/attempt-1".into()),
            started_at: None,
            finished_at: None,
            warnings: Vec::new(),
            fred_run: 1,
            reused_from: None,
        }
    }

    #[test]
    fn every_entry_is_under_work_outputs_in_the_clients_layout() {
        let files = vec![
            ("RUN1/DAILY/INF.newE.txt".to_owned(), b"0 3\n1 4\n".to_vec()),
            ("RUN1/DAILY/INF.E.txt".to_owned(), b"0 3\n".to_vec()),
            ("RUN1/DAILY/StayHome.Yes.txt".to_owned(), b"0 0\n".to_vec()),
            ("RUN1/DAILY/Date.txt".to_owned(), b"0 2020-01-01\n".to_vec()),
            ("RUN1/DAILY/Popsize.txt".to_owned(), b"0 1000\n".to_vec()),
            ("RUN1/out.csv".to_owned(), b"Day,Date\n".to_vec()),
            (
                "fred.log".to_owned(),
                b"PARAM days = 3\nFRED finished Mon\nFRED took 0.1 seconds\n".to_vec(),
            ),
            ("errors.txt".to_owned(), Vec::new()),
        ];
        let at = DateTime::parse_from_rfc3339("2026-12-01T19:26:46.442Z")
            .unwrap()
            .to_utc();
        let mut run = run();
        run.warnings = vec![
            "FRED Warning (file main.fred, line 5) Unrecognized property statement: dyas = 3"
                .into(),
        ];
        let zip = build_zip(&run, &files, at).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "work/outputs/DAILY/Date.txt",
                "work/outputs/DAILY/INF.E.txt",
                "work/outputs/DAILY/INF.newE.txt",
                "work/outputs/DAILY/Popsize.txt",
                "work/outputs/DAILY/StayHome.Yes.txt",
                "work/outputs/conditions.json",
                "work/outputs/logs.txt",
                "work/outputs/out.csv",
                "work/outputs/return_code.txt",
            ]
        );
        let read = |archive: &mut zip::ZipArchive<_>, name: &str| {
            let mut text = String::new();
            archive
                .by_name(name)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        assert_eq!(
            read(&mut archive, "work/outputs/DAILY/INF.newE.txt"),
            "0 3\n1 4\n"
        );
        assert_eq!(
            read(&mut archive, "work/outputs/conditions.json"),
            r#"["INF","StayHome"]"#
        );
        let logs = read(&mut archive, "work/outputs/logs.txt");
        let lines: Vec<&str> = logs.lines().collect();
        assert_eq!(lines.len(), 4, "{logs}");
        assert_eq!(
            lines[1],
            "[2026-12-01T19:26:46.442Z] INFO: FRED finished Mon"
        );
        assert_eq!(
            lines[3],
            "[2026-12-01T19:26:46.442Z] WARNING: FRED Warning (file main.fred, line 5) \
             Unrecognized property statement: dyas = 3"
        );
        // The client's own pattern for every line of logs.txt.
        for line in lines {
            let (stamp, rest) = line.split_once("] ").unwrap();
            assert_eq!(stamp.len(), "[2026-12-01T19:26:46.442Z".len(), "{line}");
            assert!(stamp.starts_with('[') && stamp.ends_with('Z'), "{line}");
            let (level, message) = rest.split_once(": ").unwrap();
            assert!(
                ["DEBUG", "INFO", "WARNING", "ERROR"].contains(&level),
                "{line}"
            );
            assert!(!message.is_empty());
        }
    }

    #[test]
    fn log_messages_stay_on_one_line() {
        let at = DateTime::UNIX_EPOCH;
        assert_eq!(
            log_line(at, "ERROR", "two\nlines\r"),
            "[1970-01-01T00:00:00.000Z] ERROR: two lines"
        );
    }
}
