//! `fredbatch serve`: the platform API the epx client speaks, with accounts, over fredbatch's
//! own store, storage and backends. Jobs and runs created through it are ordinary fredbatch
//! jobs and runs (the command line shows, logs, reports and costs them).
//!
//! - [`routes`]: the HTTP edge (thin handlers); [`service`]: what each call does;
//! - [`supervise`]: the one loop that drives every job on one shared backend;
//! - [`translate`]: run requests to FRED 5 model keys; [`results_zip`]: results in the
//!   client's layout; [`signing`]: upload and download URLs; [`auth`]: tokens;
//! - [`lock`]: one server per store;
//! - [`dashboard`]: the page at `/` and its JSON, and a job's results report (`fredbatch-report`).

pub mod auth;
pub mod dashboard;
pub mod error;
pub mod lock;
pub mod openapi;
pub mod results_zip;
pub mod routes;
pub mod service;
pub mod signing;
pub mod supervise;
pub mod translate;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::SimulationRunner;
use fredbatch_storage::Storage;
use fredbatch_store::{LockError, Store, StoreError};
use fredbatch_supervisor::Supervisor;
use rand::RngCore;
use tracing::info;

pub use service::JobDefaults;

/// Default largest upload: 1 GiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 1 << 30;
const SIGNING_KEY: &str = "url-signing-key";

pub struct ServerConfig {
    pub store: Store,
    pub uploads: Storage,
    pub results: Storage,
    /// The one backend every job runs on.
    pub runner: Arc<dyn SimulationRunner>,
    pub defaults: JobDefaults,
    pub listen: SocketAddr,
    /// What the URLs this server hands out start with [default: `http://<listen>`].
    pub public_url: Option<String>,
    pub upload_limit: u64,
    /// How long upload and download URLs stay valid.
    pub url_lifetime: Duration,
    /// Between supervision rounds (a change through the API starts one at once).
    pub tick: Duration,
    /// Where uploads are spooled and archives checked.
    pub scratch: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// Takes the store's server lock, listens, supervises and answers until `shutdown` resolves;
/// then stops taking requests, lets those in flight finish, ends the supervision round in
/// progress and releases the lock. `ready` hears the address actually bound.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let lock = lock::ServerLock::acquire(&config.store, &config.listen.to_string()).await?;
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(source) => {
            lock.release().await;
            return Err(ServerError::Listen {
                address: config.listen,
                source,
            });
        }
    };
    let address = listener.local_addr().map_err(ServerError::Serve)?;
    let key = config
        .store
        .server_secret(SIGNING_KEY, || {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            auth::hex(&key)
        })
        .await?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let changed = Arc::new(service::ChangedJobs::default());
    let service = Arc::new(service::Service {
        store: config.store.clone(),
        uploads: config.uploads.clone(),
        results: config.results.clone(),
        signer: signing::UrlSigner::new(key.into_bytes(), &base),
        url_lifetime: config.url_lifetime,
        defaults: config.defaults.clone(),
        upload_limit: config.upload_limit,
        scratch: config.scratch.join("uploads"),
        changed: Arc::clone(&changed),
    });
    let supervision = supervise::Supervision::new(
        Supervisor::new(config.store.clone(), Arc::clone(&config.runner)),
        config.uploads.clone(),
        config.results.clone(),
        config.scratch.join("checks"),
        changed,
        config.tick,
    );
    let (stop_supervision, stopped) = tokio::sync::oneshot::channel::<()>();
    let supervising = tokio::spawn(supervision.run(async {
        stopped.await.ok();
    }));
    info!(%address, "serving the platform API");
    ready(address);
    let dashboard = Arc::new(dashboard::Dashboard {
        service: Arc::clone(&service),
        runner: Arc::clone(&config.runner),
        pricing: fredbatch_cost::Pricing::default(),
    });
    let app = routes::router(service).merge(dashboard::router(dashboard));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    info!("draining: finishing the supervision round in progress");
    stop_supervision.send(()).ok();
    supervising.await.ok();
    lock.release().await;
    served.map_err(ServerError::Serve)
}
