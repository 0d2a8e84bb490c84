//! A real `fredbatch serve` for tests that drive it over plain HTTP (the dashboard, the
//! OpenAPI fuzzer): a port of the system's choosing, a user, jobs made through the platform API.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Sandbox;

/// What `fredbatch serve` prints on stderr, before the URL it serves on, once it accepts
/// connections (its `--help` documents the line).
const SERVING: &str = "Serving the platform API on ";

pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, the port the server bound.
    pub url: String,
    /// The lines it wrote on stderr so far.
    pub said: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `HOST:PORT` of the server, as its store lock names it.
    pub fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// `fredbatch serve` on the demo engine (unless `env` says otherwise), once it serves.
pub fn serve(sandbox: &Sandbox, env: &[(&str, String)]) -> Server {
    serve_with_args(sandbox, &[], env)
}

/// The same with more of `serve`'s options. It listens on port 0 and reports the port the
/// system gave it, so no other process can take the port between a choice and its use.
pub fn serve_with_args(sandbox: &Sandbox, args: &[&str], env: &[(&str, String)]) -> Server {
    let mut command = sandbox.command();
    // The demo engine behind a FRED_HOME, unless the caller brings a FRED of its own (both are
    // the sandbox's one fake FRED, so only one may be written).
    if !env.iter().any(|(name, _)| *name == "FRED_HOME") {
        command.env("FRED_HOME", sandbox.demo_fred_home());
    }
    let mut child = command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["serve", "--listen", "127.0.0.1:0", "--max-vcpus", "2"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fredbatch serve");
    let said = Arc::new(Mutex::new(Vec::new()));
    let url = served_url(&mut child, Arc::clone(&said));
    Server { child, url, said }
}

/// Reads `serve`'s stderr until it names the URL it serves on (within a minute, and while it
/// lives); its stderr is kept in `said` to the end, so it never blocks on a full pipe.
fn served_url(child: &mut Child, said: Arc<Mutex<Vec<String>>>) -> String {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines, heard) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            said.lock().unwrap().push(line.clone());
            // Once the URL is read nobody listens: later lines are only kept.
            lines.send(line).ok();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut before = Vec::new();
    loop {
        match heard.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => match line.strip_prefix(SERVING) {
                Some(rest) => {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    assert!(
                        url.starts_with("http://127.0.0.1:")
                            || url.starts_with("https://127.0.0.1:"),
                        "serve said: {line}"
                    );
                    return url.to_owned();
                }
                None => before.push(line),
            },
            Err(why) => panic!("fredbatch serve named no URL ({why}); it said: {before:#?}"),
        }
    }
}

/// A new user's token.
pub fn add_user(sandbox: &Sandbox, name: &str) -> String {
    let added = sandbox.json(&["users", "add", name]);
    assert_eq!(added["name"], name);
    added["token"].as_str().unwrap().to_owned()
}

/// One HTTP/1.1 request with a JSON body and the token as a bearer; the status and the body.
pub fn http(method: &str, url: &str, token: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend(bearer.as_deref().map(|bearer| ("Authorization", bearer)));
    fredbatch_testkit::http(method, url, &headers, body)
}

/// One plain HTTP/1.1 exchange with the token where epx sends it (`Offline-Token`):
/// the status and the body as text.
pub fn epx_http(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(bearer.as_deref().map(|bearer| ("Offline-Token", bearer)));
    let (status, body) = fredbatch_testkit::http(method, &format!("{url}{path}"), &headers, body);
    (status, super::text(&body))
}

/// A JSON call of the platform API that must succeed.
pub fn call(server: &Server, method: &str, path: &str, token: &str, body: Value) -> Value {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (status, answer) = http(method, &format!("{}{path}", server.url), Some(token), &body);
    let text = String::from_utf8_lossy(&answer);
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_slice(&answer).unwrap_or_else(|e| panic!("{method} {path} ({e}): {text}"))
}

/// A job registered with `tags` and `seeds.len()` runs of the 10-day model (one per seed);
/// its inputs are uploaded only when `upload` (without them its runs stay QUEUED).
pub fn api_job(server: &Server, token: &str, tags: &[&str], seeds: &[u64], upload: bool) -> i64 {
    let model = upload.then_some(super::TINY_MODEL);
    register_api_job(server, token, tags, seeds, model)
}

/// The same with `main` as the model's main file, uploaded.
pub fn api_job_with_model(
    server: &Server,
    token: &str,
    tags: &[&str],
    seeds: &[u64],
    main: &str,
) -> i64 {
    register_api_job(server, token, tags, seeds, Some(main))
}

fn register_api_job(
    server: &Server,
    token: &str,
    tags: &[&str],
    seeds: &[u64],
    upload: Option<&str>,
) -> i64 {
    let job = call(
        server,
        "POST",
        "/jobs/register",
        token,
        json!({ "tags": tags }),
    )["id"]
        .as_i64()
        .unwrap();
    let requests: Vec<Value> = seeds
        .iter()
        .map(|seed| {
            json!({
                "jobId": job, "workingDir": "/home/modeler/model", "size": "hot", "fredVersion": "latest",
                "fredArgs": [{"flag": "-p", "value": "main.fred"}, {"flag": "-s", "value": seed.to_string()}],
                "fredFiles": ["/home/modeler/model/main.fred"],
            })
        })
        .collect();
    call(
        server,
        "POST",
        "/runs",
        token,
        json!({ "runRequests": requests }),
    );
    if let Some(main) = upload {
        let url = call(
            server,
            "POST",
            "/jobs",
            token,
            json!({"jobId": job, "context": "job", "type": "input"}),
        )["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, answer) = http("PUT", &url, None, &inputs_zip(main));
        assert_eq!(status, 200, "upload: {}", String::from_utf8_lossy(&answer));
    }
    job
}

pub fn inputs_zip(main: &str) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut bytes);
    zip.start_file("main.fred", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(main.as_bytes()).unwrap();
    zip.finish().unwrap();
    bytes.into_inner()
}

/// The runs of a job by the platform API's statuses, once `done` says they are.
pub fn run_statuses(server: &Server, token: &str, job: i64) -> Vec<String> {
    call(
        server,
        "GET",
        &format!("/runs?job_id={job}"),
        token,
        Value::Null,
    )["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}
