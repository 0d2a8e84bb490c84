//! Quotas per user (`fredbatch users quota`): past a quota `serve` refuses with 429 and a
//! `{"description"}` the client shows, stores nothing, and other users go on.

mod common;

use common::serve::{Server, add_user, api_job, call, http, serve};
use common::{Sandbox, text};
use serde_json::{Value, json};

fn run_request(job: i64, seed: u64) -> Value {
    json!({
        "jobId": job, "workingDir": "/home/modeler/model", "size": "hot", "fredVersion": "latest",
        "fredArgs": [{"flag": "-p", "value": "main.fred"}, {"flag": "-s", "value": seed.to_string()}],
        "fredFiles": ["/home/modeler/model/main.fred"],
    })
}

#[test]
fn a_user_past_their_quota_is_refused_with_a_description_and_others_go_on() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let bob = add_user(&sandbox, "bob");
    let set = sandbox.json(&[
        "users",
        "quota",
        "alice",
        "--jobs",
        "1",
        "--runs-in-flight",
        "2",
    ]);
    assert_eq!(set["quota"]["jobs"], 1, "{set}");
    let listed = sandbox.json(&["users", "list"]);
    assert_eq!(listed["users"][0]["quota"]["runs_in_flight"], 2, "{listed}");
    assert_eq!(listed["users"][1]["quota"]["jobs"], serde_json::Value::Null);
    let table = text(&sandbox.run(&["users", "list"]).stdout);
    assert!(table.contains("jobs 1, runs in flight 2"), "{table}");
    let server = serve(&sandbox, &[]);
    let register = |token: &str| {
        http(
            "POST",
            &format!("{}/jobs/register", server.url),
            Some(token),
            json!({"tags": []}).to_string().as_bytes(),
        )
    };

    let (status, first) = register(&alice);
    assert_eq!(status, 200, "{}", text(&first));
    let job = serde_json::from_slice::<Value>(&first).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, refused) = register(&alice);
    assert_eq!(status, 429, "{}", text(&refused));
    let description = serde_json::from_slice::<Value>(&refused).unwrap()["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.contains("your quota is 1 job(s) and you have 1"),
        "{description}"
    );
    assert_eq!(
        register(&bob).0,
        200,
        "another user is not held by alice's quota"
    );

    let runs = |count: u64| {
        let requests: Vec<Value> = (1..=count).map(|seed| run_request(job, seed)).collect();
        http(
            "POST",
            &format!("{}/runs", server.url),
            Some(&alice),
            json!({ "runRequests": requests }).to_string().as_bytes(),
        )
    };
    let (status, refused) = runs(3);
    assert_eq!(status, 429, "{}", text(&refused));
    assert!(
        text(&refused).contains("your quota is 2 run(s) in flight"),
        "{}",
        text(&refused)
    );
    let listed = call(
        &server,
        "GET",
        &format!("/runs?job_id={job}"),
        &alice,
        Value::Null,
    );
    assert_eq!(
        listed["runs"].as_array().unwrap().len(),
        0,
        "nothing stored: {listed}"
    );
    assert_eq!(runs(2).0, 200);

    let bad = sandbox.run(&["users", "quota", "alice", "--stored-gb", "-1"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--stored-gb"),
        "{}",
        text(&bad.stderr)
    );
    let unknown = sandbox.run(&["users", "quota", "nobody", "--jobs", "3"]);
    assert!(!unknown.status.success());
}

/// The URL a job's inputs archive is uploaded to.
fn inputs_url(server: &Server, token: &str, job: i64) -> String {
    call(
        server,
        "POST",
        "/jobs",
        token,
        json!({"jobId": job, "context": "job", "type": "input"}),
    )["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Uploads count in a user's stored bytes: an upload that would pass the quota is refused with
/// 429 as it arrives and stores nothing; one that fits is stored and counted, so the next one
/// no longer fits, until a job is deleted.
#[test]
fn uploads_count_in_the_stored_bytes_quota() {
    let sandbox = Sandbox::new();
    let alice = add_user(&sandbox, "alice");
    let set = sandbox.json(&["users", "quota", "alice", "--stored-gb", "0.001"]);
    assert_eq!(set["quota"]["stored_bytes"], 1_000_000, "{set}");
    let server = serve(&sandbox, &[]);
    let first = api_job(&server, &alice, &[], &[1], false);
    let url = inputs_url(&server, &alice, first);

    let (status, refused) = http("PUT", &url, None, &vec![b'x'; 1_200_000]);
    assert_eq!(status, 429, "{}", text(&refused));
    let description = serde_json::from_slice::<Value>(&refused).unwrap()["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.contains("your quota is 1.0 MB stored (uploads and results)"),
        "{description}"
    );
    let uploaded = sandbox
        .home()
        .join(format!("uploads/jobs/{first}/uploaded/job_input.zip"));
    assert!(!uploaded.exists(), "nothing stored from a refused upload");

    let (status, stored) = http("PUT", &url, None, &vec![b'x'; 600_000]);
    assert_eq!(status, 200, "{}", text(&stored));
    assert!(uploaded.exists());

    let second = api_job(&server, &alice, &[], &[1], false);
    let second_url = inputs_url(&server, &alice, second);
    let (status, refused) = http("PUT", &second_url, None, &vec![b'x'; 600_000]);
    assert_eq!(
        status,
        429,
        "600 KB stored and 600 KB more: {}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("yours take 0.6 MB"),
        "{}",
        text(&refused)
    );

    call(
        &server,
        "DELETE",
        &format!("/jobs/{first}"),
        &alice,
        Value::Null,
    );
    let (status, stored) = http("PUT", &second_url, None, &vec![b'x'; 600_000]);
    assert_eq!(
        status,
        200,
        "the deleted job's upload no longer counts: {}",
        text(&stored)
    );
}
