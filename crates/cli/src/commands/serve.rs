//! `fredbatch serve`: the platform API the epx client speaks, over the same store, storage and
//! backends as every other command (SQLite and folders by default; PostgreSQL, S3 and AWS Batch
//! by the same configuration as `fredbatch run`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use fredbatch_core::BackendKind;
use fredbatch_server::{
    ConnectionLimits, DEFAULT_REQUESTS_PER_USER, DEFAULT_UPLOAD_LIMIT, JobDefaults, ServerConfig,
    TlsFiles,
};

use crate::Context;
use crate::backend::{choose, connect_new};
use crate::commands::args::{BackendArgs, RunResourceArgs};
use crate::model_check::{can_check_here, this_machines_checker};
use crate::private_files;

/// Serve the platform API (what the epx Python client speaks) with accounts.
///
/// Every call needs a token from `fredbatch users add`. All jobs share one backend; jobs and
/// runs are ordinary fredbatch jobs (`fredbatch status J` shows them). One server per store:
/// a second one refuses to start, naming the first. SIGTERM or Ctrl-C drains: requests in
/// flight finish, the lock is released; open jobs are resumed by the next start.
#[derive(clap::Args, Debug)]
// API jobs run at the size given here: they are not sized from measured runs as `run`'s are.
#[command(mut_arg("vcpus", |arg| arg.help(
    "vCPUs reserved per run of every API job [default: 1 locally, 4 on AWS Batch, as the stack's job definition]"
)))]
#[command(mut_arg("memory", |arg| arg.help(
    "Memory reserved per run of every API job, in MB [default: 2048 locally, 8192 on AWS Batch]"
)))]
pub struct ServeArgs {
    /// The address to listen on. With port 0 the system picks a free port: the line
    /// `Serving the platform API on http://ADDRESS (...)` on stderr names the address bound,
    /// once the server accepts connections.
    #[arg(long, default_value = "127.0.0.1:8787", env = "FREDBATCH_LISTEN")]
    pub listen: SocketAddr,
    /// What the upload and download URLs handed to clients start with, when clients reach this
    /// server by another name than the listen address (e.g. behind a proxy).
    #[arg(long, value_name = "URL", env = "FREDBATCH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The largest upload accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_UPLOAD_LIMIT)]
    pub upload_limit: u64,
    /// How long upload and download URLs stay valid.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub url_lifetime: Duration,
    /// Connections open at once; more wait to be accepted. Lowered to what the open-file
    /// limit allows (the soft limit is raised to the hard one first).
    #[arg(long, value_name = "N", default_value_t = ConnectionLimits::default().max_connections)]
    pub max_connections: usize,
    /// How long a client may take to send a request's line and headers (and its TLS
    /// handshake); a connection that takes longer is closed.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,
    /// How long a connection may send nothing while it waits for no answer, and how long a
    /// request body may pause; then it is closed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// Requests one user's token may have in flight at once; more are refused with 429.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REQUESTS_PER_USER)]
    pub requests_per_user: usize,
    /// Serve HTTPS with this certificate chain (PEM), so tokens never cross a network in
    /// clear; give its key with --tls-key. Without it, plain HTTP (behind a TLS proxy, or on
    /// 127.0.0.1 only).
    #[arg(
        long,
        value_name = "CERT.pem",
        requires = "tls_key",
        env = "FREDBATCH_TLS_CERT"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(
        long,
        value_name = "KEY.pem",
        requires = "tls_cert",
        env = "FREDBATCH_TLS_KEY"
    )]
    pub tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub resources: RunResourceArgs,
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub async fn run(args: ServeArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    // The store, storage, spooled uploads and workers' files: the owner's only.
    private_files::owner_only_from_now_on();
    if let Some(database) = ctx.settings.sqlite_path() {
        private_files::refuse_shared_store(&database)?;
    }
    let kind = choose(&args.backend);
    let mut settings = ctx.settings.clone();
    let resources = args.resources.resources(kind);
    let connected = connect_new(kind, &args.backend, resources, &mut settings).await?;
    let store = settings.open_store().await?;
    let checks_here = can_check_here(kind, &settings);
    let config = ServerConfig {
        store: store.clone(),
        uploads: settings.uploads()?,
        results: settings.results()?,
        runner: connected.runner,
        defaults: JobDefaults {
            resources,
            max_attempts: args.resources.attempts,
            attempt_timeout_seconds: args.resources.timeout.as_secs().max(1),
            backend: connected.target,
            first_run_checks: !checks_here,
        },
        listen: args.listen,
        public_url: args.public_url,
        upload_limit: args.upload_limit,
        url_lifetime: args.url_lifetime,
        tick: match kind {
            BackendKind::Local => Duration::from_millis(500),
            other => crate::backend::tick(other),
        },
        scratch: settings.home.join("server"),
        model_check: if checks_here {
            Some(Arc::new(this_machines_checker(&settings)?))
        } else {
            None
        },
        connections: ConnectionLimits {
            max_connections: connections_allowed(args.max_connections, ctx),
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
        },
        requests_per_user: args.requests_per_user.max(1),
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| TlsFiles { cert, key }),
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    fredbatch_server::serve(config, terminated(), |address| {
        ctx.note(&format!(
            "Serving the platform API on {scheme}://{address} ({} backend); stop with Ctrl-C or SIGTERM.",
            kind
        ));
    })
    .await?;
    store.close().await;
    ctx.note("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// File descriptors kept for the store, storage, logs and workers besides connections.
const RESERVED_FILES: u64 = 256;

/// `wanted` connections, or fewer when the open-file limit (its soft limit raised to the hard
/// one) would run out first: past it the server could not open its store or a worker's log.
fn connections_allowed(wanted: usize, ctx: &Context) -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return wanted.max(1);
    };
    let limit = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
    if wanted > room {
        ctx.note(&format!(
            "Accepting at most {room} connections at once, not {wanted}: the open-file limit is {limit} (raise it with `ulimit -n`)."
        ));
    }
    wanted.min(room).max(1)
}

/// Resolves on SIGTERM or Ctrl-C.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            tokio::signal::ctrl_c().await.ok();
        }
    }
}
