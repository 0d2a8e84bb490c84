//! The worker's own log lines, rendered for people.
//!
//! The worker writes its lines as tracing JSON objects when its stderr is not a terminal (so
//! log systems can index them), interleaved with FRED's output. Everything that shows a run's
//! log to people (`fredbatch logs`, the failure summary of `run` and `status`, the dashboard's
//! log tails) renders them
//! here, one readable line each: `[worker 12:00:01 INFO] attempt started (engine=demo)`.

use std::borrow::Cow;

use serde_json::{Map, Value};

const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/// A log line as people read it: the worker's lines rendered, every other line as it is.
pub fn for_people(line: &str) -> Cow<'_, str> {
    match readable(line) {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(line),
    }
}

/// `line` as `[worker HH:MM:SS LEVEL] message (key=value ...)` when it is one of the
/// worker's tracing JSON lines; `None` for any other line (FRED's output, or JSON of
/// another shape), which is shown as it is.
pub fn readable(line: &str) -> Option<String> {
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let Value::Object(event) = serde_json::from_str::<Value>(line).ok()? else {
        return None;
    };
    let level = event
        .get("level")?
        .as_str()
        .filter(|l| LEVELS.contains(l))?;
    let time = chrono::DateTime::parse_from_rfc3339(event.get("timestamp")?.as_str()?)
        .ok()?
        .format("%H:%M:%S");
    event.get("target")?.as_str()?;
    let fields = event.get("fields")?.as_object()?;
    let mut text = format!("[worker {time} {level}]");
    if let Some(message) = fields.get("message") {
        text.push(' ');
        text.push_str(&plain(message));
    }
    let rest = rest_of(fields);
    if !rest.is_empty() {
        text.push_str(&format!(" ({rest})"));
    }
    Some(text)
}

/// The fields beside the message, `key=value` separated by spaces.
fn rest_of(fields: &Map<String, Value>) -> String {
    fields
        .iter()
        .filter(|(key, _)| key.as_str() != "message")
        .map(|(key, value)| format!("{key}={}", plain(value)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A string as itself, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn a_worker_line_reads_as_time_level_message_and_fields() {
        let line = r#"{"timestamp":"2025-03-04T12:00:01.123456Z","level":"INFO","fields":{"message":"fetched inputs","files":3,"bucket":"s3://in"},"target":"fredbatch_worker","span":{"run":7,"name":"attempt"}}"#;
        assert_eq!(
            readable(line).as_deref(),
            Some("[worker 12:00:01 INFO] fetched inputs (files=3 bucket=s3://in)")
        );
    }

    #[test]
    fn a_line_without_fields_beside_the_message_has_no_parentheses() {
        let line = r#"{"timestamp":"2025-03-04T23:59:59Z","level":"WARN","fields":{"message":"slow"},"target":"fredbatch"}"#;
        assert_eq!(
            readable(line).as_deref(),
            Some("[worker 23:59:59 WARN] slow")
        );
    }

    #[test]
    fn freds_lines_and_other_json_pass_through() {
        for line in [
            "FRED finished in 1.5 s",
            "",
            "{ not json",
            r#"{"level":"INFO","message":"another program's JSON"}"#,
            r#"{"timestamp":"yesterday","level":"INFO","fields":{},"target":"x"}"#,
            r#"{"timestamp":"2025-03-04T12:00:01Z","level":"LOUD","fields":{},"target":"x"}"#,
            r#"["timestamp","level"]"#,
        ] {
            assert_eq!(readable(line), None, "{line}");
        }
    }
}
