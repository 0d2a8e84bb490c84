//! Reading a run's log from CloudWatch Logs.
//!
//! Each attempt of a Batch job writes to its own log stream (named in the attempt's
//! `logStreamName`) in the job definition's log group. A page is read with GetLogEvents from
//! the head of the stream; the **cursor** is `<attempt>:<nextForwardToken>`, so a follower
//! keeps its place in one attempt's stream and, when that stream has nothing more and a later
//! attempt exists, moves on to the next attempt's stream from its start.

use fredbatch_core::{BackendJob, BackendJobId, LogPage, LogRequest};

use crate::calls::retrying_optional;
use crate::error::BatchError;
use crate::runner::Ready;

/// GetLogEvents' limit per page.
const MAX_EVENTS: usize = 10_000;
/// Empty pages with a new token may come before the events; give up on a page after this many.
const EMPTY_PAGES: usize = 5;

pub async fn logs(
    ready: &Ready,
    id: &BackendJobId,
    request: &LogRequest,
) -> Result<LogPage, BatchError> {
    // With the attempts of its continuation on the fallback queue, if it has one.
    let job = crate::fallback::describe_run(ready, id)
        .await?
        .0
        .ok_or_else(|| BatchError::UnknownJob(id.clone()))?;
    let latest = job.attempts.len() as u32;
    let cursor = request.cursor.as_deref().and_then(parse_cursor);
    let (mut attempt, mut token) = match (request.attempt, cursor) {
        (Some(asked), Some((at, token))) if asked == at => (asked, Some(token)),
        (Some(asked), _) => (asked, None),
        (None, Some((at, token))) => (at, Some(token)),
        (None, None) => (latest, None),
    };
    if latest == 0 {
        // Not started yet: nothing to read, and the caller's place is kept.
        return Ok(LogPage {
            lines: Vec::new(),
            next_cursor: request.cursor.clone(),
            attempt: None,
        });
    }
    if attempt == 0 || attempt > latest {
        return Err(BatchError::Invalid(format!(
            "run `{id}` has {latest} attempt(s); there is no attempt {attempt}"
        )));
    }
    let group = ready.log_group().await;
    if request.tail {
        let Some(stream) = stream_of(&job, attempt) else {
            return Ok(page(Vec::new(), attempt, None));
        };
        let (lines, next) = read_tail(ready, &group, stream, request.limit).await?;
        return Ok(page(lines, attempt, next));
    }
    loop {
        let Some(stream) = stream_of(&job, attempt) else {
            return Ok(page(Vec::new(), attempt, token));
        };
        let (lines, next) = read(ready, &group, stream, token.clone(), request.limit).await?;
        let follow_on = request.attempt.is_none() && attempt < latest;
        if lines.is_empty() && follow_on {
            attempt += 1;
            token = None;
            continue;
        }
        return Ok(page(lines, attempt, next.or(token)));
    }
}

fn stream_of(job: &BackendJob, attempt: u32) -> Option<&str> {
    job.attempts
        .get(attempt as usize - 1)
        .and_then(|a| a.log_ref.as_deref())
}

fn page(lines: Vec<String>, attempt: u32, token: Option<String>) -> LogPage {
    LogPage {
        lines,
        next_cursor: token.map(|t| format!("{attempt}:{t}")),
        attempt: Some(attempt),
    }
}

fn parse_cursor(cursor: &str) -> Option<(u32, String)> {
    let (attempt, token) = cursor.split_once(':')?;
    Some((attempt.parse().ok()?, token.to_owned()))
}

/// Lines of a page of events and the token to continue after them.
type Events = (Vec<String>, Option<String>);

/// The last `limit` events of a stream, and the token to continue after them.
async fn read_tail(
    ready: &Ready,
    group: &str,
    stream: &str,
    limit: usize,
) -> Result<Events, BatchError> {
    let events = get_events(ready, group, stream, false, limit, None).await?;
    Ok(events.unwrap_or_default())
}

/// Up to `limit` events after `token`, and the token to continue from. A stream that does not
/// exist yet reads as empty.
async fn read(
    ready: &Ready,
    group: &str,
    stream: &str,
    mut token: Option<String>,
    limit: usize,
) -> Result<Events, BatchError> {
    for _ in 0..EMPTY_PAGES {
        let Some((lines, next)) =
            get_events(ready, group, stream, true, limit, token.clone()).await?
        else {
            return Ok((Vec::new(), token));
        };
        // The same token back means the end of the stream for now.
        let at_end = next.is_none() || next == token;
        if !lines.is_empty() || at_end {
            return Ok((lines, next));
        }
        token = next;
    }
    Ok((Vec::new(), token))
}

/// One GetLogEvents call (from the head, or from the tail backwards); `None` when the stream
/// does not exist.
async fn get_events(
    ready: &Ready,
    group: &str,
    stream: &str,
    from_head: bool,
    limit: usize,
    token: Option<String>,
) -> Result<Option<Events>, BatchError> {
    let request = ready
        .clients
        .logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(from_head)
        .limit(limit.clamp(1, MAX_EVENTS) as i32)
        .set_next_token(token);
    let output = retrying_optional("GetLogEvents", &["ResourceNotFoundException"], || {
        request.clone().send()
    })
    .await?;
    Ok(output.map(|output| {
        let lines = output
            .events()
            .iter()
            .filter_map(|e| e.message())
            .map(|message| message.trim_end_matches('\n').to_owned())
            .collect();
        (lines, output.next_forward_token().map(str::to_owned))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_keep_the_attempt_and_a_token_with_colons() {
        let page = page(vec![], 2, Some("f/3612:00".into()));
        let cursor = page.next_cursor.unwrap();
        assert_eq!(parse_cursor(&cursor), Some((2, "f/3612:00".into())));
        assert_eq!(parse_cursor("garbage"), None);
    }
}
