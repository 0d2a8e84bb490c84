//! Reading a run's log from CloudWatch Logs, page by page, and following it.
//!
//! moto's Docker-less Batch names each attempt's log stream but writes nothing to it; the test
//! writes the events, as the awslogs driver would, into the job definition's log group.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use fredbatch_core::{IgnoreProgress, LogRequest, RunnerError, SimulationRunner};

use crate::support::moto::{Setup, moto_url};
use crate::support::proxy::Proxy;
use crate::support::{runs, spec};

/// Writes `lines` one millisecond apart, starting `ago` milliseconds in the past.
async fn write_lines(setup: &Setup, stream: &str, ago: i64, lines: impl Iterator<Item = String>) {
    let now = chrono::Utc::now().timestamp_millis() - ago;
    let events: Vec<InputLogEvent> = lines
        .enumerate()
        .map(|(i, line)| {
            InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(line)
                .build()
                .unwrap()
        })
        .collect();
    for batch in events.chunks(1000) {
        setup
            .direct
            .logs
            .put_log_events()
            .log_group_name(&setup.log_group)
            .log_stream_name(stream)
            .set_log_events(Some(batch.to_vec()))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_log_is_read_in_pages_and_followed_from_its_cursor() {
    let setup = Setup::create().await;
    let mut config = setup.config();
    // The job definition's awslogs group wins over a configured one.
    config.log_group = Some("/aws/batch/not-this-one".into());
    let proxy = Proxy::start(&moto_url()).await;
    let runner = setup.runner(&proxy.url, config).await;
    let id = runner
        .submit(&spec(30), &runs(30, [1]), &IgnoreProgress).await
        .unwrap()
        .remove(0);
    let job = runner.describe(std::slice::from_ref(&id)).await.unwrap()[&id].clone();
    let stream = job.attempts[0]
        .log_ref
        .clone()
        .expect("the attempt's log stream");

    // Before the stream exists there is nothing to read, and no error.
    let empty = runner.logs(&id, &page_after(None)).await.unwrap();
    assert!(empty.lines.is_empty());

    setup
        .direct
        .logs
        .create_log_stream()
        .log_group_name(&setup.log_group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    write_lines(
        &setup,
        &stream,
        60_000,
        (1..=2500).map(|i| format!("line {i}")),
    )
    .await;

    let mut lines = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = runner.logs(&id, &page_after(cursor.clone())).await.unwrap();
        assert_eq!(page.attempt, Some(1));
        cursor = page.next_cursor.clone().or(cursor);
        if page.lines.is_empty() {
            break;
        }
        pages += 1;
        lines.extend(page.lines);
    }
    assert_eq!(pages, 3);
    assert_eq!(lines.len(), 2500);
    assert_eq!(lines[0], "line 1");
    assert_eq!(lines[2499], "line 2500");
    let groups: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "GetLogEvents")
        .map(|s| s.body["logGroupName"].as_str().unwrap().to_owned())
        .collect();
    assert!(groups.iter().all(|g| *g == setup.log_group), "{groups:?}");

    // Following: new lines only, from where the last page ended.
    write_lines(
        &setup,
        &stream,
        0,
        (2501..=2503).map(|i| format!("line {i}")),
    )
    .await;
    let next = runner.logs(&id, &page_after(cursor.clone())).await.unwrap();
    assert_eq!(next.lines, ["line 2501", "line 2502", "line 2503"]);

    // The tail a failed run's summary shows: the last lines, not the first.
    let tail = runner
        .logs(
            &id,
            &LogRequest {
                attempt: None,
                cursor: None,
                limit: 2,
                tail: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(tail.lines, ["line 2502", "line 2503"]);
}

#[tokio::test]
async fn asking_for_an_attempt_that_never_ran_is_an_error() {
    let setup = Setup::create().await;
    let runner = setup.runner(&moto_url(), setup.config()).await;
    let id = runner
        .submit(&spec(31), &runs(31, [1]), &IgnoreProgress).await
        .unwrap()
        .remove(0);

    let error = runner
        .logs(
            &id,
            &LogRequest {
                attempt: Some(2),
                cursor: None,
                limit: 10,
                tail: false,
            },
        )
        .await
        .unwrap_err();

    let RunnerError::Rejected { message } = error else {
        panic!("expected a rejection, got {error:?}");
    };
    assert!(
        message.contains("has 1 attempt(s); there is no attempt 2"),
        "{message}"
    );
}

/// A page of up to 1000 lines of the latest attempt, after `cursor`.
fn page_after(cursor: Option<String>) -> LogRequest {
    LogRequest {
        attempt: None,
        cursor,
        limit: 1000,
        tail: false,
    }
}
