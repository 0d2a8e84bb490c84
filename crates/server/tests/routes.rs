//! The server's routes in process (see `app`): who may call what, the epx flow of registering
//! a job, submitting runs and polling them, refusals and their `{"description"}` bodies, and
//! that the OpenAPI document lists exactly what the router routes.

mod app;

use app::{App, BASE, run_request};
use axum::http::StatusCode;
use chrono::Utc;
use fredbatch_core::{AttemptStatus, BackendState, JobId};
use fredbatch_store::{AttemptEnd, BeginAttempt};
use fredbatch_supervisor::Supervisor;
use serde_json::{Value, json};

fn statuses(answer: &app::Answer) -> Vec<&str> {
    answer.body["runs"]
        .as_array()
        .unwrap_or_else(|| panic!("no runs in {}", answer.body))
        .iter()
        .map(|run| run["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn calls_without_a_valid_token_are_refused_saying_how_to_send_one() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &["t"]).await;
    let forged = "fbt_0000000000000000000000000000000000000000000000000000000000000000";
    for (method, uri) in [
        ("POST", "/jobs/register".to_owned()),
        ("GET", format!("/runs?job_id={job}")),
        ("GET", "/jobs/me".to_owned()),
        ("GET", "/dashboard/api/jobs".to_owned()),
        ("GET", format!("/dashboard/api/jobs/{job}")),
    ] {
        for presented in [None, Some(forged)] {
            let answer = app.call(method, &uri, presented, "{\"tags\": []}").await;
            // The client turns only a 403 with a description into its authorization error.
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {uri}");
            assert!(answer.description().contains("token"), "{}", answer.body);
        }
    }
    // The health check needs none.
    assert_eq!(
        app.call("GET", "/health", None, "").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_users_jobs_and_runs_are_unknown_to_the_caller() {
    let app = App::new().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let job = app.register(&alice, &["mine"]).await;
    let submitted = app.submit(&alice, job, &[1]).await;
    let run = submitted.body["runResponses"][0]["runId"].as_i64().unwrap();
    let upload = json!({"jobId": job, "context": "job", "type": "input"}).to_string();
    for (method, uri, body) in [
        ("GET", format!("/runs?job_id={job}"), String::new()),
        ("GET", format!("/runs?id={run}"), String::new()),
        ("GET", format!("/jobs/results?job_id={job}"), String::new()),
        ("DELETE", format!("/jobs/{job}"), String::new()),
        ("POST", "/jobs".to_owned(), upload),
        (
            "POST",
            "/runs/retry".to_owned(),
            format!("runRequestIds={run}"),
        ),
        ("GET", format!("/dashboard/api/jobs/{job}"), String::new()),
        (
            "POST",
            format!("/dashboard/api/jobs/{job}/cancel"),
            String::new(),
        ),
    ] {
        let answer = app.call(method, &uri, Some(&bob), &body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {uri}");
        answer.description();
    }
    let stop = app
        .call("PATCH", &format!("/runs?id={run}"), Some(&bob), "")
        .await;
    assert_eq!(stop.status, StatusCode::OK);
    assert_eq!(
        stop.body["failedIds"],
        json!([{"runId": run, "reason": "NotFound"}])
    );
    assert_eq!(stop.body["deletedIds"], json!([]));
    let mine = app.call("GET", "/jobs/me", Some(&bob), "").await;
    assert_eq!(mine.body["jobs"], json!([]));
    // Alice still sees all of it, untouched.
    let polled = app
        .call("GET", &format!("/runs?job_id={job}"), Some(&alice), "")
        .await;
    assert_eq!(statuses(&polled), ["QUEUED"]);
}

#[tokio::test]
async fn a_registered_job_hands_out_upload_urls_takes_runs_and_answers_polls() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &["flu", "flu", "b"]).await;
    let jobs = app
        .call("GET", "/jobs?tags=flu&tags=b&latest=true", Some(&token), "")
        .await;
    assert_eq!(jobs.body["id"], job);
    assert_eq!(
        jobs.body["tags"],
        json!(["flu", "b"]),
        "tags kept once each"
    );
    let upload = json!({"jobId": job, "context": "job", "type": "input"}).to_string();
    let url = app.call("POST", "/jobs", Some(&token), &upload).await;
    assert_eq!(url.status, StatusCode::OK, "{}", url.body);
    let url = url.body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{BASE}/blobs/uploads/jobs/{job}/")),
        "{url}"
    );

    // Runs come back in the order sent, each with its request (a seed past i64 included).
    let submitted = app.submit(&token, job, &[7, u64::MAX]).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let responses = submitted.body["runResponses"].as_array().unwrap();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[1]["runRequest"], run_request(job, u64::MAX));
    assert!(
        responses
            .iter()
            .all(|r| r["status"] == "Submitted" && r["jobId"] == job)
    );
    let ids: Vec<i64> = responses
        .iter()
        .map(|r| r["runId"].as_i64().unwrap())
        .collect();

    let polled = app
        .call("GET", &format!("/runs?job_id={job}"), Some(&token), "")
        .await;
    assert_eq!(statuses(&polled), ["QUEUED", "QUEUED"]);
    assert_eq!(polled.body["runs"][0]["request"], run_request(job, 7));
    assert_eq!(polled.body["runs"][0]["podPhase"], "Pending");

    // The backend starts the first run; once the job is marked changed, the next poll says so.
    let stored = app.store.api_job(JobId(job)).await.unwrap().unwrap();
    let supervisor = Supervisor::new(app.store.clone(), app.runner.clone());
    assert_eq!(supervisor.submit(&stored.job).await.unwrap(), 2);
    let backend_ids: Vec<_> = app.runner.with(|m| m.jobs.keys().cloned().collect());
    let first = app.store.runs(JobId(job)).await.unwrap()[0].clone();
    let backend = first.backend_job_id.expect("submitted");
    assert!(backend_ids.contains(&backend));
    app.runner.set_state(&backend, BackendState::Running, None);
    supervisor.sync_once(&stored.job).await.unwrap();
    app.service.changed.mark(JobId(job));
    let polled = app
        .call("GET", &format!("/runs?job_id={job}"), Some(&token), "")
        .await;
    assert_eq!(statuses(&polled), ["RUNNING", "QUEUED"]);
    // One run by its id, and runs of several jobs and ids at once.
    let one = app
        .call("GET", &format!("/runs?id={}", ids[1]), Some(&token), "")
        .await;
    assert_eq!(statuses(&one), ["QUEUED"]);
    let both = format!("/runs?job_id={job}&id={}", ids[0]);
    assert_eq!(
        statuses(&app.call("GET", &both, Some(&token), "").await),
        ["RUNNING", "QUEUED", "RUNNING"]
    );
}

#[tokio::test]
async fn bad_bodies_and_queries_are_refused_with_a_description_and_store_nothing() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &[]).await;
    let refused = |answer: &app::Answer| {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        answer.description().to_owned()
    };
    refused(
        &app.call("POST", "/runs", Some(&token), "{\"runRequests\": [")
            .await,
    );
    refused(
        &app.call("POST", "/runs", Some(&token), "{\"runRequests\": []}")
            .await,
    );
    let mut bogus = run_request(job, 1);
    bogus["fredArgs"][1]["flag"] = json!("--bogus");
    let body = json!({"runRequests": [run_request(job, 1), bogus]}).to_string();
    let said = refused(&app.call("POST", "/runs", Some(&token), &body).await);
    assert!(
        said.contains("run request 2") && said.contains("`--bogus`"),
        "{said}"
    );
    let mut missing = run_request(job, 1);
    missing.as_object_mut().unwrap().remove("fredArgs");
    let body = json!({"runRequests": [missing]}).to_string();
    assert!(refused(&app.call("POST", "/runs", Some(&token), &body).await).contains("fredArgs"));
    let polled = app
        .call("GET", &format!("/runs?job_id={job}"), Some(&token), "")
        .await;
    assert_eq!(polled.body["runs"], json!([]), "nothing stored");

    refused(
        &app.call("GET", "/runs?job_id=seven", Some(&token), "")
            .await,
    );
    refused(&app.call("GET", "/runs", Some(&token), "").await);
    refused(
        &app.call("GET", "/jobs/me?startDate=2020-13-01", Some(&token), "")
            .await,
    );
    refused(&app.call("DELETE", "/jobs/seven", Some(&token), "").await);
    refused(
        &app.call("POST", "/runs/retry", Some(&token), "runRequestIds=x")
            .await,
    );
}

#[tokio::test]
async fn retries_are_read_from_a_form_under_a_json_content_type_or_from_json() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &[]).await;
    let submitted = app.submit(&token, job, &[1, 2]).await;
    let ids: Vec<i64> = submitted.body["runResponses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_i64().unwrap())
        .collect();
    let form = format!("runRequestIds={}&runRequestIds={}", ids[0], ids[1]);
    let answer = app.call("POST", "/runs/retry", Some(&token), &form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "Submitted");
    let json = json!({"runRequestIds": [ids[0]]}).to_string();
    let answer = app.call("POST", "/runs/retry", Some(&token), &json).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // Queued runs are not in ERROR: none of them is reset.
    assert_eq!(answer.body["runRequestIds"], json!([]));
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_a_description() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let answer = app.call("GET", "/nowhere", Some(&token), "").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.description().contains("/nowhere"));
    let answer = app.call("DELETE", "/runs", Some(&token), "").await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(answer.description().contains("DELETE"));
}

/// A request path for a documented one, its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{bucket}", "uploads")
        .replace("{key}", "jobs/1/x")
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_methods_the_router_answers() {
    let app = App::new().await;
    let served = app.call("GET", "/openapi.json", None, "").await;
    let document: Value = serde_json::from_str(&fredbatch_server::openapi::document()).unwrap();
    assert_eq!(served.body, document);
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{:?}", paths.keys());
    let all = ["GET", "PUT", "POST", "DELETE", "PATCH"];
    for (path, item) in paths {
        let uri = concrete(path);
        for method in all {
            let answer = app.call(method, &uri, None, "").await;
            let routed = answer.status != StatusCode::METHOD_NOT_ALLOWED
                && !(answer.status == StatusCode::NOT_FOUND
                    && answer.description().starts_with("no route"));
            let documented = item.get(method.to_lowercase()).is_some();
            assert_eq!(routed, documented, "{method} {path}: {}", answer.status);
        }
    }
}

#[tokio::test]
async fn the_dashboard_shows_a_new_job_queued_and_why_a_job_cannot_go_on() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &["t"]).await;
    let uri = format!("/dashboard/api/jobs/{job}");
    let shown = app.call("GET", &uri, Some(&token), "").await;
    assert_eq!(shown.body["job"]["status"], "QUEUED", "{}", shown.body);
    assert_eq!(shown.body["job"]["reason"], Value::Null);

    let why = "submitted to slurm; this server runs on local";
    app.store
        .set_job_status_reason(JobId(job), Some(why))
        .await
        .unwrap();
    let listed = app
        .call("GET", "/dashboard/api/jobs", Some(&token), "")
        .await;
    assert_eq!(listed.body["jobs"][0]["reason"], why, "{}", listed.body);
}

#[tokio::test]
async fn the_dashboard_shows_what_fred_warned_of_in_a_run() {
    let app = App::new().await;
    let token = app.user("alice").await;
    let job = app.register(&token, &["t"]).await;
    app.submit(&token, job, &[1]).await;
    let run = app.store.runs(JobId(job)).await.unwrap().remove(0);
    let warning = "FRED Warning (file main.fred, line 5) Unrecognized property statement: dyas = 5";
    let BeginAttempt::Started { number } = app
        .store
        .begin_attempt(run.id, None, None, Utc::now())
        .await
        .unwrap()
    else {
        panic!("the run is open");
    };
    app.store
        .finish_attempt(
            run.id,
            number,
            &AttemptEnd {
                status: AttemptStatus::Failed,
                reason: Some("FRED was killed by signal 9".into()),
                exit_code: None,
                finished_at: Utc::now(),
                measurements: None,
                results_key: None,
                warnings: vec![warning.into()],
                inputs: None,
            },
        )
        .await
        .unwrap();
    let shown = app
        .call(
            "GET",
            &format!("/dashboard/api/jobs/{job}"),
            Some(&token),
            "",
        )
        .await;
    assert_eq!(
        shown.body["runs"][0]["warnings"],
        serde_json::json!([warning]),
        "{}",
        shown.body
    );
}

/// One token may have only so many requests in flight (4 in `app`); the next is refused with
/// 429 and a description, other users are served, and the slots free when the requests end.
#[tokio::test]
async fn a_token_with_its_limit_of_requests_in_flight_is_refused_the_next() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let app = App::new().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    // Four registrations whose bodies never end: each holds a slot until its sender is dropped.
    let mut senders = Vec::new();
    let mut held = Vec::new();
    for _ in 0..4 {
        let (sender, receiver) =
            tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(1);
        let body = Body::from_stream(tokio_stream_of(receiver));
        let request = Request::post("/jobs/register")
            .header("Offline-Token", format!("Bearer {alice}"))
            .body(body)
            .unwrap();
        held.push(tokio::spawn(app.router.clone().oneshot(request)));
        senders.push(sender);
    }
    // Each is in flight once its handler took the first piece of its body.
    for sender in &senders {
        sender
            .send(Ok(bytes::Bytes::from_static(b"{")))
            .await
            .unwrap();
        while sender.capacity() < sender.max_capacity() {
            tokio::task::yield_now().await;
        }
    }
    let answer = app
        .call("POST", "/jobs/register", Some(&alice), "{\"tags\": []}")
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        answer.description().contains("in flight"),
        "{}",
        answer.body
    );
    assert!(app.register(&bob, &[]).await > 0);
    drop(senders);
    for request in held {
        let answer = request.await.unwrap().unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "a body cut short");
    }
    assert!(app.register(&alice, &[]).await > 0);
}

/// A stream of what `receiver` is sent, ending when its sender is dropped.
fn tokio_stream_of<T: Send + 'static>(
    mut receiver: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
