//! The server's whole HTTP edge in process, over a SQLite store and storage in a temporary
//! folder and the supervisor's in-memory backend: requests go to the router with
//! `tower::ServiceExt::oneshot`, no socket involved.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use fredbatch_core::{BackendTarget, Resources};
use fredbatch_cost::Pricing;
use fredbatch_server::auth::{new_token, token_hash};
use fredbatch_server::changed_jobs::ChangedJobs;
use fredbatch_server::dashboard::Dashboard;
use fredbatch_server::in_flight::InFlight;
use fredbatch_server::routes::{AppState, router};
use fredbatch_server::service::{JobDefaults, PolledRuns, Service};
use fredbatch_server::signing::UrlSigner;
use fredbatch_storage::Storage;
use fredbatch_store::Store;
use fredbatch_supervisor::JobWakeup;
use fredbatch_supervisor::testing::MemoryRunner;
use serde_json::Value;
use tower::ServiceExt;

/// What URLs this server hands out start with.
pub const BASE: &str = "http://fredbatch.test";

pub struct App {
    pub router: Router,
    pub store: Store,
    pub service: Arc<Service>,
    pub runner: Arc<MemoryRunner>,
    _dir: tempfile::TempDir,
}

/// An answer: its status and its body as JSON (`Value::Null` when it is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The `{"description"}` every refusal carries.
    pub fn description(&self) -> &str {
        self.body["description"]
            .as_str()
            .unwrap_or_else(|| panic!("no description in {}", self.body))
    }
}

impl App {
    pub async fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::sqlite_url(dir.path())).await.unwrap();
        let uploads = Storage::local(&dir.path().join("uploads")).unwrap();
        let results = Storage::local(&dir.path().join("results")).unwrap();
        let runner = MemoryRunner::new();
        let polled = Arc::new(PolledRuns::default());
        let service = Arc::new(Service {
            store: store.clone(),
            uploads,
            results,
            signer: UrlSigner::new(b"test key".to_vec(), BASE),
            url_lifetime: Duration::from_secs(600),
            defaults: JobDefaults {
                resources: Resources::LOCAL_DEFAULT,
                max_attempts: 2,
                attempt_timeout_seconds: 600,
                backend: BackendTarget::Local,
                first_run_checks: false,
            },
            upload_limit: 1000,
            scratch: dir.path().join("scratch"),
            changed: Arc::new(ChangedJobs::new(
                Arc::new(JobWakeup::default()),
                Arc::clone(&polled),
            )),
            polled,
            in_flight: InFlight::new(4),
        });
        let dashboard = Arc::new(Dashboard {
            service: Arc::clone(&service),
            runner: runner.clone(),
            pricing: Pricing::default(),
            curves: Default::default(),
        });
        App {
            router: router(AppState {
                service: Arc::clone(&service),
                dashboard,
            }),
            store,
            service,
            runner,
            _dir: dir,
        }
    }

    /// A new account's token.
    pub async fn user(&self, name: &str) -> String {
        let token = new_token();
        self.store
            .add_user(name, &token_hash(&token), Utc::now())
            .await
            .unwrap();
        token
    }

    /// One request as epx sends it: a JSON content type whatever the body, the token in
    /// `Offline-Token`.
    pub async fn call(&self, method: &str, uri: &str, token: Option<&str>, body: &str) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header("Offline-Token", format!("Bearer {token}"));
        }
        let request = request.body(Body::from(body.to_owned())).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A job of the token's user, by `POST /jobs/register`.
    pub async fn register(&self, token: &str, tags: &[&str]) -> i64 {
        let body = serde_json::json!({ "tags": tags }).to_string();
        let answer = self
            .call("POST", "/jobs/register", Some(token), &body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["id"].as_i64().unwrap()
    }

    /// `POST /runs` with one request per seed, for `job`.
    pub async fn submit(&self, token: &str, job: i64, seeds: &[u64]) -> Answer {
        let requests: Vec<Value> = seeds.iter().map(|seed| run_request(job, *seed)).collect();
        let body = serde_json::json!({ "runRequests": requests }).to_string();
        self.call("POST", "/runs", Some(token), &body).await
    }
}

/// A run request as epx 1.2.2 sends it.
pub fn run_request(job: i64, seed: u64) -> Value {
    serde_json::json!({
        "jobId": job,
        "workingDir": "/home/user/models",
        "size": "hot",
        "fredVersion": "latest",
        "population": {"version": "US_2010.v5", "locations": ["Loving_County_TX"]},
        "fredArgs": [
            {"flag": "-p", "value": "main.fred"},
            {"flag": "-o", "value": "R0=1.5"},
            {"flag": "-s", "value": seed.to_string()},
        ],
        "fredFiles": ["main.fred"],
    })
}
