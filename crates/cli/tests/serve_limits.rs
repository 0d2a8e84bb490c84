//! `fredbatch serve` bounded against clients that hold connections: half-sent requests are
//! closed after the header timeout, connections past the cap wait without harming those
//! served, and meanwhile `/health` and a real epx job keep working.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::epx::{epx, epx_config};
use common::serve::{add_user, serve_with_args};
use common::{Sandbox, wait_for};

/// How long an answer may take while the server is under siege. The bound is 1 s on an idle
/// machine; tests share two cores with builds, so it is doubled.
const PROMPT: Duration = Duration::from_secs(2);

/// Opens a connection and sends half a request: its line and one header, never the blank line
/// that ends the head.
fn half_request(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: siege\r\n")
        .unwrap();
    stream
}

/// Whether the server closed the connection (end of file, a reset, or an answer such as 408
/// followed by the end), rather than leaving it open past `within`.
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 512];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

fn health_is_prompt(url: &str) {
    let started = Instant::now();
    let (status, body) = fredbatch_testkit::http("GET", &format!("{url}/health"), &[], b"");
    let took = started.elapsed();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(took < PROMPT, "/health took {took:?} under siege");
}

/// The test process opens a thousand sockets: its own open-file limit must allow it.
fn raise_open_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

/// 1,000 half-sent requests held until the server closes them (10 s, the default header
/// timeout, rather than the 30 s of a real siege: they cannot be held longer, which is the
/// point), while `/health` answers promptly throughout and a real epx job runs to DONE.
#[test]
fn half_sent_requests_are_closed_and_starve_nobody() {
    raise_open_file_limit();
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let server = serve_with_args(&sandbox, &[], &[]);
    let address = server.address().to_owned();
    let opened = Instant::now();
    let mut siege: Vec<TcpStream> = (0..1000).map(|_| half_request(&address)).collect();

    let model = sandbox.model("model", common::TINY_MODEL).join("main.fred");
    let storage = epx_config(&sandbox, "alice", &server.url, &alice);
    let job = std::thread::scope(|scope| {
        let job = scope.spawn(|| {
            epx(
                &sandbox,
                &storage,
                "small_job.py",
                &[model.to_str().unwrap(), "2"],
            )
        });
        while !job.is_finished() || opened.elapsed() < Duration::from_secs(5) {
            health_is_prompt(&server.url);
            std::thread::sleep(Duration::from_millis(200));
        }
        job.join().unwrap()
    });
    assert_eq!(job["status"], "DONE", "{job}");

    // Every half-sent request is closed by the server once its head is overdue (10 s after it
    // was opened, give or take scheduling), none later than a minute.
    for stream in &mut siege {
        assert!(
            closed_by_server(
                stream,
                Duration::from_secs(60).saturating_sub(opened.elapsed())
            ),
            "a half-sent request was left open {:?} after it was opened",
            opened.elapsed()
        );
    }
    assert!(
        opened.elapsed() >= Duration::from_secs(9),
        "closed before the header timeout: {:?}",
        opened.elapsed()
    );
    health_is_prompt(&server.url);
}

/// With the connection cap reached by half-sent requests, a new client waits in the backlog
/// rather than being refused or dropped, and is answered once the header timeout frees slots.
#[test]
fn past_the_connection_cap_clients_wait_and_are_answered() {
    let sandbox = Sandbox::new();
    let server = serve_with_args(
        &sandbox,
        &["--max-connections", "20", "--header-timeout", "2s"],
        &[],
    );
    let address = server.address().to_owned();
    let mut siege: Vec<TcpStream> = (0..20).map(|_| half_request(&address)).collect();
    let (status, _) = fredbatch_testkit::http("GET", &format!("{}/health", server.url), &[], b"");
    assert_eq!(status, 200, "answered once slots freed");
    for stream in &mut siege {
        assert!(closed_by_server(stream, Duration::from_secs(30)));
    }
    let said = server.said.lock().unwrap().join("\n");
    assert!(!said.contains("Too many open files"), "{said}");
}

/// A request body that stops halfway is given up after the idle timeout: its connection and
/// its user's slot are freed.
#[test]
fn a_stalled_request_body_is_given_up() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let server = serve_with_args(
        &sandbox,
        &["--idle-timeout", "2s", "--requests-per-user", "1"],
        &[],
    );
    let mut stalled = TcpStream::connect(server.address()).unwrap();
    write!(
        stalled,
        "POST /jobs/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice}\r\nContent-Length: 100\r\n\r\n{{\"tags\""
    )
    .unwrap();
    assert!(closed_by_server(&mut stalled, Duration::from_secs(30)));
    let answered = wait_for("alice's slot to be free", Duration::from_secs(10), || {
        let bearer = format!("Bearer {alice}");
        let (status, body) = fredbatch_testkit::http(
            "POST",
            &format!("{}/jobs/register", server.url),
            &[("Authorization", &bearer)],
            b"{\"tags\": []}",
        );
        (status == 200).then_some(body)
    });
    assert!(String::from_utf8_lossy(&answered).contains("\"id\""));
}
