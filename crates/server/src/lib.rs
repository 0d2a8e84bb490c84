//! `fredbatch serve`: the platform API the epx client speaks, with accounts, over fredbatch's
//! own store, storage and backends. Jobs and runs created through it are ordinary fredbatch
//! jobs and runs (the command line shows, logs, reports and costs them).
//!
//! - [`routes`]: the one route list, building the router and the OpenAPI document
//!   ([`openapi`]); [`handlers`]: thin handlers over [`extract`], the typed edge;
//! - [`service`]: what each call does; [`changed_jobs`]: changes that wake the supervisor;
//! - the supervisor's [`Fleet`] drives every job on one shared backend; the server starts it
//!   and wakes it when a call changes a job;
//! - [`translate`]: run requests to FRED 5 model keys; [`signing`]: upload and download URLs;
//!   [`auth`]: tokens;
//! - [`lock`]: one server per store (losing it stops the server);
//! - [`dashboard`]: the page at `/` and its JSON, and a job's results report (`fredbatch-report`).

pub mod audit;
pub mod auth;
pub mod changed_jobs;
pub mod connections;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod in_flight;
pub mod lock;
pub mod openapi;
pub mod prometheus;
pub mod redact;
pub mod routes;
pub mod service;
pub mod signing;
pub mod tls;
mod translate;
pub mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::SimulationRunner;
use fredbatch_core::model_check::ModelChecker;
use fredbatch_storage::Storage;
use fredbatch_store::{LockError, LockHolder, Store, StoreError};
use fredbatch_supervisor::{Fleet, Supervisor};

use changed_jobs::ChangedJobs;
use rand::RngCore;
use tracing::info;

pub use connections::ConnectionLimits;
pub use service::JobDefaults;
pub use tls::{TlsError, TlsFiles};

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
    /// FRED's check mode, when this machine has the FRED runs use: each configuration of a
    /// job is checked once its inputs are in, and refused (its runs end ERROR) on FRED's
    /// errors or warnings.
    pub model_check: Option<Arc<dyn ModelChecker>>,
    pub connections: ConnectionLimits,
    /// Serve HTTPS with this certificate and key (plain HTTP without).
    pub tls: Option<TlsFiles>,
    /// Requests one token may have in flight at once.
    pub requests_per_user: usize,
}

/// Default requests in flight per user: more than epx ever sends at once.
pub const DEFAULT_REQUESTS_PER_USER: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Tls(#[from] TlsError),
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
    /// Another process took the store's lock: it supervises the jobs now, so this server
    /// stopped at once rather than supervise them twice.
    #[error("{}; this server stopped supervising and serving", lost_to(.holder))]
    LockLost { holder: Option<LockHolder> },
}

fn lost_to(holder: &Option<LockHolder>) -> String {
    match holder {
        Some(holder) => format!("another fredbatch server took over this store's lock: {holder}"),
        None => "this server's lock on the store was taken away (nobody holds it now)".into(),
    }
}

/// Takes the store's server lock, listens, supervises and answers until `shutdown` resolves;
/// then stops taking requests, lets those in flight finish, ends the supervision round in
/// progress and releases the lock. `ready` hears the address actually bound (the port the
/// system picked when `listen` asks for port 0), once the server accepts connections. If another
/// process takes the lock over, supervision and serving stop at once with
/// [`ServerError::LockLost`].
pub async fn serve(
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    // Bound before the lock is taken, so the lock names the address actually bound (with
    // port 0 the system picks one) and a second server can tell its clients where the first is.
    // A certificate that cannot serve is refused before anything is bound or locked.
    let tls = config.tls.as_ref().map(tls::Tls::load).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(source) => {
            // Most often a first server on the same address: when it also holds this store,
            // its lock says who it is, which helps more than "address in use".
            lock::ServerLock::acquire(&config.store, &config.listen.to_string())
                .await?
                .release()
                .await;
            return Err(ServerError::Listen {
                address: config.listen,
                source,
            });
        }
    };
    let address = listener.local_addr().map_err(ServerError::Serve)?;
    prometheus::install();
    let mut lock = lock::ServerLock::acquire(&config.store, &address.to_string()).await?;
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
        .unwrap_or_else(|| format!("{scheme}://{address}"));
    let mut fleet = Fleet::new(
        Supervisor::new(config.store.clone(), Arc::clone(&config.runner)),
        config.uploads.clone(),
        config.results.clone(),
        config.scratch.join("checks"),
        config.tick,
    );
    if let Some(checker) = &config.model_check {
        fleet = fleet.with_model_check(Arc::clone(checker));
    }
    let polled = Arc::new(service::PolledRuns::default());
    let changed = ChangedJobs::new(fleet.wakeup(), Arc::clone(&polled));
    let service = Arc::new(service::Service {
        store: config.store.clone(),
        uploads: config.uploads.clone(),
        results: config.results.clone(),
        signer: signing::UrlSigner::new(key.into_bytes(), &base),
        url_lifetime: config.url_lifetime,
        defaults: config.defaults.clone(),
        upload_limit: config.upload_limit,
        scratch: config.scratch.join("uploads"),
        changed: Arc::new(changed),
        polled,
        in_flight: in_flight::InFlight::new(config.requests_per_user),
    });
    let (stop_supervision, stopped) = tokio::sync::oneshot::channel::<()>();
    let supervising = tokio::spawn(fleet.run(async {
        stopped.await.ok();
    }));
    info!(%address, "serving the platform API");
    ready(address);
    let dashboard = Arc::new(dashboard::Dashboard {
        service: Arc::clone(&service),
        runner: Arc::clone(&config.runner),
        pricing: fredbatch_cost::Pricing::default(),
        curves: Default::default(),
    });
    let app = routes::router(routes::AppState { service, dashboard });
    let limits = config.connections.clone();
    let serving: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> = match tls {
        Some(tls) => Box::pin(connections::serve_connections(
            listener, app, limits, tls, shutdown,
        )),
        None => Box::pin(connections::serve_connections(
            listener,
            app,
            limits,
            connections::PlainTcp,
            shutdown,
        )),
    };
    tokio::select! {
        () = serving => {}
        holder = lock.lost() => {
            // Not even the round in progress finishes: the new holder supervises these jobs.
            supervising.abort();
            return Err(ServerError::LockLost { holder });
        }
    };
    info!("draining: finishing the supervision round in progress");
    stop_supervision.send(()).ok();
    supervising.await.ok();
    lock.release().await;
    Ok(())
}
