//! The job-completion log (`JobCompType=jobcomp/filetxt`): one `Key=Value` line per finished job
//! or array task. It outlives slurmctld's memory (`MinJobAge`), so it describes the jobs squeue
//! no longer lists. It has no comments, and signals show as `0:0`, so it is the second source.

use std::path::Path;

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};

use crate::error::SlurmError;
use crate::record::{JobRecord, WaitStatus};

pub fn read(path: &Path) -> Result<Vec<JobRecord>, SlurmError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(parse(&text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(SlurmError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The records of a log, later lines replacing earlier ones for the same job.
pub fn parse(text: &str) -> Vec<JobRecord> {
    text.lines().filter_map(line).collect()
}

fn line(line: &str) -> Option<JobRecord> {
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
    };
    let array_job_id = field("ArrayJobId")
        .and_then(|id| id.parse().ok())
        .filter(|&id| id > 0);
    Some(JobRecord {
        job_id: field("JobId")?.parse().ok()?,
        array_job_id,
        array_task_id: array_job_id
            .and(field("ArrayTaskId"))
            .and_then(|id| id.parse().ok()),
        pending_tasks: None,
        name: field("Name").unwrap_or_default().to_owned(),
        state: field("JobState")?.to_owned(),
        reason: None,
        exit: field("ExitCode").and_then(exit_code),
        submitted_at: field("SubmitTime").and_then(time),
        started_at: field("StartTime").and_then(time),
        ended_at: field("EndTime").and_then(time),
        nodes: field("NodeList")
            .filter(|nodes| !nodes.is_empty() && *nodes != "(null)")
            .map(str::to_owned),
        comment: None,
        time_limit_minutes: field("TimeLimit").and_then(|limit| limit.parse().ok()),
    })
}

/// `code:signal`.
fn exit_code(text: &str) -> Option<WaitStatus> {
    let (code, signal) = text.split_once(':')?;
    let signal: i32 = signal.parse().ok()?;
    Some(WaitStatus {
        code: code.parse().ok()?,
        signal: (signal != 0).then_some(signal),
    })
}

/// slurmctld writes times in its local time zone, without saying which.
fn time(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok()?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_array_tasks_and_plain_jobs() {
        let log = "JobId=3 UserId=root(0) GroupId=root(0) Name=fred-job-1-runs-1-3 JobState=FAILED \
            Partition=fredbatch TimeLimit=UNLIMITED StartTime=2026-12-01T20:31:10 \
            EndTime=2026-12-01T20:31:10 NodeList=localhost NodeCnt=1 ArrayJobId=1 ArrayTaskId=0 \
            DerivedExitCode=0:0 ExitCode=3:0 \n\
            JobId=2 UserId=root(0) Name=plain JobState=COMPLETED TimeLimit=5 \
            StartTime=2026-12-01T20:31:10 EndTime=Unknown NodeList=localhost ExitCode=0:0 \n";
        let jobs = parse(log);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].array_job_id, Some(1));
        assert_eq!(jobs[0].array_task_id, Some(0));
        assert_eq!(jobs[0].exit.unwrap().code, 3);
        assert_eq!(jobs[0].time_limit_minutes, None);
        assert!(jobs[0].started_at.is_some());
        assert_eq!(jobs[1].array_job_id, None);
        assert_eq!(jobs[1].ended_at, None);
        assert_eq!(jobs[1].time_limit_minutes, Some(5));
    }
}
