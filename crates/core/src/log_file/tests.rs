use super::*;

fn request(limit: usize) -> LogRequest {
    LogRequest {
        limit,
        ..LogRequest::default()
    }
}

#[test]
fn pages_follow_on_and_leave_a_half_written_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("attempt-1.log");
    let missing = read_page(&log, &request(10), 1).unwrap();
    assert!(missing.lines.is_empty(), "no log yet is an empty page");
    assert_eq!(missing.attempt, Some(1));
    std::fs::write(&log, "one\ntwo\r\nthree\nhalf").unwrap();
    let first = read_page(&log, &request(2), 1).unwrap();
    assert_eq!(first.lines, ["one", "two"]);
    let next = read_page(
        &log,
        &LogRequest {
            cursor: first.next_cursor,
            ..request(10)
        },
        1,
    )
    .unwrap();
    assert_eq!(next.lines, ["three"]);
    assert_eq!(next.next_cursor.as_deref(), Some("15"));
}

#[test]
fn a_tail_is_the_last_complete_lines_and_continues_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("attempt-1.log");
    std::fs::write(&log, "one\ntwo\nthree\nfour\nhalf a li").unwrap();
    let tail = LogRequest {
        tail: true,
        ..request(2)
    };
    let page = read_page(&log, &tail, 1).unwrap();
    assert_eq!(page.lines, ["three", "four"]);
    std::fs::write(&log, "one\ntwo\nthree\nfour\nhalf a line\n").unwrap();
    let next = read_page(
        &log,
        &LogRequest {
            cursor: page.next_cursor,
            ..request(10)
        },
        1,
    )
    .unwrap();
    assert_eq!(next.lines, ["half a line"], "following on after the tail");
}
