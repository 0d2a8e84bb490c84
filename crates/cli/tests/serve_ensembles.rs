//! Through `serve`, the run requests of one job whose options differ only in their seed are one
//! configuration, each seed a replicate in the order sent: an epx ensemble of 3 scenarios x 6
//! seeds is 3 configurations x 6 replicates in `status`, `compare` and the report, while every
//! run still answers as its own request.

mod common;

use std::time::Duration;

use common::serve::{add_user, call, http, inputs_zip, serve};
use common::{Sandbox, TINY_MODEL, wait_for};
use serde_json::{Value, json};

#[test]
fn an_ensemble_of_scenarios_and_seeds_keeps_its_shape() {
    let sandbox = Sandbox::new();
    let token = add_user(&sandbox, "alice");
    let server = serve(&sandbox, &[]);
    let job = call(
        &server,
        "POST",
        "/jobs/register",
        &token,
        json!({"tags": []}),
    )["id"]
        .as_i64()
        .unwrap();
    let scenarios = ["0.8", "1.0", "1.3"];
    let seeds = [11u64, 12, 13, 14, 15, 16];
    let requests: Vec<Value> = scenarios
        .iter()
        .flat_map(|t| seeds.iter().map(move |seed| (t, seed)))
        .map(|(t, seed)| {
            json!({
                "jobId": job, "workingDir": "/home/modeler/model", "size": "hot", "fredVersion": "latest",
                "fredArgs": [{"flag": "-p", "value": "main.fred"},
                             {"flag": "-o", "value": format!("INF.transmissibility={t}")},
                             {"flag": "-s", "value": seed.to_string()}],
                "fredFiles": ["/home/modeler/model/main.fred"],
            })
        })
        .collect();
    let answered = call(
        &server,
        "POST",
        "/runs",
        &token,
        json!({"runRequests": requests}),
    );
    let responses = answered["runResponses"].as_array().unwrap();
    assert_eq!(responses.len(), 18, "one answer per request, as before");
    assert_eq!(
        responses[7]["runRequest"]["fredArgs"], requests[7]["fredArgs"],
        "each answers as its own request"
    );
    let url = call(
        &server,
        "POST",
        "/jobs",
        &token,
        json!({"jobId": job, "context": "job", "type": "input"}),
    )["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = http("PUT", &url, None, &inputs_zip(TINY_MODEL));
    assert_eq!(status, 200);

    let status = wait_for("the ensemble to finish", Duration::from_secs(120), || {
        let status = sandbox.json(&["status", &job.to_string()]);
        (status["job"]["status"] == "DONE").then_some(status)
    });
    assert_eq!(status["job"]["config_count"], 3, "{}", status["job"]);
    let configs = status["configs"].as_array().unwrap();
    for (config, t) in configs.iter().zip(scenarios) {
        assert_eq!(config["params"][0]["value"], t, "{config}");
    }
    let shape: Vec<(u64, u64)> = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["config"].as_u64().unwrap(),
                r["replicate"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(u64, u64)> = (1..=3).flat_map(|c| (1..=6).map(move |r| (c, r))).collect();
    assert_eq!(
        shape, expected,
        "3 configurations x 6 replicates, in the order sent"
    );

    let compared = sandbox.json(&["compare", &job.to_string()]);
    assert_eq!(compared["configs"].as_array().unwrap().len(), 2);
    assert_eq!(compared["configs"][1]["pairs"], 6, "{compared}");
}
