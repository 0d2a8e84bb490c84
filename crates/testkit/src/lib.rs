//! What the tests of every crate share: the servers `scripts/test` starts (named by
//! environment variables; a test fails, never skips, without them), names no other test uses,
//! and plain HTTP requests to the moto server for what the code under test must not do itself
//! (creating a bucket, reading an object's ETag, deleting a log group); and [`bench`], what
//! the benchmarks share.

pub mod bench;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU32, Ordering};

/// A variable `scripts/test` sets.
pub fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with `scripts/test` (the benchmarks with \
             `scripts/bench`), which start the servers and install the tools they need"
        )
    })
}

/// The moto server.
pub fn moto_url() -> String {
    std::env::var("FREDBATCH_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "FREDBATCH_TEST_MOTO_URL is not set: run the tests with `scripts/test`, which starts \
             a moto server, or start `moto_server -p PORT`, POST \
             {{\"batch\": {{\"use_docker\": false}}}} to /moto-api/config and export \
             FREDBATCH_TEST_MOTO_URL=http://127.0.0.1:PORT"
        )
    })
}

/// A name no other test, in any process or thread, uses (letters, digits and `-`).
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The standard AWS variables for a process talking to moto with fake credentials.
pub fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto_url()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
    ]
}

/// An `Authorization` header for `service`: moto reads the access key to find the account and
/// checks no signature.
pub fn fake_authorization(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0"
    )
}

/// One plain HTTP/1.1 exchange with the moto server: the whole answer, status line first.
pub fn moto_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let url = moto_url();
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the moto server");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// One plain HTTP/1.1 exchange with a server on this machine (`url` is `http://host:port/path`):
/// the status and the body, de-chunked. The whole body is offered even when the server answers
/// before reading it (a refused upload), and the answer is read until the server closes.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect to the server");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).ok();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {url}: no HTTP answer"));
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    (status, body)
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line + 2..line + 2 + size]);
        data = &data[line + 4 + size..];
    }
}

/// A fresh bucket on the moto server, named after `prefix`; returns its name.
pub fn create_bucket(prefix: &str) -> String {
    let name = unique(prefix);
    let answer = moto_request("PUT", &format!("/{name}"), &[], "");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "creating bucket {name}: {answer}"
    );
    name
}
