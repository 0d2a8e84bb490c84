//! `squeue --json`: every job slurmctld knows, finished ones included for `MinJobAge`.
//!
//! Slurm 22.05 (OpenAPI v0.0.38) ignores `-j`, `-t` and `-u` with `--json`, so the whole list
//! is fetched once and filtered here. Fields whose shape later releases change are read
//! tolerantly: `job_state` is a string (v0.0.38) or an array of strings (later), numbers are
//! plain (v0.0.38) or `{"set": .., "number": ..}` objects (later), and `exit_code` is a raw wait
//! status (v0.0.38) or an object with `return_code` and `signal` (later).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::SlurmError;
use crate::record::{JobRecord, WaitStatus};

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    jobs: Vec<RawJob>,
    #[serde(default)]
    errors: Vec<Value>,
}

#[derive(Deserialize)]
struct RawJob {
    #[serde(default)]
    job_id: Value,
    #[serde(default)]
    array_job_id: Value,
    #[serde(default)]
    array_task_id: Value,
    #[serde(default)]
    array_task_string: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    job_state: Value,
    #[serde(default)]
    state_reason: Option<String>,
    #[serde(default)]
    exit_code: Value,
    #[serde(default)]
    submit_time: Value,
    #[serde(default)]
    start_time: Value,
    #[serde(default)]
    end_time: Value,
    #[serde(default)]
    nodes: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    time_limit: Value,
}

/// The jobs in `squeue --json`'s output.
pub fn parse(text: &str) -> Result<Vec<JobRecord>, SlurmError> {
    let answer: Answer = serde_json::from_str(text).map_err(|error| SlurmError::Parse {
        command: "squeue --json".into(),
        message: error.to_string(),
    })?;
    if !answer.errors.is_empty() {
        return Err(SlurmError::Parse {
            command: "squeue --json".into(),
            message: format!("Slurm reported errors: {}", Value::Array(answer.errors)),
        });
    }
    Ok(answer.jobs.into_iter().filter_map(record).collect())
}

fn record(raw: RawJob) -> Option<JobRecord> {
    let job_id = number(&raw.job_id)? as u64;
    let array_job_id = number(&raw.array_job_id)
        .filter(|&id| id > 0)
        .map(|id| id as u64);
    let array_task_id = number(&raw.array_task_id).map(|id| id as u32);
    let pending_tasks = raw
        .array_task_string
        .filter(|tasks| !tasks.is_empty() && array_task_id.is_none());
    let state = match &raw.job_state {
        Value::String(state) => state.clone(),
        Value::Array(states) => states.first()?.as_str()?.to_owned(),
        _ => return None,
    };
    Some(JobRecord {
        job_id,
        array_job_id,
        array_task_id,
        pending_tasks,
        name: raw.name.unwrap_or_default(),
        exit: exit_status(&raw.exit_code),
        submitted_at: time(&raw.submit_time),
        started_at: time(&raw.start_time),
        // For a job still running, end_time is when its time limit would end it.
        ended_at: time(&raw.end_time),
        reason: raw.state_reason.filter(|reason| reason != "None"),
        nodes: raw.nodes.filter(|nodes| !nodes.is_empty()),
        comment: raw.comment.filter(|comment| !comment.is_empty()),
        time_limit_minutes: number(&raw.time_limit).map(|minutes| minutes as u64),
        state,
    })
}

/// A number, or a `{"set": true, "number": N}` object; `None` when unset or infinite.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::Object(fields) => {
            let set = fields.get("set").and_then(Value::as_bool).unwrap_or(true);
            let infinite = fields
                .get("infinite")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (set && !infinite)
                .then(|| fields.get("number").and_then(Value::as_i64))
                .flatten()
        }
        _ => None,
    }
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    number(value)
        .filter(|&seconds| seconds > 0)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
}

fn exit_status(value: &Value) -> Option<WaitStatus> {
    match value {
        Value::Number(_) => number(value).map(WaitStatus::from_raw),
        Value::Object(fields) => {
            let code = fields.get("return_code").and_then(number)? as i32;
            let signal = fields
                .get("signal")
                .and_then(|signal| signal.get("id"))
                .and_then(number)
                .filter(|&id| id > 0)
                .map(|id| id as i32);
            Some(WaitStatus { code, signal })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from what Slurm 22.05.8 prints: a finished task, a plain running job and an
    /// array's pending remainder.
    const V0_0_38: &str = r#"{"meta":{"plugin":{"type":"openapi/v0.0.38"}},"errors":[],"jobs":[
      {"job_id":3,"array_job_id":1,"array_task_id":0,"array_task_string":"","name":"fred-job-1-runs-1-3",
       "job_state":"FAILED","state_reason":"NonZeroExitCode","exit_code":768,"submit_time":1796157069,
       "start_time":1796157070,"end_time":1796157070,"nodes":"localhost","comment":"fredbatch:attempts=3",
       "time_limit":null,"partition":"fredbatch"},
      {"job_id":2,"array_job_id":0,"array_task_id":null,"array_task_string":"","name":"plain",
       "job_state":"RUNNING","state_reason":"None","exit_code":0,"start_time":1796157070,
       "end_time":1796157370,"nodes":"localhost","comment":"","time_limit":5},
      {"job_id":1,"array_job_id":1,"array_task_id":null,"array_task_string":"1-2","name":"fred-job-1-runs-1-3",
       "job_state":"PENDING","state_reason":"Resources","exit_code":0,"start_time":0,"end_time":0,"nodes":""}
    ]}"#;

    #[test]
    fn reads_slurm_22_05s_json() {
        let jobs = parse(V0_0_38).unwrap();
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs[0].array_job_id, Some(1));
        assert_eq!(jobs[0].array_task_id, Some(0));
        assert_eq!(jobs[0].exit.unwrap().code, 3);
        assert_eq!(jobs[0].reason.as_deref(), Some("NonZeroExitCode"));
        assert_eq!(jobs[0].comment.as_deref(), Some("fredbatch:attempts=3"));
        assert_eq!(jobs[1].array_job_id, None, "array_job_id 0 means no array");
        assert_eq!(jobs[1].reason, None);
        assert_eq!(jobs[1].time_limit_minutes, Some(5));
        assert_eq!(jobs[2].pending_tasks.as_deref(), Some("1-2"));
        assert_eq!(jobs[2].started_at, None);
    }

    #[test]
    fn reads_later_releases_shapes() {
        let later = r#"{"jobs":[{"job_id":9,"array_job_id":{"set":true,"number":8},
          "array_task_id":{"set":true,"number":1},"name":"x","job_state":["NODE_FAIL"],
          "exit_code":{"status":["SIGNALED"],"return_code":{"set":true,"number":0},
          "signal":{"id":{"set":true,"number":15},"name":"TERM"}},
          "time_limit":{"set":false,"infinite":true,"number":0}}]}"#;
        let jobs = parse(later).unwrap();
        assert_eq!(jobs[0].state, "NODE_FAIL");
        assert_eq!(jobs[0].array_task_id, Some(1));
        assert_eq!(jobs[0].exit.unwrap().signal, Some(15));
        assert_eq!(jobs[0].time_limit_minutes, None);
    }

    #[test]
    fn errors_slurm_reports_are_not_an_empty_queue() {
        let answer = r#"{"jobs":[],"errors":[{"error":"Unable to contact slurm controller"}]}"#;
        assert!(parse(answer).is_err());
    }
}
